import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes: where the gateway is, who calls it, how to print. */
export const COMMON_OPTIONS = {
  federation: { type: 'string' },
  province: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const COMMON_USAGE = [
  'common options:',
  '  --province ID      province gateway to call (default 310000)',
  '  --federation FILE  local federation file (default $ELG_HOME/federation.json, ELG_HOME=.elg)',
  '  --url URL          gateway base URL of a real deployment (overrides the federation file)',
  '  --token JWT        bearer token (or $ELG_TOKEN; default: the federation dev token for the role)',
  '  --json             print the raw JSON answer',
  '  -h, --help         this help',
];

/**
 * `parseArgs` with the common options, strict, and its TypeErrors turned into usage errors that
 * name the command. Positionals are checked against `[min, max]`.
 */
export function parseCommand<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  const parse = () =>
    parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(usageMessage(err.message), command);
    throw err;
  }
  const count = parsed.positionals.length;
  const help = 'help' in parsed.values && parsed.values.help === true;
  if (!help && (count < positionals.min || count > positionals.max)) {
    const what = positionals.max === 0 ? 'takes no arguments' : `expects ${positionals.names}`;
    throw new UsageError(`${command} ${what}`, command);
  }
  return parsed;
}

/** parseArgs explains at length; one line is enough here. */
function usageMessage(message: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return (message.split('\n')[0] ?? message).replace(/\.$/, '');
}
