import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { bundleFunctions } from '../infra/bundle.ts';
import type { Budget, Section, SectionTable } from './harness.ts';
import { textTable } from './text-table.ts';

const run = promisify(execFile);

/** Fresh processes per bundle: at least this many, more while the budget lasts, never more than the cap. */
const MIN_LOADS = 3;
const MAX_LOADS = 40;

/**
 * What one load measures, run by a fresh `node` with an empty environment: from just before
 * `import()` of the bundle until the import settles. That is reading, compiling and evaluating
 * every module in the bundle, then the handler's top-level start-up, which stops at once with
 * ConfigError because no setting is present: no KMS, DynamoDB, Secrets Manager or registry I/O,
 * no Lambda runtime. Node's own start-up is outside the number.
 */
const LOADER = `
const { performance } = await import('node:perf_hooks');
const { pathToFileURL } = await import('node:url');
const url = pathToFileURL(process.argv[1]).href;
const start = performance.now();
let outcome = 'loaded';
try { await import(url); } catch (err) { outcome = err && typeof err === 'object' && 'name' in err ? String(err.name) : 'error'; }
const ms = performance.now() - start;
process.stdout.write(JSON.stringify({ ms, outcome }));
`;

export interface LoadTime {
  /** Median over the loads, in milliseconds. */
  medianMs: number;
  loads: number;
  /** How the import ended: `ConfigError` is the expected stop. */
  outcome: string;
}

/** Loads `file` in fresh node processes until the budget is spent (MIN_LOADS..MAX_LOADS times). */
export async function measureLoad(file: string, budget: Pick<Budget, 'seconds'>): Promise<LoadTime> {
  const times: number[] = [];
  const outcomes = new Set<string>();
  const stopAt = performance.now() + budget.seconds * 1000;
  while (times.length < MIN_LOADS || (times.length < MAX_LOADS && performance.now() < stopAt)) {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', LOADER, file], {
      env: {},
      encoding: 'utf8',
    });
    const { ms, outcome } = JSON.parse(stdout) as { ms: number; outcome: string };
    times.push(ms);
    outcomes.add(outcome);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs =
    times.length % 2 === 1 ? (times[mid] ?? 0) : ((times[mid - 1] ?? 0) + (times[mid] ?? 0)) / 2;
  return { medianMs, loads: times.length, outcome: [...outcomes].join('/') };
}

/**
 * The Lambda bundles as `cdk deploy` ships them: minified size, the largest package in each (from
 * esbuild's metafile), and the module load time in a fresh node process. Cold start grows with
 * both.
 */
export const bundles: Section = {
  name: 'bundles',
  title: 'Lambda bundles (esbuild, minified) and their module load time',
  async run(budget: Budget): Promise<SectionTable> {
    const dir = await mkdtemp(join(tmpdir(), 'elg-bench-bundles-'));
    try {
      const reports = await bundleFunctions({ outDir: dir });
      const rows: string[][] = [];
      for (const report of reports) {
        const load = await measureLoad(join(report.dir, 'index.mjs'), budget);
        const largest = report.packages[0];
        rows.push([
          report.name,
          report.bytes.toLocaleString('en-US'),
          largest ? `${largest.name} ${largest.bytes.toLocaleString('en-US')}` : '-',
          load.medianMs.toFixed(1),
          String(load.loads),
          load.outcome,
        ]);
      }
      return { text: bundleTable(rows) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function bundleTable(rows: readonly string[][]): string {
  const head = ['function', 'bytes', 'largest input (bytes)', 'load ms', 'loads', 'stopped at'];
  return [
    'Lambda bundles: esbuild, minified ES module for Node.js 22, as `cdk deploy` ships them',
    textTable(head, rows, new Set([1, 3, 4])),
    '',
    'load ms: median time to import the bundle in a fresh `node` with an empty environment, from just',
    'before import() until it settles: reading, compiling and evaluating every module in it, then the',
    "handler's start-up stopping with ConfigError (no settings). Not included: node's own start-up, the",
    'Lambda runtime, and the init I/O of a configured function (KMS public keys, the registry download,',
    'Secrets Manager, DynamoDB). "stopped at" other than ConfigError means the number covers something else.',
    '',
  ].join('\n');
}
