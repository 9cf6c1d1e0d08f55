import { isEntry } from '../lib/entry.ts';
import { type Command, helpText } from './command.ts';
import { agreements } from './commands/agreements.ts';
import { audit } from './commands/audit.ts';
import { breakers } from './commands/breakers.ts';
import { change } from './commands/change.ts';
import { check } from './commands/check.ts';
import { holder } from './commands/holder.ts';
import { issue } from './commands/issue.ts';
import { notices } from './commands/notices.ts';
import { provinces } from './commands/provinces.ts';
import { registry } from './commands/registry.ts';
import { reports } from './commands/reports.ts';
import { reviewPolicy } from './commands/review-policy.ts';
import { reviews } from './commands/reviews.ts';
import { show } from './commands/show.ts';
import { status } from './commands/status.ts';
import { token } from './commands/token.ts';
import { verify } from './commands/verify.ts';
import { CliError, ExitCode, HttpError, UnreachableError, UsageError } from './errors.ts';
import { type Io, processIo } from './io.ts';
import { printJson } from './output.ts';
import { didYouMean } from './suggest.ts';

export const COMMANDS: readonly Command[] = [
  issue,
  show,
  verify,
  status,
  change,
  check,
  provinces,
  agreements,
  audit,
  holder,
  reports,
  notices,
  reviewPolicy,
  reviews,
  breakers,
  registry,
  token,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'elg: the e-license gateway from the command line',
    '',
    'usage: elg COMMAND [options]      (elg COMMAND --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'It calls the local federation of `npm start` (.elg/federation.json) unless --url and --token',
    'name a real gateway. --json prints the raw JSON answer.',
    'Exit status: 0 done, 1 the gateway refused or did not answer, 2 usage, 3 license/identifier not valid.',
    '',
  ].join('\n');
}

/** Runs one command line; returns the exit status. Only bugs escape as exceptions. */
export async function main(argv: string[], io: Io): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(overview());
    return ExitCode.usage;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = COMMANDS.find((c) => c.name === rest[0]);
    io.out(topic ? helpText(topic) : overview());
    return ExitCode.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      const names = COMMANDS.map((c) => c.name);
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}${didYouMean(name, names) || `; commands: ${names.join(', ')}`}`,
      );
    }
    return await command.run(rest, io);
  } catch (err) {
    return report(err, io, command?.name, rest.includes('--json'));
  }
}

function report(err: unknown, io: Io, commandName: string | undefined, json: boolean): ExitCode {
  if (err instanceof UsageError) {
    const about = err.command ?? commandName;
    const help = about ? `elg ${about} --help` : 'elg --help';
    io.err(`elg: ${err.message} (see ${help})\n`);
  } else if (err instanceof HttpError) {
    if (json && err.body !== undefined) printJson(io, err.body);
    io.err(`error ${err.code}: ${err.message}${err.traceId ? ` (trace ${err.traceId})` : ''}\n`);
    for (const issue of err.issues) io.err(`  ${issue.path.join('.') || '(body)'}: ${issue.message}\n`);
  } else if (err instanceof UnreachableError || err instanceof CliError) {
    io.err(`error: ${err.message}\n`);
  } else {
    throw err;
  }
  return err.exitCode;
}

if (isEntry(import.meta.url)) {
  // `elg ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `elg: internal error, please report it:\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = ExitCode.failed;
    },
  );
}
