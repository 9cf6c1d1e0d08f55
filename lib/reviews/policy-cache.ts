import type { BreakerSettings, ReviewRule } from '../../contracts/reviews.ts';
import type { Clock } from '../clock.ts';
import { AppError, DependencyUnavailableError } from '../errors.ts';
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

interface Snapshot {
  policy: PolicyInForce;
  readAt: number;
}

/**
 * The review policy as every inbound verification reads it: read at most once per
 * POLICY_REUSE_MS (concurrent calls share one read in flight), so a change takes effect within a
 * second everywhere. When the store does not answer a read that is due, the call fails (503,
 * DependencyUnavailableError): nothing read before the bound is used after it, and no call goes
 * unreviewed because the policy could not be read.
 */
export class ReviewPolicyCache {
  private snapshot: Snapshot | undefined;
  private reading: { readAt: number; snapshot: Promise<Snapshot> } | undefined;

  constructor(
    private readonly store: PolicySource,
    private readonly clock: Clock,
  ) {}

  /** The policy in force, re-read when the read held is older than the bound. */
  async current(): Promise<PolicyInForce> {
    return (await this.fresh()).policy;
  }

  /** The breaker's settings in force (BreakerGate's `settings`); fails as `current` does. */
  async breaker(): Promise<BreakerSettings> {
    return (await this.current()).breaker;
  }

  private fresh(): Promise<Snapshot> {
    const now = this.clock.now().getTime();
    const held = this.snapshot;
    if (held && fresh(held.readAt, now)) return Promise.resolve(held);
    // Calls share a read in flight, unless it was asked for longer ago than the bound.
    const inFlight = this.reading;
    if (inFlight && fresh(inFlight.readAt, now)) return inFlight.snapshot;
    const reading = {
      readAt: now,
      snapshot: this.read(now).finally(() => {
        if (this.reading === reading) this.reading = undefined;
      }),
    };
    this.reading = reading;
    return reading.snapshot;
  }

  private async read(readAt: number): Promise<Snapshot> {
    let stored: StoredPolicy | undefined;
    try {
      stored = await this.store.policy();
    } catch (error) {
      // Whatever the store threw, the call is answered 503, never let through unreviewed.
      throw error instanceof AppError ? error : new DependencyUnavailableError('the review policy', error);
    }
    const snapshot = {
      policy: { rules: stored?.rules ?? [], breaker: effectiveBreaker(stored) },
      readAt,
    };
    // A slow read must not replace a newer one.
    if (!this.snapshot || this.snapshot.readAt <= readAt) this.snapshot = snapshot;
    return snapshot;
  }
}

/** A read asked for at `readAt` may still be used at `now`. */
function fresh(readAt: number, now: number): boolean {
  const age = now - readAt;
  return age >= 0 && age < POLICY_REUSE_MS;
}
