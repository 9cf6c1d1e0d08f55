import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ErrorBodySchema } from '../contracts/errors.ts';
import { IssueResponseSchema } from '../contracts/license.ts';
import { VerifyResponseSchema } from '../contracts/verify.ts';
import { startDynamoDbLocal } from '../federation/dynamodb-local.ts';
import { type Federation, type RunningProvince, startFederation } from '../federation/federation.ts';
import { SAMPLE_TYPE } from '../federation/provinces.ts';
import { todayCst } from '../lib/license/validity.ts';
import { log } from '../lib/log/logger.ts';

/**
 * `npm run soak`: a steady mixed load for a bounded time against a throw-away federation run in
 * this process (its own DynamoDB Local, temp dir and free ports, so a running `npm start` is never
 * touched), reported per interval: requests, latency, errors by code, and this process's memory,
 * which is the federation's. A short run of it is the bench section `soak` (soak-section.ts).
 */

/** Each kind of request in the mix, with the one answer it should get. */
export const OPERATIONS = {
  issue: { label: 'issue in 310000', expect: '201' },
  verifyOwn: { label: 'verify in 310000 (own credential)', expect: '200 valid' },
  verifyAlliance: { label: 'verify in 330000 (Shanghai license, alliance)', expect: '200 valid' },
  verifyNoAgreement: {
    label: 'verify in 510000 (Shanghai license, no agreement)',
    expect: '200 unverified AGREEMENT_REQUIRED',
  },
  statusRead: { label: 'status read in 310000 (platform)', expect: '200' },
  auditQuery: { label: 'auditor query in 310000', expect: '200' },
  badToken: { label: 'bad bearer token (verify in 310000)', expect: '401 UNAUTHENTICATED' },
  badBody: { label: 'bad body (issue in 310000)', expect: '400 INVALID_REQUEST' },
} as const;
export type Operation = keyof typeof OPERATIONS;

/** The mix, taken in turn so every run has the same shares: 2 in 20 are bad requests. */
const SCHEDULE: readonly Operation[] = [
  'issue',
  'verifyAlliance',
  'verifyOwn',
  'verifyNoAgreement',
  'statusRead',
  'verifyAlliance',
  'auditQuery',
  'verifyOwn',
  'issue',
  'badToken',
  'verifyAlliance',
  'verifyOwn',
  'statusRead',
  'verifyAlliance',
  'verifyNoAgreement',
  'auditQuery',
  'issue',
  'verifyOwn',
  'badBody',
  'verifyAlliance',
];

/** Licenses the verifies and reads pick from: the most recent ones issued. */
const POOL_SIZE = 256;
/** A second guard besides the clock: no run makes more requests than this. */
const MAX_REQUESTS = 2_000_000;
const MIB = 1024 * 1024;
const USE = { matterCode: 'SOAK0001', useCause: '稳定性测试：混合负载' };
const HOLDER = { name: '张三', typeCode: '111', code: '11010519491231002X' };

export interface SoakOptions {
  seconds: number;
  intervalSeconds: number;
  concurrency: number;
  /** Per request; a request still open after it counts as `timeout`. */
  timeoutMs: number;
  /** Aborting stops new requests; those in flight finish (or time out) and the summary covers them. */
  signal?: AbortSignal;
  onStarted?: (f: Federation) => void;
  onInterval?: (interval: IntervalReport) => void;
}

export interface IntervalReport {
  index: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Error answers by their `error.code`, plus `timeout` and `network`. */
  errorsByCode: Record<string, number>;
  rssMiB: number;
  heapUsedMiB: number;
}

export interface Growth {
  fromMiB: number;
  toMiB: number;
  growthMiB: number;
  growthPercent: number;
}

