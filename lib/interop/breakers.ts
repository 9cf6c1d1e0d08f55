import { AuditAction, type AuditEvent } from '../../contracts/audit.ts';
import type { BreakerSettings } from '../../contracts/reviews.ts';
import { auditEvent } from '../audit/events.ts';
import type { Clock } from '../clock.ts';
import { AppError, DependencyUnavailableError } from '../errors.ts';
import { newTraceId } from '../ids.ts';
import { log } from '../log/logger.ts';
import { MetricUnit, publishMetrics } from '../metrics/emf.ts';
import { BreakerMetric, PROVINCE_DIMENSION, REVIEWS_METRICS_NAMESPACE } from '../metrics/names.ts';
import type { MinuteCounts, StoredBreaker } from '../reviews/records.ts';

/**
 * The breakers of the calling provinces at this (granting) province (docs/protocol.md §18.4): one
 * BreakerGate per instance counts the calls of each calling province in memory, adds them to the
 * province's minute counters at most once a second, decides a trip from the shared counters at
 * most once a second, and reads each breaker's state at most once a second. Not the caller's
 * CircuitBreaker (lib/interop/circuit-breaker.ts), which stops this province calling a peer that
 * fails.
 */

/**
 * How long a read of a breaker's state is reused, and the least time between two flushes of the
 * counts, in milliseconds. A state read is never used past it (a clock that went back counts as
 * expired).
 */
export const BREAKER_REUSE_MS = 1000;

/**
 * How many minutes of counts an instance keeps while storage does not take them: the longest
 * window a breaker can have. Older minutes can no longer decide a trip and are dropped.
 */
export const KEEP_MINUTES = 60;

/** What the gate needs of the reviews table (ReviewRepository's breaker methods). */
export interface BreakerStorage {
  /** The breaker of a calling province, read consistently; undefined while it never tripped. */
  breaker(peer: string): Promise<StoredBreaker | undefined>;
  /** Adds counts to a calling province's minute counters. */
  addCounts(peer: string, counts: readonly MinuteCounts[]): Promise<void>;
  /** A calling province's minute counters from `fromMinute` on (inclusive), oldest first. */
  counts(peer: string, fromMinute: string): Promise<MinuteCounts[]>;
  /** Opens or closes a breaker over the generation read, with its event; `conflict` when it moved. */
  setBreaker(to: StoredBreaker, from: number | undefined, audit: AuditEvent): Promise<'stored' | 'conflict'>;
}

export type BreakerState = 'closed' | 'open';

export interface BreakerGateOptions {
  store: BreakerStorage;
  clock: Clock;
  /** This (granting) province. */
  province: string;
  /** The breaker's settings in force (ReviewPolicyCache.breaker). */
  settings: () => Promise<BreakerSettings>;
  /** Where the metrics' EMF lines go (default stdout, publishMetrics' own). */
  writeMetrics?: (line: string) => void;
}

/** A state read held, and when it was asked for. */
interface Held {
  breaker: StoredBreaker | undefined;
  readAt: number;
}

type Tally = { calls: number; notFound: number };

/** `YYYY-MM-DDTHH:MM` (UTC) of a time in milliseconds. */
export function minuteOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

const MINUTE_MS = 60_000;

/**
 * One instance's view of every calling province's breaker. `state` answers from a read at most a
 * second old (calls in flight share it; storage that does not answer when a read is due throws:
 * the call is answered 503, never let through). `record` counts a call and, when a second has
 * passed since the last flush, flushes on the calling path (Lambda runs no timer between
 * invocations): it adds the counts to storage and decides a trip for each province flushed.
 */
export class BreakerGate {
  private readonly held = new Map<string, Held>();
  private readonly reading = new Map<
    string,
    { readAt: number; breaker: Promise<StoredBreaker | undefined> }
  >();
  /** Counts not yet in storage, by calling province and minute. */
  private pending = new Map<string, Map<string, Tally>>();
  private lastFlushAt: number;
  private flushing: Promise<void> | undefined;

  constructor(private readonly o: BreakerGateOptions) {
    // The gate's start counts as a flush of nothing: the first one comes a second later.
    this.lastFlushAt = o.clock.now().getTime();
  }

  /** The breaker of calls from `peer`; throws (503) when a read is due and storage does not answer. */
  async state(peer: string): Promise<BreakerState> {
    return (await this.stored(peer))?.state ?? 'closed';
  }

