import { performance } from 'node:perf_hooks';

/** One measured operation of a bench section. */
export interface Measurement {
  name: string;
  ops: number;
  seconds: number;
  opsPerSecond: number;
  /** How it compares to its ceiling, filled in by the section (e.g. `0.42 × raw verify`). */
  note?: string;
}

/** A group of measurements; each section is one file in `bench/`, listed in `run.ts`. */
export interface Section {
  name: string;
  title: string;
  /** Operations per second for the common table, or a table of its own for other quantities. */
  run(budget: Budget): Promise<Measurement[] | SectionTable>;
  /** Run only when named (`npm run bench -- NAME`), not by a bare `npm run bench`. */
  namedOnly?: boolean;
}

/** A section whose numbers are not operations per second (sizes, load times) prints its own table. */
export interface SectionTable {
  /** Printed after the common table, as it is: the section says what its numbers cover. */
  text: string;
}

/** Every loop stops by itself: after `seconds` or `maxOps`, whichever comes first. */
export interface Budget {
  seconds: number;
  maxOps: number;
  warmupSeconds: number;
}

export const DEFAULT_BUDGET: Budget = { seconds: 1.5, maxOps: 5_000_000, warmupSeconds: 0.2 };

/**
 * Runs `op` back to back (awaiting it when it returns a promise) within the budget and reports
 * operations per second. The clock is read once per batch, sized from the warm-up so that cheap
 * operations are not dominated by reading it.
 */
export async function measure(
  name: string,
  op: () => unknown,
  budget: Budget,
  /** Called between the warm-up and the measured loop (to reset a meter, say). */
  afterWarmUp?: () => void,
): Promise<Measurement> {
  const warm = await loop(op, budget.warmupSeconds, Math.min(budget.maxOps, 100_000), 1);
  afterWarmUp?.();
  const perMs = warm.ops / Math.max(warm.seconds * 1000, 0.001);
  const batch = Math.max(1, Math.min(1000, Math.floor(perMs)));
  const { ops, seconds } = await loop(op, budget.seconds, budget.maxOps, batch);
  return { name, ops, seconds, opsPerSecond: ops / seconds };
}

async function loop(op: () => unknown, seconds: number, maxOps: number, batch: number) {
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let ops = 0;
  let now = start;
  while (now < stopAt && ops < maxOps) {
    for (let i = 0; i < batch && ops < maxOps; i++, ops++) {
      const result = op();
      if (result instanceof Promise) await result;
    }
    now = performance.now();
  }
  return { ops, seconds: (now - start) / 1000 };
}

/** `0.42 × raw verify`: how close an operation comes to its ceiling. */
export function ratio(m: Measurement, ceiling: Measurement, label: string): string {
  return `${(m.opsPerSecond / ceiling.opsPerSecond).toFixed(2)} × ${label}`;
}
