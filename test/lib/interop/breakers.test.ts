import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import type { BreakerSettings } from '../../../contracts/reviews.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { type AppError, DependencyUnavailableError } from '../../../lib/errors.ts';
import { BREAKER_REUSE_MS, BreakerGate, decide, minuteOf } from '../../../lib/interop/breakers.ts';
import { type CapturedLogs, captureLogs } from '../../../lib/log/capture.ts';
import type { MinuteCounts, StoredBreaker } from '../../../lib/reviews/records.ts';

const SH = '310000';
const ZJ = '330000';
const JS = '320000';
const T0 = '2026-06-01T08:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms);
const MIN = 60_000;

const SETTINGS: BreakerSettings = {
  callsPerMinute: 1000,
  notFoundShare: 0.2,
  windowMinutes: 10,
  minCalls: 10,
  whenOpen: 'refuse',
};

type Method = 'breaker' | 'addCounts' | 'counts' | 'setBreaker';

/** The reviews table's breaker items in memory, shared by the gates of every instance. */
function fakeStore() {
  const s = {
    breakers: new Map<string, StoredBreaker>(),
    minutes: new Map<string, Map<string, { calls: number; notFound: number }>>(),
    requests: { breaker: 0, addCounts: 0, counts: 0, setBreaker: 0 } as Record<Method, number>,
    down: new Set<Method>(),
    writes: [] as { to: StoredBreaker; from: number | undefined; audit: AuditEvent; result: string }[],
    fail(method: Method) {
      s.requests[method]++;
      if (s.down.has(method)) throw new Error(`${method}: connect ECONNREFUSED`);
    },
    total() {
      return Object.values(s.requests).reduce((a, b) => a + b, 0);
    },
    async breaker(peer: string): Promise<StoredBreaker | undefined> {
      s.fail('breaker');
      const b = s.breakers.get(peer);
      return b && structuredClone(b);
    },
    async addCounts(peer: string, counts: readonly MinuteCounts[]): Promise<void> {
      s.fail('addCounts');
      const minutes = s.minutes.get(peer) ?? new Map();
      for (const c of counts) {
        const m = minutes.get(c.minute) ?? { calls: 0, notFound: 0 };
        m.calls += c.calls;
        m.notFound += c.notFound;
        minutes.set(c.minute, m);
      }
      s.minutes.set(peer, minutes);
    },
    async counts(peer: string, fromMinute: string): Promise<MinuteCounts[]> {
      s.fail('counts');
      return [...(s.minutes.get(peer) ?? new Map<string, { calls: number; notFound: number }>())]
        .filter(([minute]) => minute >= fromMinute)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([minute, c]) => ({ minute, ...c }));
    },
    async setBreaker(to: StoredBreaker, from: number | undefined, audit: AuditEvent) {
      s.fail('setBreaker');
      const result = s.breakers.get(to.peer)?.generation !== from ? 'conflict' : 'stored';
      if (result === 'stored') s.breakers.set(to.peer, structuredClone(to));
      s.writes.push({ to, from, audit, result });
      return result as 'stored' | 'conflict';
    },
    /** What an operator's release does (lib/store is someone else's; this is its effect). */
    release(peer: string, releasedAt: Date) {
      const b = s.breakers.get(peer);
      if (!b) throw new Error('no breaker');
      const minute = minuteOf(releasedAt.getTime());
      const sofar = s.minutes.get(peer)?.get(minute) ?? { calls: 0, notFound: 0 };
      s.breakers.set(peer, {
        ...b,
        state: 'closed',
        // As the release route stores it: the release minute's counts so far.
        releaseBaseline: { minute, calls: sofar.calls, notFound: sofar.notFound },
        releasedAt: releasedAt.toISOString(),
        releasedBy: 'op',
        releaseReason: 'checked',
        generation: b.generation + 1,
      });
    },
    stored(peer: string, minute: Date) {
      return s.minutes.get(peer)?.get(minuteOf(minute.getTime()));
    },
  };
  return s;
}

