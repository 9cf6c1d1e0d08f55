/**
 * The CLI's failures, each with its exit code. Anything else that reaches the top is a bug and is
 * the only thing that may print a stack trace.
 */
export const ExitCode = {
  ok: 0,
  /** The gateway answered with an error, or could not be reached. */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
  /** The question was answered, and the answer is no: an invalid license or identifier. */
  negative: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A wrong command line: one line saying what is wrong and how to get help. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, ExitCode.usage);
  }
}

/** The gateway answered with `{"error": {...}}` (or something that is not JSON at all). */
export class HttpError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly traceId: string | undefined,
    readonly issues: readonly { path: readonly (string | number)[]; message: string }[] = [],
    /** The error body as received, for `--json`. */
    readonly body?: unknown,
  ) {
    super(message, ExitCode.failed);
  }
}

/** Nothing answered at the URL. */
export class UnreachableError extends CliError {
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(
      `no answer from ${url} (${detail}). Is the gateway running? For the local federation run \`npm start\` in the repository.`,
      ExitCode.failed,
    );
  }
}