  /**
   * Counts one call from `peer` (and whether it was answered NOT_FOUND), flushing when a second
   * has passed since the last flush. Never throws: the call already has its answer, and counts
   * storage did not take are kept for the next flush (and the failure logged).
   */
  async record(peer: string, outcome: { notFound: boolean }): Promise<void> {
    const now = this.o.clock.now().getTime();
    const minute = minuteOf(now);
    let minutes = this.pending.get(peer);
    if (!minutes) {
      minutes = new Map();
      this.pending.set(peer, minutes);
    }
    const tally = minutes.get(minute) ?? { calls: 0, notFound: 0 };
    tally.calls++;
    if (outcome.notFound) tally.notFound++;
    minutes.set(minute, tally);
    if (this.flushing || !due(this.lastFlushAt, now)) return;
    await this.startFlush(now);
  }

  /**
   * Adds every count held to storage now and decides a trip for each province flushed (after a
   * flush in progress ends): for tests and the end of a Lambda run. Never throws, as `record`.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.startFlush(this.o.clock.now().getTime());
  }

  private startFlush(now: number): Promise<void> {
    this.lastFlushAt = now;
    const flushing = this.flushOnce(now).finally(() => {
      if (this.flushing === flushing) this.flushing = undefined;
    });
    this.flushing = flushing;
    return flushing;
  }

  private async flushOnce(now: number): Promise<void> {
    const taken = this.pending;
    this.pending = new Map();
    const flushed: string[] = [];
    await Promise.all(
      [...taken].map(async ([peer, minutes]) => {
        const counts = [...minutes].map(([minute, t]) => ({ minute, calls: t.calls, notFound: t.notFound }));
        try {
          await this.o.store.addCounts(peer, counts);
          flushed.push(peer);
        } catch (error) {
          this.keep(peer, minutes, now);
          log.error('breaker counts could not be stored; kept for the next flush', {
            province: this.o.province,
            peer,
            error: error instanceof Error ? error : String(error),
          });
        }
      }),
    );
    if (flushed.length === 0) return;
    let settings: BreakerSettings;
    try {
      settings = await this.o.settings();
    } catch (error) {
      log.error('breaker settings could not be read; no trip decided this flush', {
        province: this.o.province,
        error: error instanceof Error ? error : String(error),
      });
      return;
    }
    await Promise.all(
      flushed.map((peer) =>
        this.evaluate(peer, settings, now).catch((error: unknown) => {
          log.error('a breaker trip could not be decided', {
            province: this.o.province,
            peer,
            error: error instanceof Error ? error : String(error),
          });
        }),
      ),
    );
  }

  /** Puts counts storage did not take back among those pending, dropping minutes too old to matter. */
  private keep(peer: string, minutes: Map<string, Tally>, now: number): void {
    const oldest = minuteOf(now - (KEEP_MINUTES - 1) * MINUTE_MS);
    let into = this.pending.get(peer);
    if (!into) {
      into = new Map();
      this.pending.set(peer, into);
    }
    for (const [minute, t] of minutes) {
      if (minute < oldest) continue;
      const sum = into.get(minute) ?? { calls: 0, notFound: 0 };
      sum.calls += t.calls;
      sum.notFound += t.notFound;
      into.set(minute, sum);
    }
    if (into.size === 0) this.pending.delete(peer);
  }

  /** Reads the window of a calling province's counters and trips its breaker when they say so. */
  private async evaluate(peer: string, settings: BreakerSettings, now: number): Promise<void> {
    const current = await this.stored(peer);
    if (current?.state === 'open') return;
    const nowMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    let from = nowMinute - (settings.windowMinutes - 1) * MINUTE_MS;
    // After a release counting starts afresh: minutes before the release's count no more, and of
    // the release's own minute only the calls after the release (its counts then, the baseline
    // the release stored, are taken off).
    const releasedAt = current?.releasedAt ? Date.parse(current.releasedAt) : undefined;
    if (releasedAt !== undefined && Number.isFinite(releasedAt)) {
      from = Math.max(from, Math.floor(releasedAt / MINUTE_MS) * MINUTE_MS);
    }
    if (from > nowMinute) return;
    const fromMinute = minuteOf(from);
    const baseline = current?.releaseBaseline;
    // A minute ahead of this one (an instance whose clock runs ahead) counts too.
    const window = (await this.o.store.counts(peer, fromMinute))
      .filter((c) => c.minute >= fromMinute)
      .map((c) =>
        baseline && c.minute === baseline.minute
          ? {
              ...c,
              calls: Math.max(0, c.calls - baseline.calls),
              notFound: Math.max(0, c.notFound - baseline.notFound),
            }
          : c,
      );
    const trip = decide(window, settings, (nowMinute - from) / MINUTE_MS + 1);
    if (!trip) return;
    await this.trip(peer, current, trip, now);
  }

