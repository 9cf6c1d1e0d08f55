import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { log } from '../lib/log/logger.ts';
import { audit } from './audit.ts';
import { baseline } from './baseline.ts';
import { bundles } from './bundles.ts';
import { codes } from './codes.ts';
import { credentials } from './credentials.ts';
import { type Budget, DEFAULT_BUDGET, type Measurement, type Section } from './harness.ts';
import { holder } from './holder.ts';
import { hotPath } from './hot-path.ts';
import { interop } from './interop.ts';
import { reports } from './reports.ts';
import { sdk } from './sdk.ts';
import { soak } from './soak-section.ts';
import { textTable } from './text-table.ts';
import { witness } from './witness.ts';

/** Every section of the bench; a new one (cross-province calls, audit) is a new file listed here. */
const SECTIONS: readonly Section[] = [
  codes,
  credentials,
  interop,
  hotPath,
  sdk,
  audit,
  holder,
  reports,
  witness,
  soak,
  bundles,
  baseline,
];

const USAGE = `usage: npm run bench [-- [--seconds N] [SECTION ...]]   sections: ${SECTIONS.map((s) => (s.namedOnly ? `${s.name} (only when named)` : s.name)).join(', ')}`;

async function main(): Promise<number> {
  // A line per request would bury the measurements: warnings and errors only, unless asked.
  if (!process.env.ELG_LOG_LEVEL) log.setLevel('warn');
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const seconds = args.values.seconds === undefined ? DEFAULT_BUDGET.seconds : Number(args.values.seconds);
  if (!(seconds > 0 && seconds <= 60)) {
    process.stderr.write(`--seconds takes a number of seconds between 0 and 60\n${USAGE}\n`);
    return 2;
  }
  const unknown = args.positionals.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown section ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const chosen =
    args.positionals.length > 0
      ? SECTIONS.filter((s) => args.positionals.includes(s.name))
      : SECTIONS.filter((s) => !s.namedOnly);
  const budget: Budget = { ...DEFAULT_BUDGET, seconds };
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  process.stdout.write(
    `elg bench: node ${process.version}, ${process.platform} ${process.arch}, ${cpu}; ${seconds} s per measurement\n\n`,
  );
  const rows: { section: string; m: Measurement }[] = [];
  const tables: string[] = [];
  for (const section of chosen) {
    process.stderr.write(`measuring ${section.title} ...\n`);
    const result = await section.run(budget);
    if (Array.isArray(result)) for (const m of result) rows.push({ section: section.name, m });
    else tables.push(result.text);
  }
  process.stdout.write([...(rows.length > 0 ? [table(rows)] : []), ...tables].join('\n'));
  return 0;
}

function parse() {
  return parseArgs({ options: { seconds: { type: 'string' } }, allowPositionals: true, strict: true });
}

function table(rows: readonly { section: string; m: Measurement }[]): string {
  const head = ['section', 'measurement', 'ops/s', 'µs/op', 'compared'];
  const body = rows.map(({ section, m }) => [
    section,
    m.name,
    Math.round(m.opsPerSecond).toLocaleString('en-US'),
    (1e6 / m.opsPerSecond).toFixed(2),
    m.note ?? '',
  ]);
  return `${textTable(head, body, new Set([2, 3]))}\n`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
