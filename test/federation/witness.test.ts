import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsistencyProofSchema, InclusionProofSchema } from '../../contracts/audit-api.ts';
import { HolderUsesPageSchema } from '../../contracts/holder.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { parseCheckpoint } from '../../lib/audit/checkpoint.ts';
import { assembleTrace } from '../../lib/audit/trace.ts';
import { registryTraceVerifier } from '../../lib/audit/trace-verifier.ts';
import { witnessStatus } from '../../lib/witness/quorum.ts';
import { call, settle, type TestFederation, testFederation, traceSources } from '../support/federation.ts';
import { sampleIssue } from '../support/gateway.ts';

/**
 * The whole federation witnessing itself (docs/protocol.md §19): every log's checkpoints are
 * cosigned by its witnesses in the registry to their quorum, a trace of a cross-province call and
 * a holder's view show the checkpoints witnessed, and once traffic stops the logs stop growing:
 * the collections do not feed each other.
 */
describe('the five provinces witness each other', () => {
  let f: TestFederation;
  let traceId: string;
  let identifier: string;

  beforeAll(async () => {
    // The scheduled loops off: the test runs each sequencer itself, so it knows when a log settled.
    f = await testFederation({ name: 'wtn', scheduled: false });
    const sh = f.province('310000');
    identifier = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    ).identifier;
    const answer = VerifyResponseSchema.parse(
      (
        await call(f.province('330000'), 'platform', '/v1/verify', {
          identifier,
          matterCode: 'DEMO0001',
          useCause: '窗口核验',
        })
      ).body,
    );
    expect(answer.verdict).toBe('valid');
    traceId = answer.traceId;
    // Sichuan's log gets an event too: its verification, unverified without an agreement.
    const sichuan = await call(f.province('510000'), 'platform', '/v1/verify', {
      identifier,
      matterCode: 'DEMO0001',
      useCause: '窗口核验',
    });
    expect(VerifyResponseSchema.parse(sichuan.body).verdict).toBe('unverified');
    for (let round = 0; round < 3; round++) for (const p of f.provinces) await settle(p);
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  it("carries every log's checkpoints cosigned by its witnesses to the registry's quorum", async () => {
    const registry = f.province('310000').gateway.registry;
    const expected: Record<string, string[]> = {
      '310000': ['320000', '330000', '340000'],
      '320000': ['310000', '330000', '340000'],
      '330000': ['310000', '320000', '340000'],
      '340000': ['310000', '320000', '330000'],
      '510000': ['310000', '320000'],
    };
    for (const p of f.provinces) {
      const policy = registry.witnessPolicy(p.id);
      expect(policy, p.id).toEqual({ witnesses: expected[p.id], quorum: 2 });
      // The newest witnessed checkpoint, as the auditor API serves it with its cosignatures.
      const size = await p.gateway.logStore().witnessedSize();
      expect(size, `${p.id} has a witnessed checkpoint`).toBeGreaterThan(0);
      const proof = ConsistencyProofSchema.parse(
        (await call(p, 'auditor', `/v1/audit/consistency?from=1&to=${size}`)).body,
      );
      const status = witnessStatus(proof.checkpoint ?? '', {
        policy,
        witnessKeys: (id) => registry.witnessKeys(id),
      });
      expect(status.witnessed, `${p.id}: ${JSON.stringify(status)}`).toBe(true);
      expect(status.cosigners.length).toBeGreaterThanOrEqual(2);
      expect(status.rejected).toEqual([]);
      expect(parseCheckpoint(proof.checkpoint ?? '').treeSize).toBe(size);
    }
  });

  it('shows the trace of a cross-province call witnessed in both provinces', async () => {
    const report = await assembleTrace(
      traceId,
      traceSources(f),
      registryTraceVerifier(f.province('330000').gateway.registry),
    );

    expect(report.gaps).toEqual([]);
    expect(report.ok).toBe(true);
    // Each event of the call is proven against a checkpoint its log's witnesses cosigned (else
    // the trace would show a NOT_WITNESSED gap): checked here again, event by event.
    const registry = f.province('330000').gateway.registry;
    expect(report.timeline.map((t) => t.province).sort()).toEqual(['310000', '330000']);
    for (const t of report.timeline) {
      const proof = InclusionProofSchema.parse(
        (await call(f.province(t.province), 'auditor', `/v1/audit/events/${t.event.eventId}/proof`)).body,
      );
      const status = witnessStatus(proof.checkpoint, {
        policy: registry.witnessPolicy(t.province),
        witnessKeys: (id) => registry.witnessKeys(id),
      });
      expect(proof.witnessed, t.province).toBe(true);
      expect(status.witnessed, `${t.province}: ${JSON.stringify(status)}`).toBe(true);
      expect(report.provinces.find((p) => p.id === t.province)?.checkpoint?.witness?.policy).toBeDefined();
    }
  });

  it("shows the holder every use proven against a checkpoint its witnesses cosigned, with the registry's witnesses", async () => {
    const page = HolderUsesPageSchema.parse(
      (await call(f.province('340000'), 'holder', `/v1/holder/uses?identifier=${identifier}`)).body,
    );
    const registry = f.province('340000').gateway.registry;

    expect(page.witnesses?.policy).toEqual(registry.witnessPolicy('310000'));
    expect(page.witnesses?.keys.map((k) => k.province).sort()).toEqual(['320000', '330000', '340000']);
    const proven = page.items.filter((u) => 'proof' in u && u.proof);
    expect(proven.length).toBeGreaterThan(0);
    for (const u of proven) {
      if (!('proof' in u) || !u.proof) continue;
      const status = witnessStatus(u.proof.checkpoint, {
        policy: registry.witnessPolicy('310000'),
        witnessKeys: (id) => registry.witnessKeys(id),
      });
      expect(status.witnessed).toBe(true);
      expect(u.proof.witnessed).toBe(true);
    }
  });

  it('stops growing once the calls stop: collecting cosignatures makes no checkpoint that needs more', async () => {
    const sizes = async () =>
      Promise.all(f.provinces.map(async (p) => (await p.gateway.logStore().head())?.treeSize ?? 0));
    // The queries of the tests above are real events: their checkpoints are witnessed, and the
    // cosignatures that makes are integrated where they were made (witnessing traffic, §19.4).
    for (let round = 0; round < 2; round++) for (const p of f.provinces) await settle(p);
    const before = await sizes();

    // Three more rounds of every sequencer, as the scheduled loops would run them when idle.
    for (let round = 0; round < 3; round++) for (const p of f.provinces) await settle(p);

    const after = await sizes();
    expect(after).toEqual(before);
    // Each log publishes its newest witnessed checkpoint, though its head adds witnessing traffic.
    const registry = f.province('310000').gateway.registry;
    for (const p of f.provinces) {
      const res = await fetch(`${p.url}/v1/audit/checkpoint`, {
        headers: { authorization: `Bearer ${p.tokens.auditor}` },
      });
      const note = await res.text();
      const status = witnessStatus(note, {
        policy: registry.witnessPolicy(p.id),
        witnessKeys: (id) => registry.witnessKeys(id),
      });
      expect(status.witnessed, `${p.id}: ${note}`).toBe(true);
    }
  });
});
