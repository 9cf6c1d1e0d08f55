import type { ParseArgsConfig } from 'node:util';
import { type CommonOption, commonUsage, type GatewayOption, parseCommand } from './args.ts';
import { ExitCode } from './errors.ts';
import type { Io } from './io.ts';
import { printJson } from './output.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** One `elg` command: its own file under `commands/`, its own options, its own help. */
export interface Command {
  name: string;
  /** One line for the overview. */
  summary: string;
  /** Synopsis and the command's own options; the common options it takes are appended. */
  usage: readonly string[];
  /** The common options the command takes (what it passes to `parseCommand`); all when absent. */
  common?: readonly CommonOption[];
  run(argv: string[], io: Io): Promise<ExitCode>;
}

export function helpText(command: Command): string {
  return `${[...command.usage, '', ...commonUsage(command.common)].join('\n')}\n`;
}

/** The command line as `parseCommand` parsed it: the command's options and the common ones it takes. */
export type Parsed<O extends Options, C extends CommonOption> = ReturnType<typeof parseCommand<O, C>>;

/** What a command declares; `run` gets its command line parsed, and is not called for `--help`. */
export interface CommandSpec<O extends Options, C extends CommonOption> {
  name: string;
  summary: string;
  usage: readonly string[];
  /** The common options it takes; all when absent. */
  common?: readonly C[];
  options: O;
  positionals: { min: number; max: number; names: string };
  run(parsed: Parsed<O, C>, io: Io): Promise<ExitCode>;
}

/**
 * The preamble every command shares: parse the command line with its options and the common ones
 * it takes, and answer `--help` with its help text.
 */
export function defineCommand<O extends Options, C extends CommonOption = GatewayOption>(
  spec: CommandSpec<O, C>,
): Command {
  const command: Command = {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    ...(spec.common ? { common: spec.common } : {}),
    async run(argv, io) {
      const parsed = parseCommand(spec.name, argv, spec.options, spec.positionals, spec.common);
      if ('help' in parsed.values && parsed.values.help === true) {
        io.out(helpText(command));
        return ExitCode.ok;
      }
      return spec.run(parsed, io);
    },
  };
  return command;
}

/** `--json`: the answer as received goes to stdout, and the human lines are not printed. */
export function printedJson(values: { json?: boolean | undefined }, io: Io, body: unknown): boolean {
  if (values.json) printJson(io, body);
  return values.json === true;
}
