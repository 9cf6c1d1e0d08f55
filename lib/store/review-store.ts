import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import canonicalize from 'canonicalize';
import type { AuditEvent } from '../../contracts/audit.ts';
import type { InteropReviewDecision } from '../../contracts/reviews.ts';
import type { DecisionStored, Page, ReviewRepository } from '../../functions/reviews/ports.ts';
import { DependencyUnavailableError } from '../errors.ts';
import {
  type DecisionDelivery,
  DecisionDeliverySchema,
  type MinuteCounts,
  type StoredBreaker,
  StoredBreakerSchema,
  type StoredPolicy,
  StoredPolicySchema,
  type StoredReview,
  StoredReviewSchema,
  type StoredWait,
  StoredWaitSchema,
} from '../reviews/records.ts';
import type { AuditStore } from './audit-store.ts';
import { OutboxTable } from './outbox.ts';
import { decodeCursor, nextOf } from './report-items.ts';
import {
  BREAKERS_PK,
  breakerKey,
  breakerListKey,
  CounterItemSchema,
  CursorShape,
  counterPk,
  counterTtl,
  DECIDED_PK,
  DLV_PK,
  decidedKey,
  type Key,
  PENDING_PK,
  pendingKey,
  policyKey,
  ReviewItems,
  reviewKey,
  strip,
  TX,
  WHAT,
  waitKey,
} from './review-items.ts';
import { conditionFailures, guard, storageFailure, type TransactItems, transact } from './transact.ts';

/**
 * DynamoDB adapter of the reviews table, in the item layout of docs/protocol.md §18.6 (keys in
 * lib/store/review-items.ts). At the granting province: the policy (`POLICY`), each held request
 * with its decisions (`REV#`), a copy of each pending one by expiry (`PENDING`) and of each ended
 * one by decision time (`DECIDED`), so a page of either is one query; each calling province's
 * breaker (`BRK#`, with a copy under `BREAKERS` so that listing them is one query, never a scan)
 * and its minute counters (`CNT#`, expired by TTL). At the calling province: each wait and the
 * decision delivered on it (`WAIT#`). The outbox of decision deliveries (`DLV`). Every change is
 * one transaction with its audit event and the delivery it causes.
 */