function world(settings: BreakerSettings = SETTINGS) {
  const store = fakeStore();
  const clock = fixedClock(T0);
  const metrics: string[] = [];
  const gate = () =>
    new BreakerGate({
      store,
      clock,
      province: SH,
      settings: async () => settings,
      writeMetrics: (line) => metrics.push(line),
    });
  return { store, clock, metrics, gate, a: gate(), b: gate() };
}

async function calls(gate: BreakerGate, peer: string, n: number, notFound = 0) {
  for (let i = 0; i < n; i++) await gate.record(peer, { notFound: i < notFound });
}

function tripEvent(peer: string, time: Date, details: AuditEvent['details']): AuditEvent {
  return {
    eventId: expect.stringMatching(/^[0-9A-Z]{26}$/),
    province: SH,
    time: time.toISOString(),
    traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    action: 'breaker.trip',
    outcome: 'success',
    actor: {},
    peer,
    details,
  } as AuditEvent;
}

let logs: CapturedLogs;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe('the breaker gate: counting in memory, flushing at most once a second', () => {
  it('bounds reads and flushes at one second', () => {
    expect(BREAKER_REUSE_MS).toBe(1000);
  });

  it('makes no storage request per call within a second, and one flush after it', async () => {
    const { store, clock, a } = world();

    for (const ms of [0, 1, 200, 500, 999]) {
      clock.set(at(ms));
      expect(await a.state(ZJ)).toBe('closed');
      await calls(a, ZJ, 20, 1);
      await calls(a, JS, 5);
    }
    expect(store.requests).toEqual({ breaker: 1, addCounts: 0, counts: 0, setBreaker: 0 });

    clock.set(at(1000));
    await a.record(ZJ, { notFound: false });

    // One addCounts per calling province, one window read each, and each state read (again).
    expect(store.requests).toEqual({ breaker: 3, addCounts: 2, counts: 2, setBreaker: 0 });
    expect(store.stored(ZJ, at(0))).toEqual({ calls: 101, notFound: 5 });
    expect(store.stored(JS, at(0))).toEqual({ calls: 25, notFound: 0 });

    const before = store.total();
    clock.set(at(1999));
    await calls(a, ZJ, 50);
    expect(await a.state(ZJ)).toBe('closed');
    expect(store.total()).toBe(before);
  });

  it('keeps the counts of each minute apart', async () => {
    const { store, clock, gate } = world();
    clock.set(at(MIN - 1));
    const a = gate();
    await calls(a, ZJ, 3);
    clock.set(at(MIN));
    await calls(a, ZJ, 2);
    await a.flush();

    expect(store.stored(ZJ, at(0))).toEqual({ calls: 3, notFound: 0 });
    expect(store.stored(ZJ, at(MIN))).toEqual({ calls: 2, notFound: 0 });
    expect(store.requests.addCounts).toBe(1);
  });

  it('sums the counts of two instances and trips once', async () => {
    const { store, clock, metrics, a, b } = world();
    // 6 calls at each instance, all NOT_FOUND: neither alone reaches minCalls (10).
    await calls(a, ZJ, 6, 6);
    await calls(b, ZJ, 6, 6);
    clock.set(at(1000));
    await a.flush();
    expect(store.writes).toEqual([]);

    await b.flush();

    const trip: StoredBreaker = {
      peer: ZJ,
      state: 'open',
      trippedBecause: 'not-found-share',
      trippedAt: at(1000).toISOString(),
      counts: { calls: 12, notFound: 12, windowMinutes: 10 },
      generation: 1,
    };
    expect(store.writes).toEqual([
      {
        to: trip,
        from: undefined,
        audit: tripEvent(ZJ, at(1000), {
          trippedBecause: 'not-found-share',
          calls: 12,
          notFound: 12,
          windowMinutes: 10,
          generation: 1,
        }),
        result: 'stored',
      },
    ]);
    expect(store.breakers.get(ZJ)).toEqual(trip);

    // The other instance sees it open at its next state read and trips nothing more.
    clock.set(at(2000));
    await calls(a, ZJ, 6, 6);
    await a.flush();
    expect(await a.state(ZJ)).toBe('open');
    expect(store.writes).toHaveLength(1);
    expect(metrics).toHaveLength(1);
  });

  it('lets the instance that trips second lose the race and read the trip', async () => {
    const { store, clock, a, b } = world();
    clock.set(at(500));
    expect(await b.state(ZJ)).toBe('closed');
    await calls(a, ZJ, 10, 10);
    await calls(b, ZJ, 10, 10);
    clock.set(at(1000));
    await a.flush();
    // b's state read of 500 ms is still fresh: it decides a trip over generation 0 too.
    await b.flush();

    expect(store.writes.map((w) => [w.from, w.result])).toEqual([
      [undefined, 'stored'],
      [undefined, 'conflict'],
    ]);
    expect(store.breakers.get(ZJ)).toMatchObject({ state: 'open', generation: 1 });
    const reads = store.requests.breaker;
    expect(await b.state(ZJ)).toBe('open');
    expect(store.requests.breaker).toBe(reads + 1);
    expect(logs.records().filter((r) => r.message === 'breaker tripped')).toHaveLength(1);
  });

  it('trips on the rate: more than callsPerMinute calls in one minute', async () => {
    const { store, clock, metrics, a } = world({ ...SETTINGS, callsPerMinute: 5 });
    await calls(a, ZJ, 5);
    clock.set(at(1000));
    await a.flush();
    expect(store.writes).toEqual([]);

    await calls(a, ZJ, 1);
    clock.set(at(2000));
    await a.flush();

    const trip: StoredBreaker = {
      peer: ZJ,
      state: 'open',
      trippedBecause: 'rate',
      trippedAt: at(2000).toISOString(),
      counts: { calls: 6, notFound: 0, windowMinutes: 1 },
      generation: 1,
    };
    expect(store.writes).toEqual([
      {
        to: trip,
        from: undefined,
        audit: tripEvent(ZJ, at(2000), {
          trippedBecause: 'rate',
          calls: 6,
          notFound: 0,
          windowMinutes: 1,
          generation: 1,
        }),
        result: 'stored',
      },
    ]);
    expect(metrics.map((line) => JSON.parse(line))).toEqual([
      {
        _aws: {
          Timestamp: at(2000).getTime(),
          CloudWatchMetrics: [
            {
              Namespace: 'ELG/Reviews',
              Dimensions: [['Province']],
              Metrics: [{ Name: 'BreakerTrips', Unit: 'Count' }],
            },
          ],
        },
        Province: SH,
        BreakerTrips: 1,
      },
    ]);
    expect(logs.records()).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'breaker tripped',
        peer: ZJ,
        trippedBecause: 'rate',
        calls: 6,
        generation: 1,
      }),
    );
  });

  it('does not trip on the rate from calls spread over two minutes', async () => {
    const { store, clock, gate } = world({ ...SETTINGS, callsPerMinute: 5 });
    clock.set(at(MIN - 1000));
    const a = gate();
    await calls(a, ZJ, 5);
    clock.set(at(MIN));
    await calls(a, ZJ, 5);
    await a.flush();

    expect(store.stored(ZJ, at(0))).toEqual({ calls: 5, notFound: 0 });
    expect(store.stored(ZJ, at(MIN))).toEqual({ calls: 5, notFound: 0 });
    expect(store.requests.counts).toBe(2);
    expect(store.writes).toEqual([]);
  });

  it('trips on the NOT_FOUND share only over at least minCalls calls, and only above the share', async () => {
    const { store, clock, a } = world({ ...SETTINGS, minCalls: 10, notFoundShare: 0.2 });
    // 9 calls, all NOT_FOUND: too few to judge.
    await calls(a, ZJ, 9, 9);
    clock.set(at(1000));
    await a.flush();
    expect(store.writes).toEqual([]);

    // 20 calls, 4 of them NOT_FOUND at another province: exactly the share, not above it.
    await calls(a, JS, 20, 4);
    clock.set(at(2000));
    await a.flush();
    expect(store.writes).toEqual([]);

    // The 10th call of ZJ (over two flushes, and two minutes) tips it over.
    clock.set(at(MIN + 2000));
    await calls(a, ZJ, 1);
    await a.flush();
    await calls(a, JS, 1, 1);
    clock.set(at(MIN + 3000));
    await a.flush();

    expect(store.writes.map((w) => w.to)).toEqual([
      {
        peer: ZJ,
        state: 'open',
        trippedBecause: 'not-found-share',
        trippedAt: at(MIN + 2000).toISOString(),
        counts: { calls: 10, notFound: 9, windowMinutes: 10 },
        generation: 1,
      },
      {
        peer: JS,
        state: 'open',
        trippedBecause: 'not-found-share',
        trippedAt: at(MIN + 3000).toISOString(),
        counts: { calls: 21, notFound: 5, windowMinutes: 10 },
        generation: 1,
      },
    ]);
  });

  it('counts only the last windowMinutes toward the NOT_FOUND share', async () => {
    const { store, clock, a } = world({ ...SETTINGS, windowMinutes: 2, minCalls: 10 });
    await calls(a, ZJ, 9, 9);
    await a.flush();
    // Two minutes later the first minute is out of the window.
    clock.set(at(2 * MIN));
    await calls(a, ZJ, 9, 9);
    await a.flush();

    expect(store.writes).toEqual([]);
    expect(store.stored(ZJ, at(0))).toEqual({ calls: 9, notFound: 9 });
  });

  it('opens the instance that tripped at once, and the other at its next state read', async () => {
    const { store, clock, a, b } = world();
    clock.set(at(500));
    expect(await b.state(ZJ)).toBe('closed');
    expect(await a.state(ZJ)).toBe('closed');
    await calls(a, ZJ, 10, 10);
    clock.set(at(1000));
    await a.flush();
    const reads = store.requests.breaker;

    clock.set(at(1499));
    expect(await a.state(ZJ)).toBe('open');
    expect(await b.state(ZJ)).toBe('closed');
    expect(store.requests.breaker).toBe(reads);
    clock.set(at(1500));
    expect(await b.state(ZJ)).toBe('open');
    expect(store.requests.breaker).toBe(reads + 1);
  });

  it('shares one state read among concurrent calls', async () => {
    const { store, a } = world();

    const states = await Promise.all(Array.from({ length: 8 }, () => a.state(ZJ)));

    expect(states).toEqual(Array(8).fill('closed'));
    expect(store.requests.breaker).toBe(1);
  });

  it('counts afresh after a release: only the calls after it, in its own minute too', async () => {
    const { store, clock, a } = world({ ...SETTINGS, minCalls: 10 });
    await calls(a, ZJ, 10, 10);
    clock.set(at(1000));
    await a.flush();
    expect(await a.state(ZJ)).toBe('open');

    // Released at 00:30: the 10 calls of that minute before it are the baseline, and count no more.
    store.release(ZJ, at(30_000));
    clock.set(at(30_000));
    expect(await a.state(ZJ)).toBe('closed');
    await calls(a, ZJ, 9, 9);
    clock.set(at(31_500));
    await a.flush();
    expect(store.writes).toHaveLength(1);
    expect(store.stored(ZJ, at(0))).toEqual({ calls: 19, notFound: 19 });

    // The tenth call after the release, in the same minute, trips it again: no minute is a gap.
    await calls(a, ZJ, 1, 1);
    clock.set(at(33_000));
    await a.flush();

    const retrip = store.writes[1];
    expect(retrip?.from).toBe(2);
    expect(retrip?.to).toMatchObject({
      peer: ZJ,
      state: 'open',
      trippedBecause: 'not-found-share',
      trippedAt: at(33_000).toISOString(),
      counts: { calls: 10, notFound: 10, windowMinutes: 1 },
      releasedAt: at(30_000).toISOString(),
      generation: 3,
    });
    expect(retrip?.audit).toEqual(
      tripEvent(ZJ, at(33_000), {
        trippedBecause: 'not-found-share',
        calls: 10,
        notFound: 10,
        windowMinutes: 1,
        generation: 3,
      }),
    );
  });

  it('keeps the counts storage did not take for the next flush, without failing the call', async () => {
    const { store, clock, a } = world();
    store.down.add('addCounts');
    await calls(a, ZJ, 4, 1);
    clock.set(at(1000));
    await expect(a.record(ZJ, { notFound: false })).resolves.toBeUndefined();
    clock.set(at(MIN));
    await calls(a, ZJ, 2);

    expect(store.requests.addCounts).toBe(2);
    expect(store.minutes.size).toBe(0);
    expect(store.requests.counts).toBe(0);
    expect(logs.records().filter((r) => r.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'breaker counts could not be stored; kept for the next flush',
        peer: ZJ,
      }),
      expect.objectContaining({
        message: 'breaker counts could not be stored; kept for the next flush',
        peer: ZJ,
      }),
    ]);

    store.down.clear();
    await a.flush();

    expect(store.stored(ZJ, at(0))).toEqual({ calls: 5, notFound: 1 });
    expect(store.stored(ZJ, at(MIN))).toEqual({ calls: 2, notFound: 0 });
    await a.flush();
    expect(store.stored(ZJ, at(0))).toEqual({ calls: 5, notFound: 1 });
  });

  it('does not fail a call when the window or the trip cannot be stored', async () => {
    const { store, clock, a } = world();
    store.down.add('counts');
    await calls(a, ZJ, 10, 10);
    clock.set(at(1000));
    await expect(a.record(ZJ, { notFound: true })).resolves.toBeUndefined();
    store.down.clear();
    store.down.add('setBreaker');
    clock.set(at(2000));
    await expect(a.record(ZJ, { notFound: true })).resolves.toBeUndefined();

    expect(store.requests.setBreaker).toBe(1);
    expect(store.breakers.size).toBe(0);
    expect(await a.state(ZJ)).toBe('closed');
    expect(logs.records().filter((r) => r.message === 'a breaker trip could not be decided')).toHaveLength(2);
  });

  it('fails closed with 503 when a state read is due and storage does not answer', async () => {
    const { store, clock, a } = world();
    expect(await a.state(ZJ)).toBe('closed');

    store.down.add('breaker');
    clock.set(at(BREAKER_REUSE_MS - 1));
    expect(await a.state(ZJ)).toBe('closed');
    const refusals: unknown[] = [];
    for (const ms of [BREAKER_REUSE_MS, BREAKER_REUSE_MS + 1, 5 * BREAKER_REUSE_MS]) {
      clock.set(at(ms));
      refusals.push(await a.state(ZJ).catch((err: unknown) => err));
    }
    store.down.clear();

    for (const err of refusals) {
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect((err as AppError).status).toBe(503);
    }
    expect(await a.state(ZJ)).toBe('closed');
    expect(store.requests.breaker).toBe(5);
  });

  it('reads the state again when the clock went back', async () => {
    const { store, clock, a } = world();
    clock.set(at(BREAKER_REUSE_MS));
    expect(await a.state(ZJ)).toBe('closed');
    clock.set(at(0));
    expect(await a.state(ZJ)).toBe('closed');

    expect(store.requests.breaker).toBe(2);
  });
});

describe('deciding a trip from a window of counts', () => {
  const m = (calls: number, notFound = 0): MinuteCounts => ({ minute: '2026-06-01T08:00', calls, notFound });

  it('trips on the busiest minute above the rate, before the share', () => {
    expect(decide([m(3, 3), m(1001, 0)], SETTINGS, 10)).toEqual({
      because: 'rate',
      counts: { calls: 1001, notFound: 0, windowMinutes: 1 },
    });
    expect(decide([m(1000)], SETTINGS, 10)).toBeUndefined();
  });

  it('trips on a share above notFoundShare over at least minCalls calls', () => {
    expect(decide([m(5, 2), m(5, 1)], SETTINGS, 3)).toEqual({
      because: 'not-found-share',
      counts: { calls: 10, notFound: 3, windowMinutes: 3 },
    });
    expect(decide([m(5, 1), m(5, 1)], SETTINGS, 3)).toBeUndefined();
    expect(decide([m(9, 9)], SETTINGS, 3)).toBeUndefined();
    expect(decide([], SETTINGS, 3)).toBeUndefined();
  });
});
