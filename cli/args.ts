import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { didYouMean } from './suggest.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options shared by the commands: where the gateway is, who calls it, how to print. */
export const COMMON_OPTIONS = {
  federation: { type: 'string' },
  province: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export type CommonOption = keyof typeof COMMON_OPTIONS;

/** What a command that calls a gateway takes: all of them. */
export const GATEWAY_OPTIONS = [
  'province',
  'federation',
  'url',
  'token',
  'json',
  'help',
] as const satisfies readonly CommonOption[];

export type GatewayOption = (typeof GATEWAY_OPTIONS)[number];

/** What a command that needs neither a gateway nor the federation file takes. */
export const OFFLINE_OPTIONS = ['json', 'help'] as const satisfies readonly CommonOption[];

const COMMON_LINES: Record<CommonOption, string> = {
  province: '  --province ID      province gateway to call (default 310000)',
  federation: '  --federation FILE  local federation file (default $ELG_HOME/federation.json, ELG_HOME=.elg)',
  url: '  --url URL          gateway base URL of a real deployment (needs --token unless the federation file lists it)',
  token:
    '  --token JWT        bearer token for --url (or $ELG_TOKEN; default: the federation dev token for the role)',
  json: '  --json             print the raw JSON answer',
  help: '  -h, --help         this help',
};

/** The help lines of the common options a command takes, in the usual order. */
export function commonUsage(taken: readonly CommonOption[] = GATEWAY_OPTIONS): string[] {
  const order = GATEWAY_OPTIONS.filter((o) => taken.includes(o));
  return ['common options:', ...order.map((o) => COMMON_LINES[o])];
}

/** The help lines of all common options (commands that take them all). */
export const COMMON_USAGE = commonUsage();

function pick<C extends CommonOption>(taken: readonly C[]): Pick<typeof COMMON_OPTIONS, C> {
  return Object.fromEntries(taken.map((o) => [o, COMMON_OPTIONS[o]])) as Pick<typeof COMMON_OPTIONS, C>;
}

/**
 * `parseArgs` with the common options the command takes (all unless `common` says fewer), strict,
 * and its TypeErrors turned into usage errors that name the command and the option that was
 * probably meant. Positionals are checked against `[min, max]`.
 */
export function parseCommand<O extends Options, C extends CommonOption = GatewayOption>(
  command: string,
  argv: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
  common: readonly C[] = GATEWAY_OPTIONS as readonly CommonOption[] as readonly C[],
) {
  const all = { ...pick(common), ...options };
  const parse = () =>
    parseArgs({
      args: argv,
      options: all,
      allowPositionals: true,
      strict: true,
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(usageMessage(command, err.message, all), command);
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

/** parseArgs explains at length; one line is enough here, with the option that was meant. */
function usageMessage(command: string, message: string, taken: Options): string {
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    const given = unknown[1] ?? '';
    const name = given.replace(/^--?/, '').split('=')[0] ?? '';
    if (given.startsWith('--') && Object.hasOwn(COMMON_OPTIONS, name)) {
      const offline = !('federation' in taken) && !('url' in taken);
      return `${command} does not take ${given}${offline ? ' (it works offline, without a gateway)' : ''}`;
    }
    const flags = Object.entries(taken).flatMap(([long, o]) => [
      `--${long}`,
      ...('short' in o && o.short ? [`-${o.short}`] : []),
    ]);
    return `unknown option ${given}${didYouMean(given, flags)}`;
  }
  return (message.split('\n')[0] ?? message).replace(/\.$/, '');
}
