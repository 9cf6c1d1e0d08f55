import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ISSUE_REQUEST } from '../contracts/examples.ts';
import { IssueResponseSchema } from '../contracts/license.ts';
import type { RunningProvince } from '../federation/federation.ts';
import { runChild } from './child.ts';
import { batchWriteCeiling } from './dynamo-ceiling.ts';
import type { DynamoTally, meterDynamo } from './dynamo-meter.ts';
import type { Budget, Section, SectionTable } from './harness.ts';
import { signatureCost } from './interop.ts';
import { callGateway, integrateAll, meteredFederation } from './metered-federation.ts';
import { textTable } from './text-table.ts';

const CONCURRENCY = 8;
/** What calls/s the CPU of all processes allows is counted against this machine's cores. */
const CORES = availableParallelism();
const DRIVER = join(import.meta.dirname, 'hot-path', 'load-driver.mjs');

interface DriverResult {
  calls: number;
  seconds: number;
  p50: number;
  p99: number;
  /** The load driver's own CPU over the run. */
  cpuMs: number;
}

/** What one kind of call costs, per call. */
interface CallCost {
  name: string;
  calls: number;
  callsPerSecond?: number;
  p50?: number;
  p99?: number;
  cpuMs: number;
  /** DynamoDB Local's CPU meanwhile, in ms. */
  engineCpuMs: number;
  /** The load driver's CPU, when a driver made the calls. */
  driverCpuMs?: number;
  tally: DynamoTally;
}

/**
 * The hot path, per call, with everything counted in one run: a cross-province verification
 * (platform in 330000, signed call to 310000), an own-province verification and an issued license.
 * The load runs in a process of its own (bench/hot-path/load-driver.mjs) after a warm-up, so this
 * process's CPU is the two gateways' alone; the scheduled loops are off while it runs, and the
 * sequencer then integrates what the calls wrote, measured apart (its share per call). DynamoDB
 * requests are counted by command in the client and capacity is what DynamoDB Local reports with
 * `ReturnConsumedCapacity: INDEXES` (bench/dynamo-meter.ts). Beside them: the signatures' CPU
 * floor and DynamoDB Local's own batch-write ceiling, measured in the same run; and the CPU of the
 * other processes on the machine (DynamoDB Local's engine from /proc, the load driver's its own),
 * because on a machine of a few cores calls/s is what their sum leaves, not the gateways' alone.
 */
export const hotPath: Section = {
  name: 'hotpath',
  title: 'the hot path per call: DynamoDB requests, write units, CPU (load in its own process)',
  async run(budget: Budget): Promise<SectionTable> {
    const { f, meter, endpoint, engineCpuMs, stop } = await meteredFederation(['310000', '330000'], 'hot');
    const m = { meter, engineCpuMs };
    try {
      const sh = f.province('310000');
      const zj = f.province('330000');
      const issued = IssueResponseSchema.parse(
        await callGateway(sh, 'issuer', '/v1/licenses', sampleIssue(sh)),
      );
      // A use cause as platforms send them (the documented example), not a token one: an event's
      // size decides its write units.
      const body = {
        identifier: issued.identifier,
        matterCode: 'BENCH001',
        useCause: '办理建筑施工特种作业人员从业登记',
      };
      const seconds = Math.max(3, budget.seconds * 4);
      await integrateAll(f.provinces);

      const warm = () => integrateAll(f.provinces);
      const cross = await underLoad(
        'cross-province verification (330000 → 310000)',
        zj,
        body,
        seconds,
        m,
        warm,
      );
      const crossSequencing = await sequencing(f.provinces, cross.calls, m);
      const own = await underLoad('own-province verification (310000)', sh, body, seconds, m, warm);
      const ownSequencing = await sequencing(f.provinces, own.calls, m);
      const issue = await issuing(sh, Math.min(200, Math.max(50, Math.round(budget.seconds * 60))), m);
      const issueSequencing = await sequencing(f.provinces, issue.calls, m);

      const sigs = await signatureCost(budget);
      const floorMs = (2 / sigs.sign.opsPerSecond + 3 / sigs.verify.opsPerSecond) * 1000;
      const ceiling = await batchWriteCeiling(endpoint, budget);

      const columns = [
        column(cross, crossSequencing, `${floorMs.toFixed(2)} (2 signs + 3 verifies)`),
        column(own, ownSequencing, '0 (no signature)'),
        column(issue, issueSequencing, `${(1000 / sigs.sign.opsPerSecond).toFixed(2)} (1 sign)`),
      ];
      const text = [
        `hot path per call (${seconds} s under load at concurrency ${CONCURRENCY} after a warm-up of ${WARM_UP.calls} calls or ${WARM_UP.seconds} s, load driver in its own process)`,
        textTable(
          ['per call', 'cross-province verification', 'own-province verification', 'issued license'],
          METRICS.map((metric, i) => [metric, ...columns.map((c) => c[i] ?? '')]),
          new Set(),
        ),
        'write units by destination, per cross-province verification (request path + sequencing):',
        textTable(
          ['where', 'write units'],
          Object.entries(sumBy(cross.tally.writeUnitsBy, crossSequencing.tally.writeUnitsBy))
            .sort((a, b) => b[1] - a[1])
            .map(([where, units]) => [where, (units / cross.calls).toFixed(2)]),
          new Set([1]),
        ),
        `DynamoDB Local's own batch-write ceiling in this run: ${ceiling.toFixed(0)} items/s (BatchWriteItem of 25 small items, 4 writers, a table without indexes)`,
        '',
      ].join('\n');
      return { text };
    } finally {
      await stop();
    }
  },
};