  private async trip(peer: string, from: StoredBreaker | undefined, trip: Trip, now: number): Promise<void> {
    const at = new Date(now);
    const generation = (from?.generation ?? 0) + 1;
    const to: StoredBreaker = {
      ...from,
      peer,
      state: 'open',
      trippedBecause: trip.because,
      trippedAt: at.toISOString(),
      counts: trip.counts,
      generation,
    };
    const event = auditEvent(
      {
        province: this.o.province,
        traceId: newTraceId(),
        action: AuditAction.breakerTrip,
        outcome: 'success',
        peer,
        details: {
          trippedBecause: trip.because,
          calls: trip.counts.calls,
          notFound: trip.counts.notFound,
          windowMinutes: trip.counts.windowMinutes,
          generation,
        },
      },
      at,
    );
    const stored = await this.o.store.setBreaker(to, from?.generation, event);
    if (stored === 'conflict') {
      // Another instance tripped (or released) it first: read its state afresh on the next call.
      this.held.delete(peer);
      this.reading.delete(peer);
      return;
    }
    this.held.set(peer, { breaker: to, readAt: now });
    publishMetrics(
      {
        namespace: REVIEWS_METRICS_NAMESPACE,
        dimensions: { [PROVINCE_DIMENSION]: this.o.province },
        metrics: [{ name: BreakerMetric.trips, unit: MetricUnit.Count, value: 1 }],
        timestamp: at,
      },
      this.o.writeMetrics,
    );
    log.warn('breaker tripped', {
      province: this.o.province,
      peer,
      trippedBecause: trip.because,
      ...trip.counts,
      generation,
    });
  }

  /** The stored breaker, from a read at most BREAKER_REUSE_MS old; throws (503) when storage fails. */
  private stored(peer: string): Promise<StoredBreaker | undefined> {
    const now = this.o.clock.now().getTime();
    const held = this.held.get(peer);
    if (held && fresh(held.readAt, now)) return Promise.resolve(held.breaker);
    const inFlight = this.reading.get(peer);
    if (inFlight && fresh(inFlight.readAt, now)) return inFlight.breaker;
    const reading = {
      readAt: now,
      breaker: this.read(peer, now).finally(() => {
        if (this.reading.get(peer) === reading) this.reading.delete(peer);
      }),
    };
    this.reading.set(peer, reading);
    return reading.breaker;
  }

  private async read(peer: string, readAt: number): Promise<StoredBreaker | undefined> {
    let breaker: StoredBreaker | undefined;
    try {
      breaker = await this.o.store.breaker(peer);
    } catch (error) {
      throw error instanceof AppError ? error : new DependencyUnavailableError('the breakers', error);
    }
    // A slow read must not replace a newer one (a trip stored meanwhile, say).
    const held = this.held.get(peer);
    if (!held || held.readAt <= readAt) this.held.set(peer, { breaker, readAt });
    return breaker;
  }
}

interface Trip {
  because: 'rate' | 'not-found-share';
  counts: { calls: number; notFound: number; windowMinutes: number };
}

/**
 * Whether the counts of a window trip the breaker: more than `callsPerMinute` calls in one of its
 * minutes (the counts of that minute), or at least `minCalls` calls over it of which more than
 * `notFoundShare` were NOT_FOUND (the window's counts, over the `minutes` it spans).
 */
export function decide(
  window: readonly MinuteCounts[],
  settings: BreakerSettings,
  minutes: number,
): Trip | undefined {
  let busiest: MinuteCounts | undefined;
  let calls = 0;
  let notFound = 0;
  for (const c of window) {
    if (!busiest || c.calls > busiest.calls) busiest = c;
    calls += c.calls;
    notFound += c.notFound;
  }
  if (busiest && busiest.calls > settings.callsPerMinute) {
    return {
      because: 'rate',
      counts: { calls: busiest.calls, notFound: busiest.notFound, windowMinutes: 1 },
    };
  }
  if (calls >= settings.minCalls && notFound / calls > settings.notFoundShare) {
    return { because: 'not-found-share', counts: { calls, notFound, windowMinutes: minutes } };
  }
  return undefined;
}

/** A read asked for at `readAt` may still be used at `now`. */
function fresh(readAt: number, now: number): boolean {
  const age = now - readAt;
  return age >= 0 && age < BREAKER_REUSE_MS;
}

/** A flush is due a second after the last one (or at once when the clock went back). */
function due(lastAt: number, now: number): boolean {
  const age = now - lastAt;
  return age < 0 || age >= BREAKER_REUSE_MS;
}
