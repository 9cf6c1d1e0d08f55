import type { Clock } from './clock.ts';

/**
 * A read reused for `reuseMs`: within the bound every caller gets the value last read; concurrent
 * callers share a read in flight unless it was asked for longer ago than the bound; a value is
 * never used past the bound (the time counted from when its read was asked for, and a clock that
 * went back counts as expired); a slow read never replaces a newer one. When a due read fails the
 * caller gets its error: nothing read before the bound stands in for it. The agreements' change
 * stamp and the review policy are read this way (lib/agreements/enforcement.ts,
 * lib/reviews/policy-cache.ts).
 */
export class ReusedRead<T> {
  private held: { value: T; readAt: number } | undefined;
  private reading: { readAt: number; value: Promise<T> } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly reuseMs: number,
    /** Reads the value afresh; given the value held, however old, when one is. */
    private readonly read: (held: T | undefined) => Promise<T>,
  ) {}

  get(): Promise<T> {
    const now = this.clock.now().getTime();
    const held = this.held;
    if (held && this.fresh(held.readAt, now)) return Promise.resolve(held.value);
    const inFlight = this.reading;
    if (inFlight && this.fresh(inFlight.readAt, now)) return inFlight.value;
    const reading = {
      readAt: now,
      value: this.readAt(now, held?.value).finally(() => {
        if (this.reading === reading) this.reading = undefined;
      }),
    };
    this.reading = reading;
    return reading.value;
  }

  private async readAt(readAt: number, held: T | undefined): Promise<T> {
    const value = await this.read(held);
    if (!this.held || this.held.readAt <= readAt) this.held = { value, readAt };
    return value;
  }

  private fresh(readAt: number, now: number): boolean {
    const age = now - readAt;
    return age >= 0 && age < this.reuseMs;
  }
}
