import { randomBytes } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditAction, type AuditEvent } from '../../../contracts/audit.ts';
import { buildIdentifier } from '../../../contracts/codes/index.ts';
import type { Decision, InteropReviewDecision } from '../../../contracts/reviews.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { InvalidRequestError } from '../../../lib/errors.ts';
import { newTraceId, ulid } from '../../../lib/ids.ts';
import type {
  DecisionDelivery,
  StoredBreaker,
  StoredPolicy,
  StoredReview,
  StoredWait,
} from '../../../lib/reviews/records.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { ReviewStore } from '../../../lib/store/review-store.ts';
import { type TableNames, tableNames } from '../../../lib/store/tables.ts';
import { transact } from '../../../lib/store/transact.ts';

/**
 * The reviews table against DynamoDB Local (docs/protocol.md §18.6): every case reads back the
 * items it expects the store to have written, or not written.
 */

const SHANGHAI = '310000';
const ZHEJIANG = '330000';
const JIANGSU = '320000';
const SHANGHAI_USCC = '113100000024601315';
const TYPE_CODE = '11100000000013338W032';
const TX = { what: 'test', attempts: 1, exhausted: (cause: unknown) => cause as Error };

const identifier = (serial = 'S1', version = '001') =>
  buildIdentifier({ typeCode: TYPE_CODE, issuerCode: SHANGHAI_USCC, serial, version });

let doc: DynamoDBDocumentClient;
let names: TableNames;
let store: ReviewStore;
let sent: string[];
/** A one-shot step run just before the store's next command of that name goes out. */
let before: Record<string, () => Promise<void>>;

beforeAll(() => {
  doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
});

afterAll(() => doc.destroy());

