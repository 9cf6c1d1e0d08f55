import type { BreakerSettings, ReviewRule } from '../../contracts/reviews.ts';
import type { Clock } from '../clock.ts';
import { AppError, DependencyUnavailableError } from '../errors.ts';
import { ReusedRead } from '../reused-read.ts';
import { effectiveBreaker } from './policy.ts';
import type { StoredPolicy } from './records.ts';

/**
 * How long a read of the review policy is reused, in milliseconds: the bound on how late a change
 * stored by any instance takes effect at this one (docs/protocol.md §18.1). Counted from when the
 * read was asked for, so a policy is never used past it; a clock that went back counts as expired.
 */
export const POLICY_REUSE_MS = 1000;

/** What the cache reads: the reviews table's policy item (ReviewRepository.policy). */
export interface PolicySource {
  /** The stored policy, read consistently; undefined before the first change. */
  policy(): Promise<StoredPolicy | undefined>;
}

/** The policy in force: its rules and the breaker's settings, defaults filled in. */
export interface PolicyInForce {
  rules: ReviewRule[];
  breaker: BreakerSettings;
}

/**
 * The review policy as every inbound verification reads it: read at most once per
 * POLICY_REUSE_MS (concurrent calls share one read in flight), so a change takes effect within a
 * second everywhere. When the store does not answer a read that is due, the call fails (503,
 * DependencyUnavailableError): nothing read before the bound is used after it, and no call goes
 * unreviewed because the policy could not be read.
 */
export class ReviewPolicyCache {
  private readonly policy: ReusedRead<PolicyInForce>;

  constructor(store: PolicySource, clock: Clock) {
    this.policy = new ReusedRead(clock, POLICY_REUSE_MS, async () => {
      let stored: StoredPolicy | undefined;
      try {
        stored = await store.policy();
      } catch (error) {
        // Whatever the store threw, the call is answered 503, never let through unreviewed.
        throw error instanceof AppError ? error : new DependencyUnavailableError('the review policy', error);
      }
      return { rules: stored?.rules ?? [], breaker: effectiveBreaker(stored) };
    });
  }

  /** The policy in force, re-read when the read held is older than the bound. */
  current(): Promise<PolicyInForce> {
    return this.policy.get();
  }

  /** The breaker's settings in force (BreakerGate's `settings`); fails as `current` does. */
  async breaker(): Promise<BreakerSettings> {
    return (await this.current()).breaker;
  }
}
