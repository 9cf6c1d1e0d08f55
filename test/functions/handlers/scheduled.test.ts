import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AgreementViewSchema } from '../../../contracts/agreement.ts';
import { AuditAction } from '../../../contracts/audit.ts';
import { InteropReviewDecisionSchema } from '../../../contracts/reviews.ts';
import { oldestPendingAgeSeconds, ulidTime } from '../../../functions/sequencer/lag.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { newTraceId, ulid } from '../../../lib/ids.ts';
import { todayCst } from '../../../lib/license/validity.ts';
import { emfDocument } from '../../../lib/metrics/emf.ts';
import { BreakerMetric, REVIEWS_METRICS_NAMESPACE } from '../../../lib/metrics/names.ts';
import type { StoredReview, StoredWait } from '../../../lib/reviews/records.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { ReportStore } from '../../../lib/store/report-store.ts';
import { ReviewStore } from '../../../lib/store/review-store.ts';
import { SHANGHAI_DEPT, sampleIssue, unknownIdentifier } from '../../support/gateway.ts';
import {
  httpApiEvent,
  httpFunction,
  type Invoke,
  lambdaContext,
  type Scheduled,
  scheduledEvent,
  scheduledFunction,
} from './apigw.ts';
import { SH, startWorld, type World, ZJ } from './world.ts';

/** A CloudWatch Embedded Metric Format document, with its members. */
const EmfSchema = z.looseObject({
  _aws: z.strictObject({
    Timestamp: z.number().int(),
    CloudWatchMetrics: z.array(
      z.strictObject({
        Namespace: z.string(),
        Dimensions: z.array(z.array(z.string())),
        Metrics: z.array(z.strictObject({ Name: z.string(), Unit: z.string() })),
      }),
    ),
  }),
});

