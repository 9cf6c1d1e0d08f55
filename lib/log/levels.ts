/**
 * The levels `ELG_LOG_LEVEL` takes, least severe first (Powertools Logger's, lowercase): a line is
 * printed when its level is at or above the setting; `silent` prints nothing. Default `info`.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevelName = 'info';

export function isLogLevel(value: string): value is LogLevelName {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The level of this process: nothing under vitest (a test reads lines through captureLogs), else
 * `ELG_LOG_LEVEL` in any case, else `info`. A value that is no level falls back to `info` here;
 * a deployed function refuses it at start (lib/config.ts).
 */
export function logLevelFromEnv(env: Record<string, string | undefined> = process.env): LogLevelName {
  if (env.VITEST) return 'silent';
  const given = env.ELG_LOG_LEVEL?.trim().toLowerCase() ?? '';
  return isLogLevel(given) ? given : DEFAULT_LOG_LEVEL;
}