const METRICS = [
  'calls/s (concurrency 8)',
  `calls/s ${CORES} cores allow (CPU of all processes)`,
  'latency p50 / p99 ms',
  'DynamoDB requests, request path',
  '  by command',
  'DynamoDB requests, sequencing its events',
  '  by command',
  'write units, table + indexes (all)',
  'read units (all)',
  'node CPU ms, request path',
  'node CPU ms, its share of sequencing',
  'node CPU ms, total',
  'DynamoDB Local CPU ms, request path',
  'DynamoDB Local CPU ms, sequencing',
  'load driver CPU ms',
  'CPU ms of all processes, sequencing included',
  'signature floor, ms',
];

function column(call: CallCost, seq: CallCost, floor: string): string[] {
  const per = (n: number) => (n / call.calls).toFixed(2);
  const byCommand = (t: DynamoTally) =>
    Object.entries(t.requests)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k.replace(/Command$/, '')} ${per(n)}`)
      .join(', ');
  const driver = call.driverCpuMs ?? 0;
  const all = call.cpuMs + seq.cpuMs + call.engineCpuMs + seq.engineCpuMs + driver;
  return [
    call.callsPerSecond === undefined ? '- (one at a time)' : call.callsPerSecond.toFixed(0),
    Number.isFinite(all) ? ((CORES * 1000 * call.calls) / all).toFixed(0) : 'unknown',
    call.p50 === undefined ? '-' : `${call.p50.toFixed(1)} / ${(call.p99 ?? 0).toFixed(1)}`,
    per(total(call.tally.requests)),
    byCommand(call.tally),
    per(total(seq.tally.requests)),
    byCommand(seq.tally),
    per(call.tally.writeUnits + seq.tally.writeUnits),
    per(call.tally.readUnits + seq.tally.readUnits),
    (call.cpuMs / call.calls).toFixed(2),
    (seq.cpuMs / call.calls).toFixed(2),
    ((call.cpuMs + seq.cpuMs) / call.calls).toFixed(2),
    known(call.engineCpuMs / call.calls),
    known(seq.engineCpuMs / call.calls),
    call.driverCpuMs === undefined ? '- (in this process)' : per(call.driverCpuMs),
    known(all / call.calls),
    floor,
  ];
}

/** The warm-up before each measured window: this many calls, or this long if that comes first. */
const WARM_UP = { calls: 3000, seconds: 30 } as const;

/** The meter of the gateways' DynamoDB client and DynamoDB Local's CPU clock. */
interface Metered {
  meter: ReturnType<typeof meterDynamo>;
  engineCpuMs(): number;
}

/** What `work` cost: this process's CPU, DynamoDB Local's, and the requests it sent. */
async function measured<T>(m: Metered, work: () => Promise<T>) {
  m.meter.reset();
  const engineAtStart = m.engineCpuMs();
  const cpu = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return {
    value,
    cpuMs: (used.user + used.system) / 1000,
    engineCpuMs: m.engineCpuMs() - engineAtStart,
    tally: m.meter.tally(),
  };
}

/** A warm-up, then the measured window, each a run of the load driver against `p`'s /v1/verify. */
async function underLoad(
  name: string,
  p: RunningProvince,
  body: unknown,
  seconds: number,
  m: Metered,
  /** Integrates what the warm-up wrote, so that the sequencing measured after is the window's alone. */
  afterWarmUp: () => Promise<void>,
): Promise<CallCost> {
  const load = { url: `${p.url}/v1/verify`, token: p.tokens.platform, body, concurrency: CONCURRENCY };
  // Long enough for V8 to have compiled the request path (a deployed instance serves thousands of
  // calls warm): with a warm-up of 2 s (about 100 cross-province calls) the CPU per call came out
  // about twice as high as after 20 s.
  await drive({ ...load, seconds: WARM_UP.seconds, maxCalls: WARM_UP.calls, expectStatus: 200 });
  await afterWarmUp();
  const { value: result, ...cost } = await measured(m, () =>
    drive({ ...load, seconds, maxCalls: 200_000, expectStatus: 200 }),
  );
  return {
    name,
    calls: result.calls,
    callsPerSecond: result.calls / result.seconds,
    p50: result.p50,
    p99: result.p99,
    driverCpuMs: result.cpuMs,
    ...cost,
  };
}

/** Issues `count` licenses one after the other in this process (no load driver: a few hundred). */
async function issuing(p: RunningProvince, count: number, m: Metered): Promise<CallCost> {
  const { value: _, ...cost } = await measured(m, async () => {
    for (let i = 0; i < count; i++) {
      IssueResponseSchema.parse(await callGateway(p, 'issuer', '/v1/licenses', sampleIssue(p)));
    }
  });
  return { name: 'issued license (310000)', calls: count, ...cost };
}

/** Integrates every province's waiting events; what it cost, to share over `calls`. */
async function sequencing(
  provinces: readonly RunningProvince[],
  calls: number,
  m: Metered,
): Promise<CallCost> {
  const { value: _, ...cost } = await measured(m, () => integrateAll(provinces));
  return { name: 'sequencing', calls, ...cost };
}

async function drive(args: Record<string, unknown>): Promise<DriverResult> {
  const out = await runChild(process.execPath, [DRIVER, JSON.stringify(args)], { what: 'the load driver' });
  return JSON.parse(out) as DriverResult;
}

function sampleIssue(p: RunningProvince) {
  return { ...structuredClone(ISSUE_REQUEST), issuer: p.departments[0] };
}

function known(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(2) : 'unknown';
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function sumBy(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
