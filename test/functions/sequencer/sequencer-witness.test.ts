import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrateAndReport } from '../../../functions/sequencer/report.ts';
import { integrate, type SequencerDeps } from '../../../functions/sequencer/sequencer.ts';
import { HttpPeerClient } from '../../../lib/interop/peer-client.ts';
import type { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { issueLicenses } from '../../lib/audit/log-fixtures.ts';
import { type FakeWitness, fakeWitness, witnessRegistry } from '../../lib/witness/fake-witnesses.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';

describe('the sequencer and the witnesses of its log', () => {
  let t: TestGateway;
  let registry: TrustRegistry;
  let cosigns: FakeWitness;
  let down: FakeWitness;

  beforeAll(async () => {
    t = await testGateway('310000');
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    const options = {
      clock: t.clock,
      rootAt: async (size: number) => (await store.checkpoint(size))?.rootHash,
      otherNote: async () => '',
    };
    cosigns = await fakeWitness('320000', 'cosigns', () => registry, options);
    down = await fakeWitness('330000', 'down', () => registry, options);
  });
  afterAll(async () => {
    await Promise.all([cosigns?.close(), down?.close()]);
  });

  function deps(policy: { witnesses: string[]; quorum: number } | undefined): SequencerDeps {
    registry = witnessRegistry({ id: '310000', keys: t.keys }, [cosigns, down], policy);
    const auditStore = t.gateway.auditStore;
    return {
      province: '310000',
      clock: t.clock,
      signer: () => t.keys.audit,
      logStore: (o) => t.gateway.logStore(o),
      loggedEvents: t.gateway.loggedEvents,
      witnessing: {
        province: '310000',
        registry,
        peers: new HttpPeerClient({
          self: '310000',
          signer: t.keys.gateway,
          registry,
          auditStore,
          clock: t.clock,
        }),
        auditStore,
        clock: t.clock,
        timeoutMs: 2000,
      },
    };
  }

  it('collects after a committed checkpoint, retries the unwitnessed head on idle runs, and meters it', async () => {
    await issueLicenses(t, 3);
    const d = deps({ witnesses: ['320000', '330000'], quorum: 2 });
    const lines: string[] = [];

    const first = await integrateAndReport(d, {}, (l) => void lines.push(l));
    const next = await integrate(d);

    expect(first).toMatchObject({ outcome: 'integrated', treeSize: 3 });
    expect(first.witness).toMatchObject({ treeSize: 3, quorumMet: false, collected: 1 });
    expect(first.witness?.collection?.witnesses.map((w) => w.outcome)).toEqual(['cosigned', 'unavailable']);
    // The next run integrates the collection's own interop.outbound events (a new head) and asks
    // both witnesses again: the head lacks its quorum still.
    expect(next.treeSize).toBeGreaterThan(3);
    expect(next.witness).toMatchObject({ treeSize: next.treeSize, quorumMet: false });
    expect(next.witness?.collection?.witnesses.map((w) => w.outcome)).toEqual(['cosigned', 'unavailable']);
    const witnessLine = lines
      .map((l) => JSON.parse(l))
      .find((m) => m._aws.CloudWatchMetrics[0].Namespace === 'ELG/Witness');
    expect(witnessLine).toMatchObject({
      Province: '310000',
      CosignaturesCollected: 1,
      CosignaturesInvalid: 0,
      WitnessQuorumMissing: 1,
    });
  });

  it('asks nobody for a head that has its quorum, and keeps integrating without a witness policy', async () => {
    const met = await integrate(deps({ witnesses: ['320000', '330000'], quorum: 1 }));
    expect(met.witness).toMatchObject({ quorumMet: true });
    const log = new LogStore(t.storage.doc, t.storage.tables.log);
    const head = await log.head();
    expect(head?.witnessed).toBe(true);
    const d = deps({ witnesses: ['320000', '330000'], quorum: 1 });
    const { loggedEvents, ...rest } = d;
    // The same head again (no event waiting): reported witnessed, nobody asked.
    const hits = cosigns.hits;
    const idleEvents = { ...loggedEvents, pending: async () => [] } as unknown as typeof loggedEvents;
    const again = await integrate({ ...rest, loggedEvents: idleEvents });

    expect(again.witness).toEqual({ treeSize: head?.treeSize, quorumMet: true, collected: 0, invalid: 0 });
    expect(cosigns.hits).toBe(hits);

    // Its own calls to the witnesses are integrated, then nothing is left: the log settles,
    // rather than each collection making a checkpoint that needs another.
    const rounds = [];
    for (let i = 0; i < 5; i++) {
      const r = await integrate(deps({ witnesses: ['320000', '330000'], quorum: 1 }));
      rounds.push(r);
      if (r.outcome === 'idle') break;
    }
    expect(rounds.at(-1)?.outcome).toBe('idle');
    expect(rounds.at(-1)?.witness).toMatchObject({ quorumMet: true });
    expect(rounds.every((r) => r.witness?.collection === undefined)).toBe(true);

    await issueLicenses(t, 1);
    const unwitnessed = await integrate(deps(undefined));
    expect(unwitnessed.outcome).toBe('integrated');
    expect(unwitnessed.witness).toBeUndefined();
  });
});
