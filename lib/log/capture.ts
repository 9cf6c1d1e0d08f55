import type { LogLevelName } from './levels.ts';
import { type GatewayLogger, log } from './logger.ts';

export interface CapturedLogs {
  /** Every line printed since captureLogs, exactly as it would have been written (JSON). */
  readonly lines: string[];
  /** The lines parsed. */
  records(): Record<string, unknown>[];
  /** Puts the logger's output and level back. */
  restore(): void;
}

/**
 * Catches what `logger` prints, as JSON lines, at `level` (default debug), until restore(): how a
 * test reads the logs, which it otherwise never prints.
 */
export function captureLogs(logger: GatewayLogger = log, level: LogLevelName = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const previousLevel = logger.getLevelName();
  const previousOutput = logger.setOutput({ format: 'json', sink: (line) => lines.push(line) });
  logger.setLevel(level);
  return {
    lines,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      logger.setOutput(previousOutput);
      logger.setLogLevel(previousLevel);
    },
  };
}