export interface SoakSummary {
  provinces: string[];
  concurrency: number;
  plannedSeconds: number;
  elapsedSeconds: number;
  intervalSeconds: number;
  stoppedEarly: boolean;
  intervals: IntervalReport[];
  totals: {
    requests: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    /** `201`, `200 valid`, `400 INVALID_REQUEST`, `timeout` ...: every answer, counted. */
    byAnswer: Record<string, number>;
    errorsByCode: Record<string, number>;
    serverErrors: number;
    timeouts: number;
    networkErrors: number;
    /** Answers other than the one their operation expects. */
    unexpected: number;
  };
  operations: {
    name: Operation;
    label: string;
    expect: string;
    requests: number;
    p50Ms: number;
    p99Ms: number;
    answers: Record<string, number>;
  }[];
  /** From the end of interval 1 (the start of interval 2) to the end; absent with fewer than 2 intervals. */
  rssGrowth?: Growth;
  heapGrowth?: Growth;
  /** No 5xx, no timeout, no network error. */
  ok: boolean;
}

interface Answer {
  /** How it is counted: `200 valid`, `401 UNAUTHENTICATED`, `timeout` ... */
  key: string;
  /** Set for an error answer, a timeout or a network error. */
  error?: string;
  status: number;
  json?: unknown;
}

interface Held {
  identifier: string;
  credential: string;
}

/**
 * Latencies in buckets 2 % wide from 0.05 ms up: percentiles to within 2 % in memory that does not
 * grow with the run, so a long soak does not measure its own bookkeeping as the federation's RSS.
 */
class Histogram {
  private static readonly STEP = Math.log(1.02);
  private static readonly FLOOR_MS = 0.05;
  private readonly buckets = new Map<number, number>();
  count = 0;

  add(ms: number) {
    const b = Math.max(
      0,
      Math.floor(Math.log(Math.max(ms, Histogram.FLOOR_MS) / Histogram.FLOOR_MS) / Histogram.STEP),
    );
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
  }

