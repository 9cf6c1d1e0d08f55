import type { AuditEvent } from '../../contracts/audit.ts';
import type { InteropReviewDecision } from '../../contracts/reviews.ts';
import type {
  DecisionDelivery,
  MinuteCounts,
  StoredBreaker,
  StoredPolicy,
  StoredReview,
  StoredWait,
} from '../../lib/reviews/records.ts';
import type { TransactItems } from '../../lib/store/transact.ts';

/** A page of a listing: `next` is where the following page starts (absent on the last page). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** What storing a delivered decision did. */
export type DecisionStored = 'stored' | 'held' | 'unknown' | 'conflict';

/**
 * The reviews table (lib/store/review-store.ts, docs/protocol.md §18.6): the policy, held
 * requests and their decisions, breakers and their minute counters, waits at the calling side,
 * and the outbox of decision deliveries. Every change is one transaction with its audit event
 * (when it has one here) and the deliveries it causes.
 */
export interface ReviewRepository {
  // The policy.

  /** The stored policy, read consistently; undefined before the first change. */
  policy(): Promise<StoredPolicy | undefined>;
  /**
   * Stores a new policy over the version read (`previous`: undefined for the first), with its
   * `review.policy` event. `conflict` when another change came first.
   */
  putPolicy(
    next: StoredPolicy,
    previous: number | undefined,
    audit: AuditEvent,
  ): Promise<'stored' | 'conflict'>;

  // Held requests, at the granting province.

  /** A held request and its `review.hold` event; the request's own event is signedCall's. */
  hold(review: StoredReview, audit: AuditEvent): Promise<void>;
  review(reviewId: string): Promise<StoredReview | undefined>;
  /** Pending reviews oldest expiry first; decided ones most recently decided first. */
  pending(page: { limit: number; after?: string }): Promise<Page<StoredReview>>;
  decided(page: { limit: number; after?: string }): Promise<Page<StoredReview>>;
  /** Pending reviews whose expiry is at or before `now`, oldest first. */
  expiring(now: Date, limit: number): Promise<StoredReview[]>;
  /**
   * Stores a review as it is after a decision or an expiry (`to`) over the state read (`from`,
   * compared on its decisions and state), with its event and, when it ended, the decision's
   * delivery (moved from PENDING to DECIDED then). `conflict` when it changed meanwhile.
   */
  decide(input: {
    from: StoredReview;
    to: StoredReview;
    delivery?: DecisionDelivery;
    audit: AuditEvent;
  }): Promise<'stored' | 'conflict'>;

  // Breakers.

  /** The breaker of a calling province, read consistently; undefined while it never tripped. */
  breaker(peer: string): Promise<StoredBreaker | undefined>;
  breakers(): Promise<StoredBreaker[]>;
  /** Adds counts to a calling province's minute counters (one UpdateItem per minute given). */
  addCounts(peer: string, counts: readonly MinuteCounts[]): Promise<void>;
  /** A calling province's minute counters from `fromMinute` on (inclusive), oldest first. */
  counts(peer: string, fromMinute: string): Promise<MinuteCounts[]>;
  /**
   * Opens or closes a breaker over the generation read (`from`: undefined when none was stored),
   * with its event. `conflict` when it changed meanwhile (another instance tripped it first).
   */
  setBreaker(to: StoredBreaker, from: number | undefined, audit: AuditEvent): Promise<'stored' | 'conflict'>;

  // Waits, at the calling province.

  /** The put of a wait, for the transaction of the `verify` event that records the call held. */
  waitItem(wait: StoredWait): TransactItems[number];
  wait(reviewId: string): Promise<StoredWait | undefined>;
  /**
   * Stores a delivered decision on its wait (from province `from`, with its bytes and signature).
   * `unknown` when no wait for that review went to `from`; `held` when the same decision is
   * stored; `conflict` when another one is.
   */
  storeDecision(input: {
    decision: InteropReviewDecision;
    from: string;
    body: string;
    signature: string;
    receivedAt: string;
  }): Promise<DecisionStored>;
}
