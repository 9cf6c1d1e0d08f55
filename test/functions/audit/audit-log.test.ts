import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventsPageSchema,
  type AuditedEvent,
  AuditedEventSchema,
  ConsistencyProofSchema,
  InclusionProofSchema,
} from '../../../contracts/audit-api.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { eventLeafHash } from '../../../lib/audit/log-leaf.ts';
import { verifyConsistency, verifyInclusion } from '../../../lib/audit/merkle.ts';
import { traceIdOf } from '../../../lib/ids.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { get, post, sampleIssue, testGateway } from '../../support/gateway.ts';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

/** One gateway whose log an auditor reads, with the helpers the cases share. */
async function auditedGateway() {
  const t = await testGateway();
  let auditor = '';
  const as = (path: string) => t.app.request(get(path, auditor));
  const issue = async (at: string) => {
    t.clock.set(at);
    const res = await t.app.request(post('/v1/licenses', sampleIssue(), await t.token('issuer')));
    return IssueResponseSchema.parse(await res.json()).identifier;
  };
  const eventOf = async (identifier: string) => {
    const res = await as(`/v1/audit/events?identifier=${identifier}`);
    const [event] = AuditEventsPageSchema.parse(await res.json()).items;
    if (!event) throw new Error(`no event for ${identifier}`);
    return event;
  };
  const auditKey = () => {
    const key = jwksOf(t.keys).keys.find((k) => k.purpose === 'audit');
    if (!key) throw new Error('no audit key');
    return key;
  };
  const checkpoint = async () => {
    const res = await as('/v1/audit/checkpoint');
    expect(res.status).toBe(200);
    const note = await res.text();
    return { note, ...verifyCheckpoint(note, auditKey(), auditOrigin('310000')) };
  };
  const sequence = () => integrate(t.gateway, { maxBatch: 500 });
  // Two licenses issued, nothing integrated yet; the auditor reads an hour later.
  const first = await issue('2026-06-01T08:00:00Z');
  await issue('2026-06-01T08:01:00Z');
  t.clock.set('2026-06-01T09:00:00Z');
  auditor = await t.token('auditor');
  return { t, first, as, issue, eventOf, auditKey, checkpoint, sequence };
}