  /** Nearest rank, as the interop section counts it; the bucket's middle; 0 for no samples. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.min(this.count - 1, Math.floor(p * this.count));
    let seen = 0;
    for (const [b, n] of [...this.buckets].sort(([x], [y]) => x - y)) {
      seen += n;
      if (seen > rank) return Histogram.FLOOR_MS * Math.exp((b + 0.5) * Histogram.STEP);
    }
    return 0;
  }
}

class Tally {
  requests = 0;
  latencies = new Histogram();
  errors = new Map<string, number>();

  add(ms: number, error: string | undefined) {
    this.requests++;
    this.latencies.add(ms);
    if (error) bump(this.errors, error);
  }
}

/** Runs the soak from start to finish: federation up, load, federation down. */
export async function runSoak(options: SoakOptions): Promise<SoakSummary> {
  // A line per request would bury the measurements: warnings and errors only, unless asked.
  if (!process.env.ELG_LOG_LEVEL) log.setLevel('warn');
  checkOptions(options);
  const dir = await mkdtemp(join(tmpdir(), 'elg-soak-'));
  const ddb = await startDynamoDbLocal();
  let f: Federation | undefined;
  try {
    f = await startFederation({ dir, dynamodbEndpoint: ddb.endpoint, ports: 'ephemeral' });
    options.onStarted?.(f);
    return await drive(f, options);
  } finally {
    await f?.stop();
    await ddb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function checkOptions(o: SoakOptions) {
  if (!(o.seconds > 0)) throw new TypeError('seconds must be positive');
  if (!(o.intervalSeconds > 0)) throw new TypeError('intervalSeconds must be positive');
  if (!(Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= 64))
    throw new TypeError('concurrency must be an integer from 1 to 64');
  if (!(o.timeoutMs > 0)) throw new TypeError('timeoutMs must be positive');
}

async function drive(f: Federation, options: SoakOptions): Promise<SoakSummary> {
  const sh = f.province('310000');
  const zj = f.province('330000');
  const sc = f.province('510000');
  const pool: Held[] = [];
  let issued = 0;
  const today = todayCst(new Date());
  const issueBody = () => ({
    typeCode: SAMPLE_TYPE.code,
    typeName: SAMPLE_TYPE.name,
    number: `沪建安A(2026)${String(++issued).padStart(6, '0')}`,
    issuer: sh.departments[0],
    holder: HOLDER,
    areaCode: '310000',
    issueDate: today,
    validFrom: today,
    fields: { category: '建筑电工' },
  });
  const remember = (answer: Answer) => {
    const parsed = IssueResponseSchema.safeParse(answer.json);
    if (answer.status !== 201 || !parsed.success) return;
    pool.push({ identifier: parsed.data.identifier, credential: parsed.data.credential });
    if (pool.length > POOL_SIZE) pool.shift();
  };
  const pick = (): Held => {
    const held = pool[Math.floor(Math.random() * pool.length)];
    if (!held) throw new Error('no license issued to verify');
    return held;
  };
  const http = (p: RunningProvince, method: 'GET' | 'POST', path: string, token: string, body?: unknown) =>
    call({ url: `${p.url}${path}`, method, token, body, verify: path === '/v1/verify' }, options);
  const verifyBody = (by: 'credential' | 'identifier') => ({ [by]: pick()[by], ...USE });

  const send: Record<Operation, (n: number) => Promise<Answer | undefined>> = {
    issue: async () => {
      const a = await http(sh, 'POST', '/v1/licenses', sh.tokens.issuer, issueBody());
      if (a) remember(a);
      return a;
    },
    verifyOwn: () => http(sh, 'POST', '/v1/verify', sh.tokens.platform, verifyBody('credential')),
    verifyAlliance: () => http(zj, 'POST', '/v1/verify', zj.tokens.platform, verifyBody('identifier')),
    verifyNoAgreement: () => http(sc, 'POST', '/v1/verify', sc.tokens.platform, verifyBody('identifier')),
    statusRead: () => http(sh, 'GET', `/v1/licenses/${pick().identifier}`, sh.tokens.platform),
    auditQuery: () => {
      const query = `identifier=${encodeURIComponent(pick().identifier)}&limit=20`;
      return http(sh, 'GET', `/v1/audit/events?${query}`, sh.tokens.auditor);
    },
    badToken: () => http(sh, 'POST', '/v1/verify', 'soak.not-a.token', verifyBody('identifier')),
    // Alternately a body the schema refuses and malformed JSON.
    badBody: (n) =>
      http(
        sh,
        'POST',
        '/v1/licenses',
        sh.tokens.issuer,
        n % 2 === 0 ? { typeCode: SAMPLE_TYPE.code } : '{"typeCode":',
      ),
  };

  // Licenses to verify before the clock starts; these requests are not counted.
  for (let i = 0; i < 4; i++) {
    const a = await send.issue(0);
    if (options.signal?.aborted) break;
    if (a?.status !== 201) throw new Error(`the soak could not issue its first licenses: ${a?.key}`);
  }

  const byAnswer = new Map<string, number>();
  const perOperation = new Map<Operation, { tally: Tally; answers: Map<string, number> }>();
  for (const name of Object.keys(OPERATIONS) as Operation[]) {
    perOperation.set(name, { tally: new Tally(), answers: new Map() });
  }
  const total = new Tally();
  const intervals: IntervalReport[] = [];
  let window = new Tally();
  let windowStart = performance.now();
  const closeWindow = () => {
    const now = performance.now();
    const seconds = (now - windowStart) / 1000;
    const memory = process.memoryUsage();
    const report: IntervalReport = {
      index: intervals.length + 1,
      seconds,
      requests: window.requests,
      requestsPerSecond: window.requests / seconds,
      p50Ms: window.latencies.percentile(0.5),
      p99Ms: window.latencies.percentile(0.99),
      errorsByCode: Object.fromEntries(window.errors),
      rssMiB: memory.rss / MIB,
      heapUsedMiB: memory.heapUsed / MIB,
    };
    intervals.push(report);
    window = new Tally();
    windowStart = now;
    options.onInterval?.(report);
  };

  const start = performance.now();
  const stopAt = start + options.seconds * 1000;
  const going = () => performance.now() < stopAt && !options.signal?.aborted && total.requests < MAX_REQUESTS;
  let next = 0;
  const worker = async () => {
    while (going()) {
      const n = next++;
      const op = SCHEDULE[n % SCHEDULE.length] ?? 'verifyOwn';
      const t0 = performance.now();
      const answer = await send[op](n);
      const ms = performance.now() - t0;
      // Interrupted: what is still in flight is abandoned, not counted.
      if (answer === undefined || options.signal?.aborted) break;
      total.add(ms, answer.error);
      window.add(ms, answer.error);
      bump(byAnswer, answer.key);
      const mine = perOperation.get(op);
      mine?.tally.add(ms, answer.error);
      if (mine) bump(mine.answers, answer.key);
    }
  };
  // A boundary at (or just before) the end is left to the close after the drain, so the requests
  // still in flight count in the last interval instead of making a near-empty one of their own.
  const intervalMs = options.intervalSeconds * 1000;
  const ticker = setInterval(() => {
    if (performance.now() < stopAt - intervalMs * 0.2) closeWindow();
  }, intervalMs);
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearInterval(ticker);
  }
  closeWindow();
  const elapsedSeconds = (performance.now() - start) / 1000;

  const count = (pred: (key: string) => boolean) =>
    [...byAnswer].filter(([k]) => pred(k)).reduce((s, [, v]) => s + v, 0);
  const serverErrors = count((k) => /^5\d\d\b/.test(k));
  const timeouts = byAnswer.get('timeout') ?? 0;
  const networkErrors = byAnswer.get('network') ?? 0;
  const operations = [...perOperation].map(([name, { tally, answers }]) => ({
    name,
    label: OPERATIONS[name].label,
    expect: OPERATIONS[name].expect,
    requests: tally.requests,
    p50Ms: tally.latencies.percentile(0.5),
    p99Ms: tally.latencies.percentile(0.99),
    answers: Object.fromEntries(answers),
  }));
  const unexpected = operations.reduce(
    (s, o) => s + Object.entries(o.answers).reduce((t, [k, v]) => t + (k === o.expect ? 0 : v), 0),
    0,
  );
  const growth = (of: (i: IntervalReport) => number): Growth | undefined => {
    const from = intervals[0];
    const to = intervals[intervals.length - 1];
    if (intervals.length < 2 || !from || !to) return undefined;
    const growthMiB = of(to) - of(from);
    return { fromMiB: of(from), toMiB: of(to), growthMiB, growthPercent: (growthMiB / of(from)) * 100 };
  };
  const rssGrowth = growth((i) => i.rssMiB);
  const heapGrowth = growth((i) => i.heapUsedMiB);
  return {
    provinces: f.provinces.map((p) => p.id),
    concurrency: options.concurrency,
    plannedSeconds: options.seconds,
    elapsedSeconds,
    intervalSeconds: options.intervalSeconds,
    stoppedEarly: options.signal?.aborted ?? false,
    intervals,
    totals: {
      requests: total.requests,
      requestsPerSecond: total.requests / elapsedSeconds,
      p50Ms: total.latencies.percentile(0.5),
      p99Ms: total.latencies.percentile(0.99),
      byAnswer: Object.fromEntries([...byAnswer].sort(([a], [b]) => a.localeCompare(b))),
      errorsByCode: Object.fromEntries(total.errors),
      serverErrors,
      timeouts,
      networkErrors,
      unexpected,
    },
    operations,
    ...(rssGrowth ? { rssGrowth } : {}),
    ...(heapGrowth ? { heapGrowth } : {}),
    ok: serverErrors === 0 && timeouts === 0 && networkErrors === 0,
  };
}

interface Request {
  url: string;
  method: 'GET' | 'POST';
  token: string;
  /** A string is sent as it is (malformed JSON on purpose); anything else as JSON. */
  body?: unknown;
  /** Parse a 200 as a verify answer and count its verdict and reasons. */
  verify: boolean;
}

/**
 * One request on loopback; never throws: a timeout and a failed connection are answers too.
 * Undefined when the soak was stopped (Ctrl-C) while it was in flight: the DynamoDB Local JVM gets
 * the terminal's SIGINT too, so what happens to it then says nothing about the federation.
 */
async function call(r: Request, o: Pick<SoakOptions, 'timeoutMs' | 'signal'>): Promise<Answer | undefined> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  try {
    const res = await fetch(r.url, {
      method: r.method,
      headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
      ...(r.body === undefined ? {} : { body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) }),
      signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status >= 400) {
      const parsed = ErrorBodySchema.safeParse(json);
      const code = parsed.success ? parsed.data.error.code : 'UNPARSEABLE_ERROR_BODY';
      return { key: `${res.status} ${code}`, error: code, status: res.status, json };
    }
    if (!r.verify) return { key: String(res.status), status: res.status, json };
    const verify = VerifyResponseSchema.safeParse(json);
    if (!verify.success) return { key: `${res.status} UNPARSEABLE_VERIFY_ANSWER`, status: res.status, json };
    const reasons = verify.data.reasons.map((reason) => reason.code).join('+');
    return {
      key: `${res.status} ${verify.data.verdict}${reasons ? ` ${reasons}` : ''}`,
      status: res.status,
      json,
    };
  } catch {
    if (o.signal?.aborted) return undefined;
    if (timeout.aborted) return { key: 'timeout', error: 'timeout', status: 0 };
    return { key: 'network', error: 'network', status: 0 };
  }
}

function bump<K>(m: Map<K, number>, k: K) {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function formatGrowth(g: Growth | undefined): string {
  if (!g) return 'n/a (fewer than 2 intervals)';
  const sign = g.growthMiB >= 0 ? '+' : '';
  return `${g.fromMiB.toFixed(1)} → ${g.toMiB.toFixed(1)} MiB (${sign}${g.growthMiB.toFixed(1)} MiB, ${sign}${g.growthPercent.toFixed(1)} %)`;
}

export function table(
  head: readonly string[],
  rows: readonly string[][],
  right: ReadonlySet<number>,
): string {
  const lines = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
  const fmt = (l: readonly string[]) =>
    l
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const INTERVAL_HEAD = [
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
const INTERVAL_RIGHT = new Set([0, 1, 2, 3, 4, 5, 6, 7]);

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
    ...(intervals ? [table(INTERVAL_HEAD, s.intervals.map(intervalRow), INTERVAL_RIGHT), ''] : []),
    table(
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

const USAGE =
  'usage: npm run soak [-- [--minutes N | --seconds N] [--interval SECONDS] [--concurrency N] [--timeout SECONDS] [--json]]';

async function main(): Promise<number> {
  let values: ReturnType<typeof parseCli>['values'];
  try {
    values = parseCli().values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
  const seconds = values.seconds !== undefined ? num(values.seconds, 0) : num(values.minutes, 10) * 60;
  const intervalSeconds = num(values.interval, 60);
  const concurrency = num(values.concurrency, 6);
  const timeoutSeconds = num(values.timeout, 10);
  const problems = [
    !(seconds > 0 && seconds <= 24 * 3600) &&
      '--minutes (or --seconds) takes a positive duration of at most 24 h',
    values.minutes !== undefined && values.seconds !== undefined && 'give --minutes or --seconds, not both',
    !(intervalSeconds >= 1) && '--interval takes a number of seconds, at least 1',
    !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64) &&
      '--concurrency takes a whole number from 1 to 64',
    !(timeoutSeconds > 0 && timeoutSeconds <= 120) && '--timeout takes a number of seconds up to 120',
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
    return 2;
  }
  // With --json the JSON alone goes to stdout, for scripts; the report goes to stderr.
  const say = (text: string) => (values.json ? process.stderr : process.stdout).write(text);
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      say('\nStopping: waiting for the requests in flight, then the federation and DynamoDB Local ...\n');
      stop.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  say(
    `elg soak: ${(seconds / 60).toFixed(2)} min, ${intervalSeconds} s intervals, concurrency ${concurrency}, ` +
      `timeout ${timeoutSeconds} s per request\nStarting a throw-away federation (DynamoDB Local and five provinces) ...\n`,
  );
  let printedHead = false;
  const summary = await runSoak({
    seconds,
    intervalSeconds,
    concurrency,
    timeoutMs: timeoutSeconds * 1000,
    signal: stop.signal,
    onStarted: (f) => say(`Running on ${f.provinces.map((p) => `${p.id} ${p.url}`).join(', ')}\n\n`),
    onInterval: (i) => {
      const lines = table(INTERVAL_HEAD, [intervalRow(i)], INTERVAL_RIGHT).split('\n');
      say(`${(printedHead ? lines.slice(2) : lines).join('\n')}\n`);
      printedHead = true;
    },
  });
  say(`\n${summary.stoppedEarly ? 'Stopped early.\n' : ''}${describe(summary, { intervals: false })}`);
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (!summary.ok) return 1;
  return summary.stoppedEarly ? 130 : 0;
}

function parseCli() {
  return parseArgs({
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      interval: { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
