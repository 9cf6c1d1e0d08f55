import type { Budget, Measurement, Section } from './harness.ts';
import { runSoak } from './soak/driver.ts';
import { formatCounts } from './soak/report.ts';

const CONCURRENCY = 6;
const INTERVALS = 6;

/**
 * A short `npm run soak`: the same mixed load on a throw-away five-province federation, for 16 ×
 * the measurement budget (24 s by default, 10 s at least, 60 s at most) in 6 intervals. Reported: requests per
 * second with p50/p99, the error answers by code (the mix sends 1 in 20 with a bad token and 1 in
 * 20 with a bad body on purpose), and the RSS growth from the start of interval 2 to the end. RSS
 * is this process's: the gateways run here, DynamoDB Local in its own JVM; in a full bench run it
 * also holds what earlier sections left.
 */
export const soak: Section = {
  name: 'soak',
  title: 'soak (mixed load on a throw-away federation)',
  async run(budget: Budget): Promise<Measurement[]> {
    const seconds = Math.min(60, Math.max(10, budget.seconds * 16));
    const s = await runSoak({
      seconds,
      intervalSeconds: seconds / INTERVALS,
      concurrency: CONCURRENCY,
      timeoutMs: 10_000,
      onInterval: (i) =>
        process.stderr.write(
          `  interval ${i.index}: ${i.requests} requests, ${i.requestsPerSecond.toFixed(1)} req/s, ` +
            `p50 ${i.p50Ms.toFixed(1)} ms, p99 ${i.p99Ms.toFixed(1)} ms, RSS ${i.rssMiB.toFixed(1)} MiB\n`,
        ),
    });
    const t = s.totals;
    const errors = Object.values(t.errorsByCode).reduce((a, b) => a + b, 0);
    const failures =
      t.serverErrors + t.timeouts + t.networkErrors > 0
        ? `; FAILED: 5xx ${t.serverErrors}, timeouts ${t.timeouts}, network ${t.networkErrors}`
        : '';
    const g = s.rssGrowth;
    const rss = g
      ? `RSS ${g.growthMiB >= 0 ? '+' : ''}${g.growthMiB.toFixed(1)} MiB (${g.growthPercent.toFixed(1)} %) from interval 2 to ${g.toMiB.toFixed(0)} MiB`
      : 'RSS growth n/a';
    const rows: Measurement[] = [
      {
        name: `mixed requests, concurrency ${CONCURRENCY}, ${s.elapsedSeconds.toFixed(0)} s`,
        ops: t.requests,
        seconds: s.elapsedSeconds,
        opsPerSecond: t.requestsPerSecond,
        note: `p50 ${t.p50Ms.toFixed(1)} ms, p99 ${t.p99Ms.toFixed(1)} ms; ${rss}; unexpected ${t.unexpected}${failures}${errors === 0 ? '; no error answers' : ''}`,
      },
    ];
    // A rate of zero would print as an infinite µs/op; no error answers is said in the first row instead.
    if (errors > 0) {
      rows.push({
        name: 'error answers',
        ops: errors,
        seconds: s.elapsedSeconds,
        opsPerSecond: errors / s.elapsedSeconds,
        note: formatCounts(t.errorsByCode),
      });
    }
    return rows;
  },
};