describe('proving audit events with the Merkle log', () => {
  describe('before the sequencer has integrated anything', () => {
    let g: Awaited<ReturnType<typeof auditedGateway>>;

    beforeAll(async () => {
      g = await auditedGateway();
    });

    it('has no checkpoint, and no consistency proof, while the log is empty', async () => {
      const noted = await g.as('/v1/audit/checkpoint');
      const consistency = await g.as('/v1/audit/consistency?from=1&to=1');

      expect(noted.status).toBe(404);
      expect((await errorOf(noted)).code).toBe('NOT_FOUND');
      expect(consistency.status).toBe(400);
      expect((await errorOf(consistency)).code).toBe('INVALID_REQUEST');
    });

    it('answers 409 for an event not yet integrated and 404 for one that does not exist', async () => {
      const event = await g.eventOf(g.first);

      const pending = await g.as(`/v1/audit/events/${event.eventId}/proof`);
      const unknown = await g.as('/v1/audit/events/01KZZZZZZZZZZZZZZZZZZZZZZZ/proof');

      expect(pending.status).toBe(409);
      expect(await errorOf(pending)).toMatchObject({
        code: 'CONFLICT',
        message: 'not yet integrated into the log; retry shortly',
      });
      expect(event.leafIndex).toBeUndefined();
      expect(unknown.status).toBe(404);
      expect((await errorOf(unknown)).code).toBe('NOT_FOUND');
    });
  });

  describe('once the sequencer has integrated the events', () => {
    let g: Awaited<ReturnType<typeof auditedGateway>>;

    beforeAll(async () => {
      g = await auditedGateway();
      const report = await g.sequence();
      expect(report.treeSize).toBeGreaterThanOrEqual(2);
    });

    it('serves the latest checkpoint as a signed note in text', async () => {
      const report = await g.sequence();

      const res = await g.as('/v1/audit/checkpoint');

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const verified = verifyCheckpoint(await res.text(), g.auditKey(), auditOrigin('310000'));
      expect(verified.treeSize).toBe(report.treeSize);
      expect(verified.treeSize).toBeGreaterThanOrEqual(2);
    });

    it('proves an integrated event into the signed checkpoint, with its leaf index on the event', async () => {
      const head = await g.checkpoint();
      const listed = await g.eventOf(g.first);

      const res = await g.as(`/v1/audit/events/${listed.eventId}/proof`);
      const read = AuditedEventSchema.parse(await (await g.as(`/v1/audit/events/${listed.eventId}`)).json());

      expect(res.status).toBe(200);
      const proof = InclusionProofSchema.parse(await res.json());
      expect(proof.treeSize).toBe(head.treeSize);
      expect(proof.checkpoint).toBe(head.note);
      expect(proof.leafHash).toBe(Buffer.from(eventLeafHash(read)).toString('base64'));
      expect(
        verifyInclusion(
          proof.index,
          proof.treeSize,
          eventLeafHash(read),
          proof.proof.map(b64),
          head.rootHash,
        ),
      ).toBe(true);
      expect(read.leafIndex).toBe(proof.index);
      expect(listed.leafIndex).toBe(proof.index);
    });

    it('proves the log only grew between two checkpoints', async () => {
      const before = await g.checkpoint();
      await g.issue('2026-06-01T09:10:00Z');
      await g.issue('2026-06-01T09:11:00Z');
      g.t.clock.set('2026-06-01T09:20:00Z');
      await g.sequence();
      const after = await g.checkpoint();

      const res = await g.as(`/v1/audit/consistency?from=${before.treeSize}&to=${after.treeSize}`);

      expect(res.status).toBe(200);
      const proof = ConsistencyProofSchema.parse(await res.json());
      expect(proof).toMatchObject({ from: before.treeSize, to: after.treeSize, checkpoint: after.note });
      expect(after.treeSize).toBeGreaterThan(before.treeSize);
      expect(
        verifyConsistency(
          before.treeSize,
          after.treeSize,
          proof.proof.map(b64),
          before.rootHash,
          after.rootHash,
        ),
      ).toBe(true);
    });

    it.each([
      ['a size of zero', 'from=0&to=1'],
      ['a size that is no number', 'from=one&to=2'],
      ['inverted sizes', 'from=3&to=2'],
      ['a missing size', 'from=1'],
      ['a size beyond the tree', 'from=1&to=1000000'],
      ['an unknown parameter', 'from=1&to=1&root=x'],
    ])('refuses a consistency query with %s as 400 INVALID_REQUEST', async (_, query) => {
      const res = await g.as(`/v1/audit/consistency?${query}`);

      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('INVALID_REQUEST');
    });

    it('audits every proof, checkpoint and consistency query', async () => {
      const head = await g.checkpoint();
      const event = await g.eventOf(g.first);
      const answers = [
        await g.as(`/v1/audit/events/${event.eventId}/proof`),
        await g.as('/v1/audit/checkpoint'),
        await g.as(`/v1/audit/consistency?from=1&to=${head.treeSize}`),
      ];

      const trail = (await g.t.scan('audit')).map((e) => AuditedEventSchema.parse(e));
      const of = (res: Response) =>
        trail.filter(
          (e: AuditedEvent) => e.traceId === traceIdOf(res.headers.get('traceparent') ?? undefined),
        );
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(answers.map((r) => of(r))).toMatchObject([
        [{ action: 'audit.query', outcome: 'success', details: { query: 'proof', eventId: event.eventId } }],
        [
          {
            action: 'audit.query',
            outcome: 'success',
            details: { query: 'checkpoint', treeSize: head.treeSize },
          },
        ],
        [
          {
            action: 'audit.query',
            outcome: 'success',
            details: { query: 'consistency', from: 1, to: head.treeSize },
          },
        ],
      ]);
    });
  });
});
