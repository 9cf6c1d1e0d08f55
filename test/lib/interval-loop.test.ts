import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIntervalLoop } from '../../lib/interval-loop.ts';
import { captureLogs } from '../../lib/log/capture.ts';

const FAILED = { message: 'test round failed' };

describe('an interval loop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** When each round started, in fake ms since the loop started. */
  function rounds(results: (boolean | Error)[]) {
    const started: number[] = [];
    const t0 = Date.now();
    let i = 0;
    const round = async () => {
      started.push(Date.now() - t0);
      const r = results[Math.min(i++, results.length - 1)];
      if (r instanceof Error) throw r;
      return r;
    };
    return { round, started };
  }

  it('backs off while rounds find nothing, doubling up to the cap, and is back on the interval after work', async () => {
    // Prepare: four idle rounds, one that works, then idle again.
    const { round, started } = rounds([false, false, false, false, true, false, false]);

    // Act
    const stop = startIntervalLoop(round, 100, { ...FAILED, maxIntervalMs: 500 });
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 500 + 500 + 100 + 200);
    await stop();

    // Assess: waits 100, 200, 400, 500 (cap), 500; after the round with work 100, then 200.
    expect(started).toEqual([100, 300, 700, 1200, 1700, 1800, 2000]);
  });

  it('runs again on the interval after a failed round, which it logs', async () => {
    // Prepare
    const { round, started } = rounds([false, false, new Error('storage is down'), false]);
    const logs = captureLogs();

    // Act
    const stop = startIntervalLoop(round, 100, FAILED);
    try {
      await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 100);
      await stop();
    } finally {
      logs.restore();
    }

    // Assess
    expect(started).toEqual([100, 300, 700, 800]);
    expect(logs.records().filter((r) => r.message === FAILED.message)).toHaveLength(1);
  });

  it('keeps to the interval for rounds that do not say they were idle', async () => {
    // Prepare
    const started: number[] = [];
    const t0 = Date.now();

    // Act
    const stop = startIntervalLoop(
      async () => {
        started.push(Date.now() - t0);
        return { attempted: 0 };
      },
      100,
      FAILED,
    );
    await vi.advanceTimersByTimeAsync(350);
    await stop();

    // Assess
    expect(started).toEqual([100, 200, 300]);
  });

  it('waits for the round in flight when stopped, and starts none after', async () => {
    // Prepare: a round that takes 1 s.
    let finished = 0;
    let begun = 0;
    const stop = startIntervalLoop(
      async () => {
        begun++;
        await new Promise((r) => setTimeout(r, 1000));
        finished++;
        return true;
      },
      100,
      FAILED,
    );
    await vi.advanceTimersByTimeAsync(150);

    // Act
    const stopped = stop();
    await vi.advanceTimersByTimeAsync(1000);
    await stopped;
    await vi.advanceTimersByTimeAsync(5000);

    // Assess
    expect([begun, finished]).toEqual([1, 1]);
  });

  it('refuses an interval below 10 ms and a cap below the interval', () => {
    expect(() => startIntervalLoop(async () => true, 5, FAILED)).toThrow(TypeError);
    expect(() => startIntervalLoop(async () => true, 100, { ...FAILED, maxIntervalMs: 50 })).toThrow(
      TypeError,
    );
  });
});
