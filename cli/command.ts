import { type CommonOption, commonUsage } from './args.ts';
import type { ExitCode } from './errors.ts';
import type { Io } from './io.ts';

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
