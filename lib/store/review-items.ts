import { z } from 'zod';
import { DependencyUnavailableError } from '../errors.ts';
import type {
  MinuteCounts,
  StoredBreaker,
  StoredPolicy,
  StoredReview,
  StoredWait,
} from '../reviews/records.ts';
import type { TransactItems } from './transact.ts';

/**
 * The item layout of the reviews table (docs/protocol.md §18.6), for lib/store/review-store.ts:
 * the keys of every item, the transaction items of its changes, the page cursors of its listings,
 * and what is stripped off an item before its record is parsed.
 */

export const WHAT = 'the reviews table';
export const TX = {
  what: WHAT,
  attempts: 6,
  exhausted: (cause: unknown) => new DependencyUnavailableError(`${WHAT} (concurrent changes)`, cause),
};

export const DOC = 'DOC';
/** The outbox of decision deliveries (lib/store/outbox.ts). */
export const DLV_PK = 'DLV';
export const PENDING_PK = 'PENDING';
export const DECIDED_PK = 'DECIDED';
/** A copy of every breaker under one partition, sorted by peer, so listing them is one query. */
export const BREAKERS_PK = 'BREAKERS';
/** How long a minute counter is kept past the minute's start (DynamoDB TTL). */
export const COUNTER_TTL_SECONDS = 2 * 60 * 60;

/**
 * Attributes a review's `REV#` item keeps beside its record: the number of its decisions, which
 * a decision's write compares (with the state) to the review it read.
 */
export const DECISION_COUNT = 'decisionCount';

export type Key = { pk: string; sk: string };

/**
 * A timestamp as sort keys hold it: `toISOString()`, so that every key of a listing has the same
 * form (`…:00Z` and `…:00.000Z` are the same instant but do not sort together).
 */
export function sortTime(timestamp: string): string {
  return new Date(timestamp).toISOString();
}

export const policyKey: Key = { pk: 'POLICY', sk: DOC };
export const reviewKey = (reviewId: string): Key => ({ pk: `REV#${reviewId}`, sk: DOC });
export const pendingKey = (r: { expiresAt: string; reviewId: string }): Key => ({
  pk: PENDING_PK,
  sk: `${sortTime(r.expiresAt)}#${r.reviewId}`,
});
export const decidedKey = (r: { decidedAt: string; reviewId: string }): Key => ({
  pk: DECIDED_PK,
  sk: `${sortTime(r.decidedAt)}#${r.reviewId}`,
});
export const breakerKey = (peer: string): Key => ({ pk: `BRK#${peer}`, sk: 'STATE' });
export const breakerListKey = (peer: string): Key => ({ pk: BREAKERS_PK, sk: peer });
export const counterPk = (peer: string) => `CNT#${peer}`;
export const waitKey = (reviewId: string): Key => ({ pk: `WAIT#${reviewId}`, sk: DOC });

const MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

/** The TTL of a minute counter: its minute's start and two hours, in epoch seconds. */
export function counterTtl(minute: string): number {
  const start = MINUTE.test(minute) ? Date.parse(`${minute}:00.000Z`) : Number.NaN;
  if (Number.isNaN(start)) throw new TypeError(`${minute} is not a minute (YYYY-MM-DDTHH:MM, UTC)`);
  return start / 1000 + COUNTER_TTL_SECONDS;
}

/** A minute counter as read back: its sort key is the minute; a count never added is 0. */
export const CounterItemSchema = z
  .object({
    sk: z.string().regex(MINUTE),
    calls: z.number().int().nonnegative().default(0),
    notFound: z.number().int().nonnegative().default(0),
  })
  .transform((i): MinuteCounts => ({ minute: i.sk, calls: i.calls, notFound: i.notFound }));

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const REVIEW_ID = `\\d{2}0000-${ULID}`;
const SORT_TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';

/**
 * The sort keys each listing's cursors may name. Both listings' keys are `<time>#<reviewId>` in
 * partitions of their own: a cursor of one list given to the other only says where to go on.
 */
export const CursorShape = {
  pending: new RegExp(`^${SORT_TIME}#${REVIEW_ID}$`),
  decided: new RegExp(`^${SORT_TIME}#${REVIEW_ID}$`),
} as const;

/** An item's record without its keys and storage attributes, for the record's schema to parse. */
export function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, [DECISION_COUNT]: _count, ttl: _ttl, ...rest } = item;
  return rest;
}

/**
 * The transaction items of the reviews table, bound to its name: what lib/store/review-store.ts
 * puts together into one transaction per change.
 */
export class ReviewItems {
  constructor(private readonly tableName: string) {}

  put(item: Key & Record<string, unknown>): TransactItems[number] {
    return { Put: { TableName: this.tableName, Item: item } };
  }

  /** A put that fails its condition when the item is already there. */
  putNew(item: Key & Record<string, unknown>) {
    return {
      Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
    } satisfies TransactItems[number];
  }

  delete(key: Key): TransactItems[number] {
    return { Delete: { TableName: this.tableName, Key: key } };
  }

  /** The policy, over the version read (none for the first). */
  policy(next: StoredPolicy, previous: number | undefined): TransactItems[number] {
    return this.over({ ...policyKey, ...next }, 'version', previous);
  }

  /** A new held request. */
  heldReview(review: StoredReview): TransactItems[number] {
    return this.putNew({
      ...reviewKey(review.reviewId),
      ...review,
      [DECISION_COUNT]: review.decisions.length,
    });
  }

  /**
   * A review as it is after a decision or an expiry, only while the stored one is in the state,
   * with the number of decisions, it was read with. Decisions are only ever added, so their
   * number stands for the decisions themselves: a decision another reviewer stored meanwhile
   * fails the condition.
   */
  decidedReview(to: StoredReview, from: StoredReview): TransactItems[number] {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...reviewKey(to.reviewId), ...to, [DECISION_COUNT]: to.decisions.length },
        ConditionExpression: '#state = :state AND #count = :count',
        ExpressionAttributeNames: { '#state': 'state', '#count': DECISION_COUNT },
        ExpressionAttributeValues: { ':state': from.state, ':count': from.decisions.length },
      },
    };
  }

  /** A breaker, over the generation read (none while it never tripped). */
  breaker(to: StoredBreaker, from: number | undefined): TransactItems[number] {
    return this.over({ ...breakerKey(to.peer), ...to }, 'generation', from);
  }

  /** A wait at the calling province, put once. */
  wait(wait: StoredWait): TransactItems[number] {
    return this.putNew({ ...waitKey(wait.reviewId), ...wait });
  }

  /** A put only over the item whose `attribute` is `read`, or only where none is when undefined. */
  private over(item: Key & Record<string, unknown>, attribute: string, read: number | undefined) {
    return {
      Put: {
        TableName: this.tableName,
        Item: item,
        ...(read === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#read = :read',
              ExpressionAttributeNames: { '#read': attribute },
              ExpressionAttributeValues: { ':read': read },
            }),
      },
    } satisfies TransactItems[number];
  }
}