describe('the scheduled functions, invoked by EventBridge', () => {
  let world: World;
  let issuance: Invoke;
  let agreements: Invoke;
  let sequencer: Scheduled;
  let delivery: Scheduled;
  let reportDelivery: Scheduled;
  let reviewDelivery: Scheduled;

  beforeAll(async () => {
    world = await startWorld();
    issuance = await httpFunction('issuance', world);
    agreements = await httpFunction('agreements', world);
    sequencer = await scheduledFunction('sequencer', world);
    delivery = await scheduledFunction('delivery', world);
    reportDelivery = await scheduledFunction('report-delivery', world);
    reviewDelivery = await scheduledFunction('review-delivery', world);
  });
  afterAll(async () => {
    await world?.stop();
  });

  const issue = async (number: string) => {
    const res = await issuance(
      httpApiEvent({
        method: 'POST',
        path: '/v1/licenses',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await world.token('issuer')}`,
        },
        body: JSON.stringify(sampleIssue({ number })),
      }),
    );
    expect(res.statusCode).toBe(201);
  };

  const events = async () =>
    (await world.doc.send(new ScanCommand({ TableName: world.tables.audit, ConsistentRead: true }))).Items ??
    [];

  /** Runs the sequencer as EventBridge does; returns what it answered and the EMF lines it wrote. */
  async function runSequencer() {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let report: unknown;
    try {
      report = await sequencer(scheduledEvent('elg-310000-sequencer'), lambdaContext('sequencer'));
    } finally {
      spy.mockRestore();
    }
    const emf = lines.filter((l) => l.startsWith('{"_aws"')).map((l) => EmfSchema.parse(JSON.parse(l)));
    expect(emf).toHaveLength(1);
    return { report, emf: emf[0] };
  }

  /**
   * Integrates whatever earlier cases left waiting (as the operator, not through the function under
   * test), so that a case starts with nothing pending and counts only what it adds.
   */
  async function drainPending() {
    const report = await integrate(await world.operator(), {});
    expect(report.outcome).not.toBe('busy');
    expect((await events()).filter((e) => e.leafIndex === undefined)).toEqual([]);
  }

  describe('sequencer', () => {
    it('integrates the waiting events, signs a checkpoint with the KMS audit key and reports the lag metrics', async () => {
      const log = new LogStore(world.doc, world.tables.log);
      // Other cases may have grown the log already: the tree grows from where it stands.
      const sizeBefore = (await log.head())?.treeSize ?? 0;
      await issue('沪建安A(2026)000201');
      await issue('沪建安A(2026)000202');
      const waiting = (await events()).filter((e) => e.leafIndex === undefined).length;
      expect(waiting).toBeGreaterThanOrEqual(2);

      const { report, emf } = await runSequencer();

      expect(report).toMatchObject({
        outcome: 'integrated',
        integrated: waiting,
        treeSize: sizeBefore + waiting,
      });
      expect((await events()).every((e) => typeof e.leafIndex === 'number')).toBe(true);
      const head = await log.head();
      const checkpoint = verifyCheckpoint(head?.note ?? '', world.keys.audit.publicJwk, auditOrigin(SH));
      expect(checkpoint.treeSize).toBe(sizeBefore + waiting);
      expect(emf?._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: 'ELG/Audit',
          Dimensions: [['Province']],
          Metrics: [
            { Name: 'OldestPendingAgeSeconds', Unit: 'Seconds' },
            { Name: 'EventsIntegrated', Unit: 'Count' },
          ],
        },
      ]);
      expect(emf).toMatchObject({ Province: SH, OldestPendingAgeSeconds: 0, EventsIntegrated: waiting });
    });

    it('reports how long the oldest event has waited while another sequencer holds the log', async () => {
      await drainPending();
      const g = await world.operator();
      const old = auditEvent(
        { province: SH, traceId: newTraceId(), action: 'verify', outcome: 'success' },
        new Date(Date.now() - 90_000),
      );
      await g.auditStore.write(old);
      await issue('沪建安A(2026)000203');
      const log = new LogStore(world.doc, world.tables.log);
      expect(await log.acquireLease('another-sequencer', new Date(), 60_000)).toBe(true);

      const before = Date.now();
      const busy = await runSequencer();
      const after = Date.now();

      expect(busy.report).toMatchObject({ outcome: 'busy', integrated: 0 });
      expect(busy.emf?.EventsIntegrated).toBe(0);
      const age = Number(busy.emf?.OldestPendingAgeSeconds);
      expect(age).toBeGreaterThanOrEqual(Math.floor((before - ulidTime(old.eventId)) / 1000));
      expect(age).toBeLessThanOrEqual(Math.floor((after - ulidTime(old.eventId)) / 1000));
      expect(age).toBeGreaterThanOrEqual(90);

      await log.releaseLease('another-sequencer');
      const caughtUp = await runSequencer();
      expect(caughtUp.report).toMatchObject({ outcome: 'integrated', integrated: 2 });
      expect(caughtUp.emf).toMatchObject({ OldestPendingAgeSeconds: 0, EventsIntegrated: 2 });
    });

    it('measures from the oldest event still waiting, past events the lagging index still lists', async () => {
      await drainPending();
      const g = await world.operator();
      // Integrated an hour ago, but still in the pending index as an eventually consistent index may show it.
      const stale = auditEvent(
        { province: SH, traceId: newTraceId(), action: 'verify', outcome: 'success' },
        new Date(Date.now() - 3_600_000),
      );
      await world.doc.send(
        new PutCommand({
          TableName: world.tables.audit,
          Item: { ...stale, pendingShard: 'P3', leafIndex: 999 },
        }),
      );
      const waiting = auditEvent(
        { province: SH, traceId: newTraceId(), action: 'verify', outcome: 'success' },
        new Date(Date.now() - 30_000),
      );
      await g.auditStore.write(waiting);

      const before = Date.now();
      const age = await oldestPendingAgeSeconds(g);
      const after = Date.now();

      expect(age).toBeGreaterThanOrEqual(Math.floor((before - ulidTime(waiting.eventId)) / 1000));
      expect(age).toBeLessThanOrEqual(Math.floor((after - ulidTime(waiting.eventId)) / 1000));
    });

    it('reads the time of a ULID event id back to the millisecond', () => {
      const at = new Date('2026-06-01T08:00:00.123Z');

      expect(ulidTime(ulid(at))).toBe(at.getTime());
      expect(() => ulidTime('not-a-ulid')).toThrow(TypeError);
    });

    it('never writes a metric CloudWatch would drop', () => {
      const set = (value: number) => ({
        namespace: 'ELG/Audit',
        dimensions: { Province: SH },
        metrics: [{ name: 'EventsIntegrated', unit: 'Count' as const, value }],
        timestamp: new Date(0),
      });

      expect(emfDocument(set(3))).toMatchObject({ Province: SH, EventsIntegrated: 3 });
      expect(() => emfDocument(set(Number.NaN))).toThrow(TypeError);
      expect(() => emfDocument({ ...set(1), metrics: [] })).toThrow(TypeError);
    });
  });

  describe('delivery', () => {
    it("sends an operator's proposal to the other party with a signed call", async () => {
      const from = todayCst(new Date());
      const res = await agreements(
        httpApiEvent({
          method: 'POST',
          path: '/v1/agreements',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await world.token('operator')}`,
          },
          body: JSON.stringify({
            name: '沪浙证照核验协议',
            parties: [SH, ZJ],
            grants: [
              {
                grantor: '*',
                grantee: '*',
                actions: ['verify'],
                licenseTypes: ['*'],
                matterCodes: ['*'],
                maxDataLevel: 1,
              },
            ],
            validFrom: from,
            validUntil: `${Number(from.slice(0, 4)) + 1}${from.slice(4)}`,
          }),
        }),
      );
      expect(res.statusCode).toBe(201);
      const proposed = AgreementViewSchema.parse(JSON.parse(res.body));
      expect(await world.peer.gateway.agreements.get(proposed.id)).toBeUndefined();

      const sent = await delivery(scheduledEvent('elg-310000-delivery'), lambdaContext('delivery'));

      expect(sent).toEqual({ attempted: 1, delivered: 1, failed: 0 });
      const held = await world.peer.gateway.agreements.get(proposed.id);
      expect(held?.document).toMatchObject({ id: proposed.id, name: proposed.name, proposer: SH });
      expect(held?.signatures.map((s) => s.party)).toEqual([SH]);
      expect(await delivery(scheduledEvent('elg-310000-delivery'), lambdaContext('delivery'))).toEqual({
        attempted: 0,
        delivered: 0,
        failed: 0,
      });
    });
  });

  describe('report-delivery', () => {
    it('expands a change into its notices and publishes the count of overdue reports', async () => {
      const store = new ReportStore(
        world.doc,
        world.tables.reports,
        new AuditStore(world.doc, world.tables.audit),
      );
      const now = new Date();
      const overdue = (dueDate: string) => ({
        reportId: `${SH}-${ulid(now)}`,
        filingId: ulid(now),
        identifier: unknownIdentifier(),
        licenseKey: 'k',
        issuerUscc: SHANGHAI_DEPT.uscc,
        fields: [{ path: 'holder.name', problem: '错字' }],
        description: '逾期未办',
        reporter: { province: ZJ, kind: 'platform' as const, platform: '浙江省政务服务平台' },
        receivedAt: now.toISOString(),
        dueDate,
        state: 'open' as const,
      });
      await store.receive({ report: overdue('2026-01-05') });
      await store.receive({ report: overdue('2026-01-06') });
      await store.receive({ report: overdue('2999-01-06') });

      const lines: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      let report: unknown;
      try {
        report = await reportDelivery(
          scheduledEvent('elg-310000-report-delivery'),
          lambdaContext('report-delivery'),
        );
      } finally {
        spy.mockRestore();
      }
      expect(report).toMatchObject({ failed: 0 });
      const emf = lines.filter((l) => l.startsWith('{"_aws"')).map((l) => EmfSchema.parse(JSON.parse(l)));
      expect(emf).toHaveLength(1);
      expect(emf[0]).toMatchObject({
        _aws: {
          CloudWatchMetrics: [
            { Namespace: 'ELG/Reports', Metrics: [{ Name: 'ReportsOverdue', Unit: 'Count' }] },
          ],
        },
        Province: SH,
        ReportsOverdue: 2,
      });
    });
  });

  describe('review-delivery', () => {
    it('expires a held review past its 72 h, delivers the expiry to the caller and publishes the open breakers', async () => {
      const store = new ReviewStore(
        world.doc,
        world.tables.reviews,
        new AuditStore(world.doc, world.tables.audit),
      );
      const HOUR = 3_600_000;
      const now = Date.now();
      const createdAt = new Date(now - 73 * HOUR);
      const expiresAt = new Date(now - HOUR);
      const identifier = unknownIdentifier({ serial: `REV${now}` });
      const traceId = newTraceId();
      // Held here (310000 grants) for 330000's verification three days ago, never decided.
      const held: StoredReview = {
        reviewId: `${SH}-${ulid(createdAt)}`,
        state: 'pending',
        caller: ZJ,
        request: {
          identifier,
          matterCode: 'ZJ-0001',
          useCause: '跨省核验',
          requester: { platform: '浙江省政务服务平台' },
          dataLevel: 3,
        },
        licenseType: '11100000000013338W032',
        dataLevel: 3,
        agreementId: 'agreement-1',
        heldBecause: 'policy',
        approvalsNeeded: 2,
        decisions: [],
        createdAt: createdAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        traceId,
      };
      await store.hold(
        held,
        auditEvent(
          {
            province: SH,
            traceId,
            action: AuditAction.reviewHold,
            outcome: 'success',
            identifier,
            peer: ZJ,
            details: { reviewId: held.reviewId },
          },
          createdAt,
        ),
      );
      // The caller's wait for it (§18.5), so that the expiry delivered there is one it awaits.
      const wait: StoredWait = {
        reviewId: held.reviewId,
        issuer: SH,
        identifier,
        matterCode: held.request.matterCode,
        platform: held.request.requester.platform,
        requestedAt: held.createdAt,
        expiresAt: held.expiresAt,
        state: 'pending',
      };
      await world.peer.gateway.reviews.storeWait(
        wait,
        auditEvent(
          {
            province: ZJ,
            traceId,
            action: AuditAction.verify,
            outcome: 'success',
            identifier,
            peer: SH,
            details: { reviewId: held.reviewId },
          },
          createdAt,
        ),
      );
      // One calling province cut off, another released: the gauge counts the open one.
      const breaker = (peer: string, state: 'open' | 'closed') =>
        store.setBreaker(
          { peer, state, generation: 1, trippedBecause: 'rate', trippedAt: createdAt.toISOString() },
          undefined,
          auditEvent(
            {
              province: SH,
              traceId: newTraceId(),
              action: AuditAction.breakerTrip,
              outcome: 'success',
              peer,
            },
            createdAt,
          ),
        );
      expect(await breaker('320000', 'open')).toBe('stored');
      expect(await breaker('340000', 'closed')).toBe('stored');

      const lines: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      let report: unknown;
      try {
        report = await reviewDelivery(
          scheduledEvent('elg-310000-review-delivery'),
          lambdaContext('review-delivery'),
        );
      } finally {
        spy.mockRestore();
      }

      expect(report).toMatchObject({ expired: 1, delivered: 1, failed: 0 });
      const expired = await store.review(held.reviewId);
      expect(expired).toMatchObject({ state: 'expired', decisions: [] });
      expect(Date.parse(expired?.decidedAt ?? '')).toBeGreaterThanOrEqual(now);
      expect(await store.expiring(new Date(), 25)).toEqual([]);
      // Delivered, so nothing is left in the outbox; the caller holds the expiry with its signature
      // (accepted only as a signed call of 310000).
      expect(await store.outbox.pending()).toEqual([]);
      const received = await world.peer.gateway.reviews.wait(held.reviewId);
      expect(received).toMatchObject({ state: 'expired', issuer: SH });
      expect(InteropReviewDecisionSchema.parse(JSON.parse(received?.decisionBody ?? ''))).toMatchObject({
        reviewId: held.reviewId,
        identifier,
        outcome: 'expired',
      });
      expect(received?.decisionSignature).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/);
      // Its review.expire event, in the trace of the call that was held.
      const expiry = (await events()).filter(
        (e) => e.action === AuditAction.reviewExpire && e.details?.reviewId === held.reviewId,
      );
      expect(expiry).toEqual([expect.objectContaining({ traceId, peer: ZJ, identifier })]);

      // Exactly one EMF line with the gauge of open breakers, for this province; whatever else the
      // run counts (its expiries) goes to the same namespace and dimension, on lines of its own.
      const emf = lines.filter((l) => l.startsWith('{"_aws"')).map((l) => EmfSchema.parse(JSON.parse(l)));
      const gauges = emf.filter((d) =>
        d._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === BreakerMetric.open)),
      );
      expect(gauges).toHaveLength(1);
      expect(gauges[0]?._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: REVIEWS_METRICS_NAMESPACE,
          Dimensions: [['Province']],
          Metrics: [{ Name: BreakerMetric.open, Unit: 'Count' }],
        },
      ]);
      expect(gauges[0]).toMatchObject({ Province: SH, [BreakerMetric.open]: 1 });
      for (const d of emf) {
        expect(d._aws.CloudWatchMetrics.map((m) => [m.Namespace, m.Dimensions])).toEqual([
          [REVIEWS_METRICS_NAMESPACE, [['Province']]],
        ]);
        expect(d.Province).toBe(SH);
      }

      // The next run finds nothing to expire or send, and counts the same breakers.
      const again: string[] = [];
      const spyAgain = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        again.push(String(chunk));
        return true;
      });
      try {
        expect(
          await reviewDelivery(
            scheduledEvent('elg-310000-review-delivery'),
            lambdaContext('review-delivery'),
          ),
        ).toEqual({ attempted: 0, delivered: 0, failed: 0, expired: 0 });
      } finally {
        spyAgain.mockRestore();
      }
      // Only the gauge this time: nothing expired.
      expect(again.filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({ Province: SH, [BreakerMetric.open]: 1 }),
      ]);
    });
  });
});