/** Fresh tables for every case: the `PENDING`, `DECIDED`, `BREAKERS` and `DLV` partitions are shared. */
beforeEach(async () => {
  names = tableNames(`rev${process.pid}-${randomBytes(4).toString('hex')}`);
  await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
  sent = [];
  before = {};
  // Counts the requests the store sends, by command, and runs the step set for one.
  const counted = new Proxy(doc, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name;
        sent.push(name);
        const step = before[name];
        if (step) {
          delete before[name];
          await step();
        }
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  store = new ReviewStore(counted, names.reviews, new AuditStore(counted, names.audit));
});

function review(overrides: Partial<StoredReview> = {}): StoredReview {
  return {
    reviewId: `${SHANGHAI}-${ulid()}`,
    state: 'pending',
    caller: ZHEJIANG,
    request: {
      identifier: identifier(),
      matterCode: 'ZJ-0001',
      useCause: 'business licence check',
      requester: { platform: 'zj-window', officerRef: 'officer-7' },
      dataLevel: 3,
    },
    licenseType: TYPE_CODE,
    dataLevel: 3,
    agreementId: 'agreement-1',
    heldBecause: 'policy',
    approvalsNeeded: 2,
    decisions: [],
    createdAt: '2026-06-01T08:00:00.000Z',
    expiresAt: '2026-06-04T08:00:00.000Z',
    traceId: newTraceId(),
    ...overrides,
  };
}

function decision(reviewer: string, overrides: Partial<Decision> = {}): Decision {
  return {
    decision: 'approve',
    reason: 'the use is lawful',
    reviewer,
    at: '2026-06-01T09:00:00.000Z',
    ...overrides,
  };
}

/** `from` with one more decision: still pending, or ended at that decision's time. */
function decided(from: StoredReview, d: Decision, state: StoredReview['state'] = 'pending'): StoredReview {
  return {
    ...from,
    state,
    decisions: [...from.decisions, d],
    ...(state === 'pending' ? {} : { decidedAt: d.at }),
  };
}

function delivery(reviewId: string, overrides: Partial<DecisionDelivery> = {}): DecisionDelivery {
  return {
    deliveryId: ulid(),
    to: ZHEJIANG,
    path: '/v1/interop/review-decisions',
    body: '{}',
    traceId: newTraceId(),
    attempts: 0,
    nextAttemptAt: '2026-06-01T09:00:00.000Z',
    createdAt: '2026-06-01T09:00:00.000Z',
    kind: 'decision',
    reviewId,
    ...overrides,
  };
}

function policy(version: number, overrides: Partial<StoredPolicy> = {}): StoredPolicy {
  return {
    rules: [{ minDataLevel: 3 }, { matterCodes: ['ZJ-0001'], peers: [ZHEJIANG] }],
    updatedAt: '2026-06-01T08:00:00.000Z',
    updatedBy: 'operator@test',
    version,
    ...overrides,
  };
}

function breaker(peer: string, generation: number, overrides: Partial<StoredBreaker> = {}): StoredBreaker {
  return {
    peer,
    state: 'open',
    trippedBecause: 'not-found-share',
    trippedAt: '2026-06-01T08:10:00.000Z',
    counts: { calls: 60, notFound: 40, windowMinutes: 10 },
    generation,
    ...overrides,
  };
}

function wait(overrides: Partial<StoredWait> = {}): StoredWait {
  return {
    reviewId: `${ZHEJIANG}-${ulid()}`,
    issuer: ZHEJIANG,
    identifier: identifier(),
    matterCode: 'SH-0001',
    platform: 'sh-window',
    requestedAt: '2026-06-01T08:00:00.000Z',
    expiresAt: '2026-06-04T08:00:00.000Z',
    state: 'pending',
    ...overrides,
  };
}

/**
 * Review actions are not audit actions of the contract yet: the store writes whatever event it
 * is given, so an existing action stands in for them.
 */
function event(peer?: string): AuditEvent {
  return auditEvent(
    {
      province: SHANGHAI,
      traceId: newTraceId(),
      action: AuditAction.interopVerify,
      outcome: 'success',
      ...(peer ? { peer } : {}),
    },
    new Date('2026-06-01T08:00:00Z'),
  );
}

async function item(pk: string, sk: string) {
  const out = await doc.send(
    new GetCommand({ TableName: names.reviews, Key: { pk, sk }, ConsistentRead: true }),
  );
  return out.Item;
}

async function partition(pk: string) {
  const out = await doc.send(
    new QueryCommand({
      TableName: names.reviews,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

async function storedEvent(e: AuditEvent) {
  const out = await doc.send(
    new GetCommand({ TableName: names.audit, Key: { eventId: e.eventId }, ConsistentRead: true }),
  );
  return out.Item;
}

/** Every page of a listing, `limit` at a time, and how many pages it took. */
async function allPages<T>(
  list: (after: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await list(after);
    pages++;
    items.push(...page.items);
    if (page.next !== undefined) expect(page.next).toMatch(/^[0-9A-Za-z_-]{1,300}$/);
    after = page.next;
  } while (after !== undefined);
  return { items, pages };
}

async function refusedCursor(pending: Promise<unknown>) {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidRequestError);
  expect(err).toMatchObject({ status: 400, issues: [{ path: ['cursor'] }] });
}

describe('the review policy', () => {
  it('is stored over the version read with its event; a change over another version conflicts', async () => {
    expect(await store.policy()).toBeUndefined();
    const first = policy(1);
    const firstEvent = event();

    expect(await store.putPolicy(first, undefined, firstEvent)).toBe('stored');

    expect(await store.policy()).toEqual(first);
    expect(await item('POLICY', 'DOC')).toEqual({ pk: 'POLICY', sk: 'DOC', ...first });
    expect(await storedEvent(firstEvent)).toMatchObject({ eventId: firstEvent.eventId });

    // Another writer that also read no policy comes second.
    const lost = event();
    expect(await store.putPolicy(policy(1, { rules: [] }), undefined, lost)).toBe('conflict');
    expect(await storedEvent(lost)).toBeUndefined();

    const second = policy(2, {
      rules: [],
      breaker: {
        callsPerMinute: 100,
        notFoundShare: 0.5,
        windowMinutes: 5,
        minCalls: 10,
        whenOpen: 'review',
      },
      updatedBy: 'other@test',
    });
    expect(await store.putPolicy(second, 1, event())).toBe('stored');
    expect(await store.policy()).toEqual(second);

    // Over a version no longer stored.
    const stale = event();
    expect(await store.putPolicy(policy(2), 1, stale)).toBe('conflict');
    expect(await storedEvent(stale)).toBeUndefined();
    expect(await store.policy()).toEqual(second);

    // A version that does not go up is a bug of the caller, refused before anything is sent.
    sent.length = 0;
    await expect(store.putPolicy(policy(2), 2, event())).rejects.toBeInstanceOf(TypeError);
    expect(sent).toEqual([]);
  });
});

describe('a held request', () => {
  it('is stored with its queue copy and event; read back by id', async () => {
    const r = review();
    const holdEvent = event(ZHEJIANG);

    await store.hold(r, holdEvent);

    expect(await store.review(r.reviewId)).toEqual(r);
    expect(await item(`REV#${r.reviewId}`, 'DOC')).toEqual({
      pk: `REV#${r.reviewId}`,
      sk: 'DOC',
      ...r,
      decisionCount: 0,
    });
    expect(await partition('PENDING')).toEqual([{ pk: 'PENDING', sk: `${r.expiresAt}#${r.reviewId}`, ...r }]);
    expect(await storedEvent(holdEvent)).toMatchObject({ eventId: holdEvent.eventId });
    expect(await store.review(`${SHANGHAI}-${ulid()}`)).toBeUndefined();

    // A review id is held once.
    const again = event(ZHEJIANG);
    await expect(store.hold({ ...r, dataLevel: 2 }, again)).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
    expect(await storedEvent(again)).toBeUndefined();
    expect(await store.review(r.reviewId)).toEqual(r);
  });
});

describe('the pending queue', () => {
  it('lists pending reviews by expiry, in pages that join without gaps, one query a page', async () => {
    const hours = [30, 5, 50, 12, 1];
    const held = hours.map((h) => review({ expiresAt: new Date(Date.UTC(2026, 5, 1, h)).toISOString() }));
    for (const r of held) await store.hold(r, event());
    const byExpiry = [...held].sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
    sent.length = 0;

    const { items, pages } = await allPages((after) =>
      store.pending({ limit: 2, ...(after ? { after } : {}) }),
    );

    expect(items).toEqual(byExpiry);
    expect(pages).toBe(3);
    expect(sent).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand']);
    const exact = await store.pending({ limit: 5 });
    expect(exact.items).toHaveLength(5);
    expect(exact.next).toBeUndefined();
    expect(await store.decided({ limit: 5 })).toEqual({ items: [] });

    // A made-up cursor, one that is no base64url, and one of a sort key no listing has are 400.
    await refusedCursor(store.pending({ limit: 2, after: 'bm9wZQ' }));
    await refusedCursor(store.pending({ limit: 2, after: 'not a cursor!' }));
    await refusedCursor(
      store.decided({ limit: 2, after: Buffer.from(`REV#${held[0]?.reviewId}`).toString('base64url') }),
    );
  });

  it('gives the reviews due at a time, oldest first, up to a limit', async () => {
    const now = new Date('2026-06-04T08:00:00.000Z');
    const early = review({ expiresAt: '2026-06-04T07:00:00.000Z' });
    // The same instant as `now`, written without milliseconds: its key is `toISOString()`'s.
    const exact = review({ expiresAt: '2026-06-04T08:00:00Z' });
    const late = review({ expiresAt: '2026-06-04T08:00:00.001Z' });
    for (const r of [late, exact, early]) await store.hold(r, event());

    expect(await store.expiring(now, 10)).toEqual([early, exact]);
    expect(await store.expiring(now, 1)).toEqual([early]);
    expect(await store.expiring(new Date('2026-06-04T06:00:00.000Z'), 10)).toEqual([]);
    expect((await item('PENDING', `2026-06-04T08:00:00.000Z#${exact.reviewId}`))?.expiresAt).toBe(
      '2026-06-04T08:00:00Z',
    );
  });
});

describe('deciding a review', () => {
  it('a first approval of two stays pending: the review and its queue copy show it, nothing delivered', async () => {
    const from = review();
    await store.hold(from, event());
    const to = decided(from, decision('alice'));
    const audit = event(ZHEJIANG);

    expect(await store.decide({ from, to, audit })).toBe('stored');

    expect(await store.review(from.reviewId)).toEqual(to);
    expect(await item(`REV#${from.reviewId}`, 'DOC')).toMatchObject({ decisionCount: 1 });
    expect(await partition('PENDING')).toEqual([
      { pk: 'PENDING', sk: `${from.expiresAt}#${from.reviewId}`, ...to },
    ]);
    expect(await partition('DECIDED')).toEqual([]);
    expect(await store.outbox.pending()).toEqual([]);
    expect(await storedEvent(audit)).toBeDefined();

    // The second approval ends it: out of PENDING, into DECIDED, with its delivery.
    const approved = decided(to, decision('bob', { at: '2026-06-01T10:00:00.000Z' }), 'approved');
    const out = delivery(from.reviewId);
    expect(await store.decide({ from: to, to: approved, delivery: out, audit: event(ZHEJIANG) })).toBe(
      'stored',
    );

    expect(await store.review(from.reviewId)).toEqual(approved);
    expect(await item(`REV#${from.reviewId}`, 'DOC')).toMatchObject({ decisionCount: 2, state: 'approved' });
    expect(await partition('PENDING')).toEqual([]);
    expect(await partition('DECIDED')).toEqual([
      { pk: 'DECIDED', sk: `2026-06-01T10:00:00.000Z#${from.reviewId}`, ...approved },
    ]);
    expect(await store.outbox.pending()).toEqual([out]);
    expect(await store.pending({ limit: 10 })).toEqual({ items: [] });
    expect(await store.decided({ limit: 10 })).toEqual({ items: [approved] });
  });

  it('over a review that changed meanwhile conflicts and writes nothing', async () => {
    const from = review({ approvalsNeeded: 1 });
    await store.hold(from, event());
    const first = decided(from, decision('alice', { decision: 'reject', reason: 'no' }), 'rejected');
    expect(await store.decide({ from, to: first, delivery: delivery(from.reviewId), audit: event() })).toBe(
      'stored',
    );

    // Another reviewer decided on the review as it was before.
    const late = decided(from, decision('bob'), 'approved');
    const lateEvent = event();
    const lateDelivery = delivery(from.reviewId);
    expect(await store.decide({ from, to: late, delivery: lateDelivery, audit: lateEvent })).toBe('conflict');
    // The expiry job read it pending too.
    const expired: StoredReview = { ...from, state: 'expired', decidedAt: '2026-06-04T08:00:00.000Z' };
    expect(await store.decide({ from, to: expired, delivery: delivery(from.reviewId), audit: event() })).toBe(
      'conflict',
    );

    expect(await store.review(from.reviewId)).toEqual(first);
    expect(await partition('DECIDED')).toEqual([
      { pk: 'DECIDED', sk: `${first.decidedAt}#${from.reviewId}`, ...first },
    ]);
    expect(await store.outbox.pending()).toHaveLength(1);
    expect(await storedEvent(lateEvent)).toBeUndefined();
  });

  it('by two reviewers at once: one decision is stored, the other conflicts, none is lost', async () => {
    const from = review();
    await store.hold(from, event());
    const byAlice = decided(from, decision('alice'));
    const byBob = decided(from, decision('bob'));
    const events = [event(), event()];

    const answers = await Promise.all([
      store.decide({ from, to: byAlice, audit: events[0] as AuditEvent }),
      store.decide({ from, to: byBob, audit: events[1] as AuditEvent }),
    ]);

    expect([...answers].sort()).toEqual(['conflict', 'stored']);
    const winner = answers[0] === 'stored' ? byAlice : byBob;
    expect(await store.review(from.reviewId)).toEqual(winner);
    expect((await store.pending({ limit: 10 })).items).toEqual([winner]);
    const stored = await Promise.all(events.map(storedEvent));
    expect(stored.filter((e) => e !== undefined)).toHaveLength(1);

    // The loser reads it again and adds its decision over the winner's: both are kept.
    const loser = answers[0] === 'stored' ? decision('bob') : decision('alice');
    const both = decided(winner, loser, 'approved');
    expect(
      await store.decide({ from: winner, to: both, delivery: delivery(from.reviewId), audit: event() }),
    ).toBe('stored');
    expect((await store.review(from.reviewId))?.decisions).toHaveLength(2);
  });

  it('an expiry moves it to DECIDED with its delivery, like a decision', async () => {
    const from = review();
    await store.hold(from, event());
    const expired: StoredReview = { ...from, state: 'expired', decidedAt: '2026-06-04T08:00:00.000Z' };
    const out = delivery(from.reviewId);

    expect(await store.decide({ from, to: expired, delivery: out, audit: event() })).toBe('stored');

    expect(await store.review(from.reviewId)).toEqual(expired);
    expect(await store.expiring(new Date('2026-06-05T00:00:00.000Z'), 10)).toEqual([]);
    expect((await store.decided({ limit: 10 })).items).toEqual([expired]);
    expect(await store.outbox.pending()).toEqual([out]);
  });

  it('refuses changes that do not keep the review, before sending anything', async () => {
    const from = review();
    await store.hold(from, event());
    sent.length = 0;
    const ended = { ...decided(from, decision('alice'), 'approved') };
    const { decidedAt: _, ...undated } = ended;

    await expect(store.decide({ from, to: undated, audit: event() })).rejects.toBeInstanceOf(TypeError);
    await expect(
      store.decide({ from, to: { ...ended, expiresAt: '2026-06-09T00:00:00.000Z' }, audit: event() }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(
      store.decide({
        from,
        to: decided(from, decision('alice')),
        delivery: delivery(from.reviewId),
        audit: event(),
      }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(store.decide({ from: ended, to: ended, audit: event() })).rejects.toBeInstanceOf(TypeError);
    expect(sent).toEqual([]);
  });

  it('lists decided reviews most recently decided first, in pages that join without gaps', async () => {
    const times = ['2026-06-02T01:00:00.000Z', '2026-06-04T01:00:00.000Z', '2026-06-03T01:00:00.000Z'];
    const ended: StoredReview[] = [];
    for (const at of times) {
      const from = review({ approvalsNeeded: 1 });
      await store.hold(from, event());
      const to = decided(from, decision('alice', { at }), 'approved');
      expect(await store.decide({ from, to, delivery: delivery(from.reviewId), audit: event() })).toBe(
        'stored',
      );
      ended.push(to);
    }
    const still = review();
    await store.hold(still, event());

    const { items, pages } = await allPages((after) =>
      store.decided({ limit: 2, ...(after ? { after } : {}) }),
    );

    expect(items).toEqual([ended[1], ended[2], ended[0]]);
    expect(pages).toBe(2);
    expect((await store.pending({ limit: 10 })).items).toEqual([still]);
    await refusedCursor(store.decided({ limit: 2, after: 'bm9wZQ' }));
  });
});

describe('breakers', () => {
  it('are set over the generation read with their event, listed in one query, read back by peer', async () => {
    expect(await store.breaker(ZHEJIANG)).toBeUndefined();
    expect(await store.breakers()).toEqual([]);
    const tripped = breaker(ZHEJIANG, 1);
    const tripEvent = event(ZHEJIANG);

    expect(await store.setBreaker(tripped, undefined, tripEvent)).toBe('stored');

    expect(await store.breaker(ZHEJIANG)).toEqual(tripped);
    expect(await item(`BRK#${ZHEJIANG}`, 'STATE')).toEqual({
      pk: `BRK#${ZHEJIANG}`,
      sk: 'STATE',
      ...tripped,
    });
    expect(await item('BREAKERS', ZHEJIANG)).toEqual({ pk: 'BREAKERS', sk: ZHEJIANG, ...tripped });
    expect(await storedEvent(tripEvent)).toBeDefined();

    // Another instance that also read no breaker trips it second.
    const second = event(ZHEJIANG);
    expect(await store.setBreaker(breaker(ZHEJIANG, 1, { trippedBecause: 'rate' }), undefined, second)).toBe(
      'conflict',
    );
    expect(await storedEvent(second)).toBeUndefined();

    expect(await store.setBreaker(breaker(JIANGSU, 1, { trippedBecause: 'rate' }), undefined, event())).toBe(
      'stored',
    );
    const released: StoredBreaker = {
      ...tripped,
      state: 'closed',
      releasedAt: '2026-06-01T09:00:00.000Z',
      releasedBy: 'operator@test',
      releaseReason: 'a misconfigured client, fixed',
      generation: 2,
    };
    expect(await store.setBreaker(released, 1, event(ZHEJIANG))).toBe('stored');

    // A release over the trip already released.
    const stale = event(ZHEJIANG);
    expect(await store.setBreaker({ ...released, releasedBy: 'other@test' }, 1, stale)).toBe('conflict');
    expect(await storedEvent(stale)).toBeUndefined();

    sent.length = 0;
    expect(await store.breakers()).toEqual([breaker(JIANGSU, 1, { trippedBecause: 'rate' }), released]);
    expect(sent).toEqual(['QueryCommand']);
    expect(await store.breaker(ZHEJIANG)).toEqual(released);
    expect(await item('BREAKERS', ZHEJIANG)).toEqual({ pk: 'BREAKERS', sk: ZHEJIANG, ...released });

    await expect(store.setBreaker(breaker(ZHEJIANG, 2), 2, event())).rejects.toBeInstanceOf(TypeError);
  });
});

describe('minute counters', () => {
  it('sum what every addCounts adds, expire two hours after their minute, read from a minute on', async () => {
    await store.addCounts(ZHEJIANG, [
      { minute: '2026-06-01T08:00', calls: 10, notFound: 2 },
      { minute: '2026-06-01T08:01', calls: 5, notFound: 5 },
    ]);
    sent.length = 0;
    await store.addCounts(ZHEJIANG, [
      { minute: '2026-06-01T08:01', calls: 3, notFound: 1 },
      { minute: '2026-06-01T08:02', calls: 1, notFound: 0 },
    ]);
    expect(sent).toEqual(['UpdateCommand', 'UpdateCommand']);
    await store.addCounts(JIANGSU, [{ minute: '2026-06-01T08:01', calls: 7, notFound: 0 }]);

    expect(await store.counts(ZHEJIANG, '2026-06-01T08:01')).toEqual([
      { minute: '2026-06-01T08:01', calls: 8, notFound: 6 },
      { minute: '2026-06-01T08:02', calls: 1, notFound: 0 },
    ]);
    expect(await store.counts(ZHEJIANG, '2026-06-01T07:00')).toHaveLength(3);
    expect(await store.counts(ZHEJIANG, '2026-06-01T08:03')).toEqual([]);
    expect(await store.counts(JIANGSU, '2026-06-01T08:00')).toEqual([
      { minute: '2026-06-01T08:01', calls: 7, notFound: 0 },
    ]);
    expect(await item(`CNT#${ZHEJIANG}`, '2026-06-01T08:01')).toEqual({
      pk: `CNT#${ZHEJIANG}`,
      sk: '2026-06-01T08:01',
      calls: 8,
      notFound: 6,
      ttl: Date.parse('2026-06-01T08:01:00Z') / 1000 + 2 * 3600,
    });

    sent.length = 0;
    await expect(
      store.addCounts(ZHEJIANG, [{ minute: '2026-06-01 08:03', calls: 1, notFound: 0 }]),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(
      store.addCounts(ZHEJIANG, [{ minute: '2026-06-01T08:03', calls: -1, notFound: 0 }]),
    ).rejects.toBeInstanceOf(TypeError);
    expect(sent).toEqual([]);
  });
});

describe('a wait at the calling province', () => {
  function outcome(w: StoredWait, overrides: Partial<InteropReviewDecision> = {}): InteropReviewDecision {
    return {
      reviewId: w.reviewId,
      identifier: w.identifier,
      outcome: 'approved',
      reason: 'the use is lawful',
      decidedAt: '2026-06-01T10:00:00.000Z',
      error: { status: 404, code: 'NOT_FOUND', message: 'no such license' },
      ...overrides,
    } as InteropReviewDecision;
  }

  async function stored(w: StoredWait) {
    const verifyEvent = event(ZHEJIANG);
    await transact(
      doc,
      [store.waitItem(w), { Put: new AuditStore(doc, names.audit).putItem(verifyEvent) }],
      TX,
    );
    expect(await storedEvent(verifyEvent)).toBeDefined();
  }

  it('is put once in the transaction of its verify event, and read back', async () => {
    const w = wait();
    await stored(w);

    expect(await store.wait(w.reviewId)).toEqual(w);
    expect(await item(`WAIT#${w.reviewId}`, 'DOC')).toEqual({ pk: `WAIT#${w.reviewId}`, sk: 'DOC', ...w });
    await expect(transact(doc, [store.waitItem(w)], TX)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(await store.wait(`${ZHEJIANG}-${ulid()}`)).toBeUndefined();
  });

  it('stores a decision once; the same again is held, another a conflict, from elsewhere unknown', async () => {
    const w = wait();
    await stored(w);
    const d = outcome(w);
    const receivedAt = '2026-06-01T10:00:01.000Z';

    expect(
      await store.storeDecision({
        decision: d,
        from: ZHEJIANG,
        body: '{"a":1}',
        signature: 'sig-1',
        receivedAt,
      }),
    ).toBe('stored');

    const withDecision: StoredWait = {
      ...w,
      state: 'approved',
      decision: d,
      decisionBody: '{"a":1}',
      decisionSignature: 'sig-1',
      receivedAt,
    };
    expect(await store.wait(w.reviewId)).toEqual(withDecision);
    expect(await item(`WAIT#${w.reviewId}`, 'DOC')).toEqual({
      pk: `WAIT#${w.reviewId}`,
      sk: 'DOC',
      ...withDecision,
    });

    // The same decision with its members in another order and other bytes: held, nothing written.
    const { error, reason, ...rest } = d;
    const reordered = {
      error: { message: error?.message, code: error?.code, status: error?.status },
      ...rest,
      reason,
    };
    const again = { decision: reordered as InteropReviewDecision, from: ZHEJIANG, signature: 'sig-2' };
    expect(
      await store.storeDecision({ ...again, body: '{ "a": 1 }', receivedAt: '2026-06-01T11:00:00.000Z' }),
    ).toBe('held');
    expect(
      await store.storeDecision({
        ...again,
        decision: outcome(w, { reason: 'other' }),
        body: '{}',
        receivedAt,
      }),
    ).toBe('conflict');
    const rejected = outcome(w, { outcome: 'rejected', error: undefined });
    expect(await store.storeDecision({ ...again, decision: rejected, body: '{}', receivedAt })).toBe(
      'conflict',
    );
    expect(await store.wait(w.reviewId)).toEqual(withDecision);

    // Not from the province the wait went to, of another license, or of no wait here.
    const input = { body: '{}', signature: 'sig', receivedAt };
    expect(await store.storeDecision({ ...input, decision: d, from: JIANGSU })).toBe('unknown');
    const other = wait();
    await stored(other);
    expect(
      await store.storeDecision({
        ...input,
        decision: outcome(other, { identifier: identifier('S2') }),
        from: ZHEJIANG,
      }),
    ).toBe('unknown');
    expect(await store.storeDecision({ ...input, decision: outcome(wait()), from: ZHEJIANG })).toBe(
      'unknown',
    );
    expect(await store.wait(other.reviewId)).toEqual(other);
  });

  it('that another delivery stored meanwhile is read again: held when the same, a conflict when not', async () => {
    const input = { body: '{}', signature: 'sig', receivedAt: '2026-06-01T10:00:01.000Z' };
    /** Stores `d` on its wait just before the store's own update goes out. */
    const meanwhile = (d: InteropReviewDecision) => async () => {
      await doc.send(
        new UpdateCommand({
          TableName: names.reviews,
          Key: { pk: `WAIT#${d.reviewId}`, sk: 'DOC' },
          UpdateExpression: 'SET #d = :d, #s = :s',
          ExpressionAttributeNames: { '#d': 'decision', '#s': 'state' },
          ExpressionAttributeValues: { ':d': d, ':s': d.outcome },
        }),
      );
    };

    const same = wait();
    await stored(same);
    before.UpdateCommand = meanwhile(outcome(same));
    sent.length = 0;
    expect(await store.storeDecision({ ...input, decision: outcome(same), from: ZHEJIANG })).toBe('held');
    expect(sent).toEqual(['GetCommand', 'UpdateCommand', 'GetCommand']);

    const different = wait();
    await stored(different);
    before.UpdateCommand = meanwhile(outcome(different, { reason: 'another' }));
    expect(await store.storeDecision({ ...input, decision: outcome(different), from: ZHEJIANG })).toBe(
      'conflict',
    );
    expect((await store.wait(different.reviewId))?.decision?.reason).toBe('another');
  });
});
