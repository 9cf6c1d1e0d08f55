import { parseArgs } from 'node:util';
import { isEntry } from '../lib/entry.ts';
import { runSoak } from './soak/driver.ts';
import { describe, INTERVAL_HEAD, INTERVAL_RIGHT, intervalRow } from './soak/report.ts';
import { textTable } from './text-table.ts';

/**
 * `npm run soak`: a steady mixed load for a bounded time against a throw-away federation run in
 * this process (its own DynamoDB Local, temp dir and free ports, so a running `npm start` is never
 * touched), reported per interval: requests, latency, errors by code, and this process's memory,
 * which is the federation's. A short run of it is the bench section `soak` (soak-section.ts).
 */

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
      const lines = textTable(INTERVAL_HEAD, [intervalRow(i)], INTERVAL_RIGHT).split('\n');
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

if (isEntry(import.meta.url)) {
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