export class ReviewStore implements ReviewRepository {
  /** Decisions and expiries on their way to the calling province. */
  readonly outbox: OutboxTable<DecisionDelivery>;
  private readonly items: ReviewItems;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly audit: AuditStore,
  ) {
    this.outbox = new OutboxTable(doc, tableName, DecisionDeliverySchema, DLV_PK, WHAT);
    this.items = new ReviewItems(tableName);
  }

  // The policy.

  async policy(): Promise<StoredPolicy | undefined> {
    const item = await this.get(policyKey);
    return item ? StoredPolicySchema.parse(strip(item)) : undefined;
  }

  async putPolicy(
    next: StoredPolicy,
    previous: number | undefined,
    audit: AuditEvent,
  ): Promise<'stored' | 'conflict'> {
    if (previous !== undefined && next.version <= previous) {
      throw new TypeError(`a policy change writes a version above ${previous}, not ${next.version}`);
    }
    return this.conditional([this.items.policy(next, previous), { Put: this.audit.putItem(audit) }]);
  }

  // Held requests, at the granting province.

  async hold(review: StoredReview, audit: AuditEvent): Promise<void> {
    if (review.state !== 'pending') throw new TypeError(`review ${review.reviewId} is held pending`);
    await transact(
      this.doc,
      [
        this.items.heldReview(review),
        this.items.put({ ...pendingKey(review), ...review }),
        { Put: this.audit.putItem(audit) },
      ],
      TX,
    );
  }

  async review(reviewId: string): Promise<StoredReview | undefined> {
    const item = await this.get(reviewKey(reviewId));
    return item ? StoredReviewSchema.parse(strip(item)) : undefined;
  }

  async pending(page: { limit: number; after?: string }): Promise<Page<StoredReview>> {
    const after = page.after === undefined ? undefined : decodeCursor(page.after, CursorShape.pending);
    return this.reviewPage(PENDING_PK, page.limit, after, { ScanIndexForward: true });
  }

  async decided(page: { limit: number; after?: string }): Promise<Page<StoredReview>> {
    const after = page.after === undefined ? undefined : decodeCursor(page.after, CursorShape.decided);
    return this.reviewPage(DECIDED_PK, page.limit, after, { ScanIndexForward: false });
  }

  async expiring(now: Date, limit: number): Promise<StoredReview[]> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :due',
          ExpressionAttributeValues: { ':pk': PENDING_PK, ':due': `${now.toISOString()}#~` },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
      WHAT,
    );
    return (out.Items ?? []).map((i) => StoredReviewSchema.parse(strip(i)));
  }

  async decide(input: {
    from: StoredReview;
    to: StoredReview;
    delivery?: DecisionDelivery;
    audit: AuditEvent;
  }): Promise<'stored' | 'conflict'> {
    const { from, to, delivery } = input;
    const ended = to.state !== 'pending';
    if (from.state !== 'pending' || to.reviewId !== from.reviewId || to.expiresAt !== from.expiresAt) {
      throw new TypeError(`review ${from.reviewId} changes only while pending, keeping its id and expiry`);
    }
    if (ended && to.decidedAt === undefined) {
      throw new TypeError(`review ${to.reviewId} ends ${to.state} with decidedAt`);
    }
    if (!ended && delivery !== undefined) {
      throw new TypeError(`review ${to.reviewId} still pending delivers nothing`);
    }
    const moved: TransactItems =
      ended && to.decidedAt !== undefined
        ? [
            this.items.delete(pendingKey(from)),
            this.items.put({ ...decidedKey({ decidedAt: to.decidedAt, reviewId: to.reviewId }), ...to }),
            ...(delivery ? [this.outbox.putItem(delivery)] : []),
          ]
        : // Still pending: its queue copy shows the decisions so far.
          [this.items.put({ ...pendingKey(to), ...to })];
    // Index 0: only the review as it was read changes.
    return this.conditional([
      this.items.decidedReview(to, from),
      ...moved,
      { Put: this.audit.putItem(input.audit) },
    ]);
  }

  // Breakers.

  async breaker(peer: string): Promise<StoredBreaker | undefined> {
    const item = await this.get(breakerKey(peer));
    return item ? StoredBreakerSchema.parse(strip(item)) : undefined;
  }

  async breakers(): Promise<StoredBreaker[]> {
    const items = await this.all({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': BREAKERS_PK },
      ConsistentRead: true,
    });
    return items.map((i) => StoredBreakerSchema.parse(strip(i)));
  }

  async setBreaker(
    to: StoredBreaker,
    from: number | undefined,
    audit: AuditEvent,
  ): Promise<'stored' | 'conflict'> {
    if (from !== undefined && to.generation <= from) {
      throw new TypeError(`a breaker change writes a generation above ${from}, not ${to.generation}`);
    }
    // Index 0: only the breaker as it was read changes; its listed copy follows it.
    return this.conditional([
      this.items.breaker(to, from),
      this.items.put({ ...breakerListKey(to.peer), ...to }),
      { Put: this.audit.putItem(audit) },
    ]);
  }

  async addCounts(peer: string, counts: readonly MinuteCounts[]): Promise<void> {
    const updates = counts.map((c) => {
      if (![c.calls, c.notFound].every((n) => Number.isSafeInteger(n) && n >= 0)) {
        throw new TypeError(`the counts of ${c.minute} are whole numbers, not ${c.calls}, ${c.notFound}`);
      }
      return new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: counterPk(peer), sk: c.minute },
        UpdateExpression: 'ADD calls :c, notFound :n SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':c': c.calls, ':n': c.notFound, ':ttl': counterTtl(c.minute) },
      });
    });
    await Promise.all(updates.map((u) => guard(this.doc.send(u), WHAT)));
  }

  /**
   * Eventually consistent reads: a counter a second behind is a trip decided a second later, and
   * every instance already adds its counts only once a second. Counters past their TTL that
   * DynamoDB has not removed yet are older than any window, and below `fromMinute`.
   */
  async counts(peer: string, fromMinute: string): Promise<MinuteCounts[]> {
    const items = await this.all({
      KeyConditionExpression: 'pk = :pk AND sk >= :from',
      ExpressionAttributeValues: { ':pk': counterPk(peer), ':from': fromMinute },
    });
    return items.map((i) => CounterItemSchema.parse(i));
  }

  // Waits, at the calling province.

  waitItem(wait: StoredWait): TransactItems[number] {
    return this.items.wait(wait);
  }

  /**
   * A wait and the `verify` event of the call that was held, in one transaction (the verification
   * function: PutItem under WAIT# only, and its audit event).
   */
  async storeWait(wait: StoredWait, audit: AuditEvent): Promise<void> {
    await transact(this.doc, [this.waitItem(wait), { Put: this.audit.putItem(audit) }], TX);
  }

  async wait(reviewId: string): Promise<StoredWait | undefined> {
    const item = await this.get(waitKey(reviewId));
    return item ? StoredWaitSchema.parse(strip(item)) : undefined;
  }

  async storeDecision(input: {
    decision: InteropReviewDecision;
    from: string;
    body: string;
    signature: string;
    receivedAt: string;
  }): Promise<DecisionStored> {
    const { decision, from } = input;
    for (let attempt = 1; ; attempt++) {
      const wait = await this.wait(decision.reviewId);
      if (
        !wait ||
        wait.issuer !== from ||
        !decision.reviewId.startsWith(`${from}-`) ||
        wait.identifier !== decision.identifier
      ) {
        return 'unknown';
      }
      if (wait.decision !== undefined) return sameDecision(wait.decision, decision) ? 'held' : 'conflict';
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: waitKey(decision.reviewId),
            UpdateExpression:
              'SET #decision = :decision, #body = :body, #signature = :signature, #receivedAt = :receivedAt, #state = :state',
            // Stored once: a decision that came meanwhile is read again and compared.
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#decision)',
            ExpressionAttributeNames: {
              '#decision': 'decision',
              '#body': 'decisionBody',
              '#signature': 'decisionSignature',
              '#receivedAt': 'receivedAt',
              '#state': 'state',
            },
            ExpressionAttributeValues: {
              ':decision': decision,
              ':body': input.body,
              ':signature': input.signature,
              ':receivedAt': input.receivedAt,
              ':state': decision.outcome,
            },
          }),
        );
        return 'stored';
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw storageFailure(WHAT, err);
        if (attempt >= 2) throw new DependencyUnavailableError(`${WHAT} (concurrent changes)`, err);
      }
    }
  }

  // Helpers.

  /** One transaction whose first item is conditional: `conflict` when that condition fails. */
  private async conditional(items: TransactItems): Promise<'stored' | 'conflict'> {
    try {
      await transact(this.doc, items, TX);
      return 'stored';
    } catch (err) {
      if (conditionFailures(err).includes(0)) return 'conflict';
      throw err;
    }
  }

  /**
   * One query of a review listing: up to `limit` reviews after sort key `after`, and where the
   * next page starts (one item more is read, so the last page says so).
   */
  private async reviewPage(
    pk: string,
    limit: number,
    after: string | undefined,
    order: Pick<QueryCommandInput, 'ScanIndexForward'>,
  ): Promise<Page<StoredReview>> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          Limit: limit + 1,
          ...order,
          ...(after === undefined ? {} : { ExclusiveStartKey: { pk, sk: after } }),
        }),
      ),
      WHAT,
    );
    const items = out.Items ?? [];
    const next = nextOf(items, limit, out.LastEvaluatedKey);
    return {
      items: items.slice(0, limit).map((i) => StoredReviewSchema.parse(strip(i))),
      ...(next ? { next } : {}),
    };
  }

  /** Every item a query matches, page after page (a partition of a few dozen items at most). */
  private async all(query: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const out = await guard(
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            ...query,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
        WHAT,
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async get(key: Key): Promise<Record<string, unknown> | undefined> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
      WHAT,
    );
    return out.Item;
  }
}

/**
 * The same decision: equal canonical JSON (RFC 8785) of the two, whatever order their members
 * came in or how their bytes were laid out; members left undefined count as absent.
 */
function sameDecision(a: InteropReviewDecision, b: InteropReviewDecision): boolean {
  return canonicalize(a) === canonicalize(b);
}
