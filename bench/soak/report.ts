import { textTable } from '../text-table.ts';
import type { Growth, IntervalReport, SoakSummary } from './types.ts';

/** The soak's human report: tables of intervals and operations, totals, memory growth. */

export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function formatGrowth(g: Growth | undefined): string {
  if (!g) return 'n/a (fewer than 2 intervals)';
  const sign = g.growthMiB >= 0 ? '+' : '';
  return `${g.fromMiB.toFixed(1)} → ${g.toMiB.toFixed(1)} MiB (${sign}${g.growthMiB.toFixed(1)} MiB, ${sign}${g.growthPercent.toFixed(1)} %)`;
}

export const INTERVAL_HEAD = [
  'interval',
  'seconds',
  'requests',
  'req/s',
  'p50 ms',
  'p99 ms',
  'RSS MiB',
  'heap MiB',
  'errors by code',
];
export const INTERVAL_RIGHT = new Set([0, 1, 2, 3, 4, 5, 6, 7]);

export function intervalRow(i: IntervalReport): string[] {
  return [
    String(i.index),
    i.seconds.toFixed(1),
    String(i.requests),
    i.requestsPerSecond.toFixed(1),
    i.p50Ms.toFixed(1),
    i.p99Ms.toFixed(1),
    i.rssMiB.toFixed(1),
    i.heapUsedMiB.toFixed(1),
    formatCounts(i.errorsByCode),
  ];
}

/** The human report of a finished soak; `intervals: false` when they were printed as they came. */
export function describe(s: SoakSummary, { intervals = true } = {}): string {
  const t = s.totals;
  const ops = s.operations.map((o) => {
    const wrong = Object.entries(o.answers).filter(([k]) => k !== o.expect);
    return [
      o.label,
      String(o.requests),
      o.p50Ms.toFixed(1),
      o.p99Ms.toFixed(1),
      o.expect,
      wrong.length === 0
        ? 'all'
        : `${o.answers[o.expect] ?? 0}; also ${wrong.map(([k, v]) => `${k} ×${v}`).join(', ')}`,
    ];
  });
  return [
    ...(intervals ? [textTable(INTERVAL_HEAD, s.intervals.map(intervalRow), INTERVAL_RIGHT), ''] : []),
    textTable(
      ['operation', 'requests', 'p50 ms', 'p99 ms', 'expected answer', 'as expected'],
      ops,
      new Set([1, 2, 3]),
    ),
    '',
    `answers: ${formatCounts(t.byAnswer)}`,
    `errors by code: ${formatCounts(t.errorsByCode)}`,
    `total: ${t.requests} requests in ${s.elapsedSeconds.toFixed(1)} s (${t.requestsPerSecond.toFixed(1)} req/s), ` +
      `p50 ${t.p50Ms.toFixed(1)} ms, p99 ${t.p99Ms.toFixed(1)} ms; 5xx ${t.serverErrors}, timeouts ${t.timeouts}, ` +
      `network errors ${t.networkErrors}; unexpected answers ${t.unexpected}`,
    `RSS from the start of interval 2 to the end: ${formatGrowth(s.rssGrowth)}`,
    `heap used, same span: ${formatGrowth(s.heapGrowth)}`,
    s.ok
      ? 'result: ok (no 5xx, no timeout, no network error)'
      : 'result: FAILED (5xx, timeouts or network errors above)',
    '',
  ].join('\n');
}
