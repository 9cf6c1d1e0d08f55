import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { startDynamoDbLocal } from '../../federation/dynamodb-local.ts';
import { type Federation, type RunningProvince, startFederation } from '../../federation/federation.ts';
import { SAMPLE_TYPE } from '../../federation/provinces.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { log } from '../../lib/log/logger.ts';
import { type Answer, call } from './request.ts';
import { bump, Tally } from './tally.ts';
import {
  type Growth,
  type IntervalReport,
  OPERATIONS,
  type Operation,
  type SoakOptions,
  type SoakSummary,
} from './types.ts';

/**
 * The soak's load driver: a throw-away federation in this process, the mixed schedule run by
 * `concurrency` workers for the planned time, and the summary of what came back.
 */

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

interface Held {
  identifier: string;
  credential: string;
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
