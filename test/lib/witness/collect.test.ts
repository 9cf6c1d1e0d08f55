import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { HttpPeerClient } from '../../../lib/interop/peer-client.ts';
import type { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { cosignedNote, type StoredCheckpoint } from '../../../lib/store/log-records.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { type CollectDeps, collectCosignatures } from '../../../lib/witness/collect.ts';
import { witnessStatus } from '../../../lib/witness/quorum.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';
import { issueLicenses } from '../audit/log-fixtures.ts';
import { type FakeWitness, fakeWitness, type WitnessMode, witnessRegistry } from './fake-witnesses.ts';

const LOG = '310000';
const MODES: [string, WitnessMode][] = [
  ['320000', 'cosigns'],
  ['330000', 'down'],
  ['340000', 'garbage'],
  ['350000', 'other'],
  ['360000', 'holds'],
  ['370000', 'silent'],
  ['410000', 'beyond'],
];

describe('collecting cosignatures from the witnesses of the log', () => {
  let t: TestGateway;
  let store: LogStore;
  let registry: TrustRegistry;
  const witnesses = new Map<string, FakeWitness>();
  const events: AuditEvent[] = [];

  beforeAll(async () => {
    t = await testGateway(LOG);
    store = new LogStore(t.storage.doc, t.storage.tables.log);
    await issueLicenses(t, 3);
    await integrate(t.gateway);
    await issueLicenses(t, 2);
    await integrate(t.gateway);
    const options = {
      clock: t.clock,
      rootAt: async (size: number) => (await store.checkpoint(size))?.rootHash,
      otherNote: async () => (await store.checkpoint(3))?.note ?? '',
      // It cosigned the checkpoint of size 3 before this log kept what each witness holds.
      holds: 3,
    };
    for (const [id, mode] of MODES) witnesses.set(id, await fakeWitness(id, mode, () => registry, options));
  });
  afterAll(async () => {
    await Promise.all([...witnesses.values()].map((w) => w.close()));
  });

  /** Fresh log state per case is not needed: each case names the witnesses it asks. */
  function deps(ids: string[], quorum: number, timeoutMs = 2000): CollectDeps {
    registry = witnessRegistry({ id: LOG, keys: t.keys }, [...witnesses.values()], {
      witnesses: ids,
      quorum,
    });
    const peers = new HttpPeerClient({
      self: LOG,
      signer: t.keys.gateway,
      registry,
      auditStore: { write: async (e) => void events.push(e) },
      clock: t.clock,
      timeoutMs: 10_000,
    });
    return {
      province: LOG,
      registry,
      peers,
      auditStore: { write: async (e) => void events.push(e) },
      log: store,
      clock: t.clock,
      timeoutMs,
    };
  }

  it('keeps the cosignatures that verify, refuses the others, and meets the quorum', async () => {
    const before = events.length;
    const d = deps(['320000', '330000', '340000', '350000', '360000'], 2);

    const collection = await collectCosignatures(d);

    expect(collection?.treeSize).toBe(5);
    expect(collection?.witnesses.map((w) => [w.witness, w.outcome])).toEqual([
      ['320000', 'cosigned'],
      ['330000', 'unavailable'],
      ['340000', 'invalid'],
      ['350000', 'invalid'],
      ['360000', 'cosigned'],
    ]);
    expect(collection?.witnesses[4]).toMatchObject({ oldSize: 3, retried: true });
    expect(collection).toMatchObject({
      collected: 2,
      invalid: 2,
      cosigners: ['320000', '360000'],
      quorumMet: true,
    });

    // Stored with the checkpoint and the head, which is marked witnessed; sizes held per witness.
    const head = (await store.head()) as StoredCheckpoint;
    expect(Object.keys(head.cosignatures ?? {})).toEqual(['320000', '360000']);
    expect(head.witnessed).toBe(true);
    expect((await store.checkpoint(5))?.cosignatures).toEqual(head.cosignatures);
    expect(await store.witnessedSize()).toBe(5);
    expect(await store.witnessSizes(['320000', '340000', '350000', '360000'])).toEqual(
      new Map([
        ['320000', 5],
        ['360000', 5],
      ]),
    );

    // The cosigned note still verifies as the log's checkpoint, and its quorum by an independent count.
    const note = cosignedNote(head);
    expect(verifyCheckpoint(note, t.keys.audit.publicJwk, 'elg/310000/audit').treeSize).toBe(5);
    const status = witnessStatus(note, {
      policy: { witnesses: ['320000', '360000'], quorum: 2 },
      witnessKeys: (w) => registry.witnessKeys(w),
    });
    expect(status.witnessed).toBe(true);

    // One outbound event per call: the 409 and its retry are two; refused answers say why.
    const mine = events.slice(before).filter((e) => e.action === 'interop.outbound');
    expect(mine.map((e) => [e.peer, e.outcome]).sort()).toEqual(
      [
        ['320000', 'success'],
        ['330000', 'error'],
        ['340000', 'error'],
        ['350000', 'error'],
        ['360000', 'refused'],
        ['360000', 'success'],
      ].sort(),
    );
    expect(mine.find((e) => e.peer === '340000')?.details.error).toMatch(/cosignature/);
    expect(mine.find((e) => e.peer === '350000')?.details.error).toMatch(/does not verify/);
    expect(new Set(mine.map((e) => e.traceId)).size).toBe(1);
  });

  it('asks no witness again whose cosignature the checkpoint carries, and stores nothing twice', async () => {
    const hits = witnesses.get('320000')?.hits;

    const again = await collectCosignatures(deps(['320000', '360000'], 2));

    expect(again?.witnesses).toMatchObject([
      { witness: '320000', outcome: 'cosigned', already: true },
      { witness: '360000', outcome: 'cosigned', already: true },
    ]);
    expect(again).toMatchObject({ collected: 0, quorumMet: true });
    expect(witnesses.get('320000')?.hits).toBe(hits);
  });

  it('misses the quorum when too few verified cosignatures come back, and says who answered what', async () => {
    const collection = await collectCosignatures(deps(['320000', '340000', '350000', '330000'], 3));

    expect(collection).toMatchObject({ quorumMet: false, cosigners: ['320000'] });
  });

  it('resolves at the bound with a witness that never answers, keeping what came in time', async () => {
    // A new checkpoint, so every witness is asked.
    await issueLicenses(t, 1);
    await integrate(t.gateway);

    const collection = await collectCosignatures(deps(['370000', '320000'], 1, 300));

    expect(collection?.treeSize).toBe(6);
    expect(collection?.witnesses).toMatchObject([
      { witness: '370000', outcome: 'unavailable' },
      { witness: '320000', outcome: 'cosigned', oldSize: 5, retried: false },
    ]);
    expect(collection?.quorumMet).toBe(true);
    expect(witnesses.get('370000')?.hits).toBeGreaterThan(0);
  });

  it('records a witness that claims a size beyond the log as invalid, and does not retry', async () => {
    const hits = witnesses.get('410000')?.hits ?? 0;

    const collection = await collectCosignatures(deps(['410000'], 1));

    expect(collection?.witnesses).toMatchObject([
      { witness: '410000', outcome: 'invalid', error: expect.stringMatching(/beyond the log/) },
    ]);
    expect(witnesses.get('410000')?.hits).toBe(hits + 1);
    expect(collection?.quorumMet).toBe(false);
  });

  it('stores each witness’s line exactly once when collections run concurrently', async () => {
    await issueLicenses(t, 2);
    await integrate(t.gateway);
    const d = deps(['320000', '360000', '340000'], 2);

    const collections = await Promise.all([
      collectCosignatures(d),
      collectCosignatures(d),
      collectCosignatures(d),
    ]);

    const head = (await store.head()) as StoredCheckpoint;
    expect(head.treeSize).toBe(8);
    expect(Object.keys(head.cosignatures ?? {}).sort()).toEqual(['320000', '360000']);
    const note = cosignedNote(head);
    for (const w of ['320000', '360000']) expect(note.split(`\u2014 elg/${w}/witness `).length - 1).toBe(1);
    // Every collection got its cosignatures (a 409 from a witness another collection had just
    // moved on is retried from the size it now holds), yet the checkpoint keeps one line each.
    for (const c of collections) expect(c?.cosigners).toEqual(['320000', '360000']);
    expect(head.witnessed).toBe(true);
  });

  it('stores the quorum as soon as it is in, while it still waits for a witness that never answers', async () => {
    await issueLicenses(t, 1);
    await integrate(t.gateway);
    const head = await store.head();
    let returned = false;

    const collecting = collectCosignatures(deps(['370000', '320000'], 1, 3000)).then((c) => {
      returned = true;
      return c;
    });
    let witnessedFirst = false;
    for (let i = 0; i < 100 && !returned; i++) {
      if ((await store.checkpoint(head?.treeSize ?? 0))?.witnessed) {
        witnessedFirst = !returned;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const collection = await collecting;

    expect(witnessedFirst).toBe(true);
    expect(collection?.quorumMet).toBe(true);
    expect(collection?.witnesses.map((w) => w.outcome)).toEqual(['unavailable', 'cosigned']);
    expect((await store.head())?.witnessed).toBe(true);
  });

  it('collects nothing when the registry names no witnesses for the log', async () => {
    const d = deps(['320000'], 1);
    const none = { ...d, registry: { witnessPolicy: () => undefined, witnessKeys: () => [] } };

    expect(await collectCosignatures(none)).toBeUndefined();
  });
});
