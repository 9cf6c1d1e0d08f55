import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import { type LogLevelName, logLevelFromEnv } from './levels.ts';
import { terminalLine } from './terminal.ts';

/** `json`: one JSON object a line (Lambda, pipes, files). `terminal`: terminalLine, for a person. */
export type LogFormat = 'json' | 'terminal';
/** Receives each printed line, without its newline. */
export type LogSink = (line: string) => void;
export interface LogOutput {
  format: LogFormat;
  sink: LogSink;
}

/**
 * Every line goes to stderr, written directly. On Lambda both streams reach CloudWatch Logs (and
 * console.* would prefix each line with a time and request id, breaking the JSON); locally stdout
 * stays for what a command prints (the federation's guide, the demo's story).
 */
export const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

/** JSON, except on a terminal (stderr a TTY) outside Lambda. */
export function outputFromEnv(
  env: Record<string, string | undefined> = process.env,
  stream: { isTTY?: boolean } = process.stderr,
): LogOutput {
  const terminal = stream.isTTY === true && !env.AWS_LAMBDA_FUNCTION_NAME;
  return { format: terminal ? 'terminal' : 'json', sink: stderrSink };
}

export const SERVICE_NAME = 'elicense-gateway';

export interface GatewayLoggerOptions {
  /** Default: logLevelFromEnv() (ELG_LOG_LEVEL; silent under vitest). */
  level?: LogLevelName;
  /** Default: outputFromEnv(). */
  output?: LogOutput;
}

/**
 * Powertools Logger (JSON with level, timestamp, service and, once addContext has run, the Lambda
 * context; `AWS_LAMBDA_LOG_LEVEL` of Lambda's log controls overrides the level), printed through
 * a replaceable output: JSON or the terminal form, to the process or to a test's sink.
 */
export class GatewayLogger extends Logger {
  /** Set right after super(): a line Powertools prints while constructing goes out as JSON. */
  declare private output: LogOutput | undefined;

  constructor(options: GatewayLoggerOptions = {}) {
    super({
      logLevel: toPowertoolsLevel(options.level ?? logLevelFromEnv()),
      serviceName: SERVICE_NAME,
    });
    this.output = options.output ?? outputFromEnv();
  }

  /** Sends lines to `output` from now on; returns the output it replaces. */
  setOutput(output: LogOutput): LogOutput {
    const previous = this.output ?? outputFromEnv();
    this.output = output;
    return previous;
  }

  /** Sets the level by its ELG_LOG_LEVEL name. */
  setLevel(level: LogLevelName): void {
    this.setLogLevel(toPowertoolsLevel(level));
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const output = this.output ?? { format: 'json', sink: stderrSink };
    const json = JSON.stringify(log.getAttributes(), this.getJsonReplacer());
    // The terminal form is read from the JSON record, so it shows errors as Powertools formats them.
    output.sink(
      output.format === 'terminal' ? terminalLine(JSON.parse(json) as Record<string, unknown>) : json,
    );
  }
}

function toPowertoolsLevel(level: LogLevelName) {
  return level.toUpperCase() as Uppercase<LogLevelName>;
}

/**
 * The process's logger: every request line (lib/http/request-log.ts) and every error the gateway
 * logs. Level from ELG_LOG_LEVEL, read when this module loads.
 */
export const log = new GatewayLogger();
