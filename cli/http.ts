import type { z } from 'zod';
import { ErrorBodySchema } from '../contracts/errors.ts';
import { firstIssue, issuePath } from '../contracts/issue-text.ts';
import { CliError, ExitCode, HttpError, UnreachableError } from './errors.ts';
import type { Target } from './target.ts';

const TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  headers: Headers;
  /** The JSON body as received, for `--json`. */
  body: unknown;
}

/**
 * One call to a gateway. A `{"error": ...}` answer becomes an HttpError, silence an
 * UnreachableError naming the URL; the caller gets only successful JSON answers.
 */
export async function call(
  target: Target,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = `${target.url}${path}`;
  const { res, text } = await send(target.url, path, {
    method,
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${target.token}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const traceId = traceIdOf(res.headers.get('traceparent'));
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    if (!res.ok) throw new HttpError(res.status, `HTTP_${res.status}`, res.statusText || 'error', traceId);
    throw new CliError(`the answer from ${url} is not JSON (HTTP ${res.status})`, ExitCode.failed);
  }
  if (!res.ok) {
    const parsed = ErrorBodySchema.safeParse(body);
    if (!parsed.success)
      throw new HttpError(res.status, `HTTP_${res.status}`, res.statusText || 'error', traceId, [], body);
    const e = parsed.data.error;
    throw new HttpError(res.status, e.code, e.message, e.traceId || traceId, e.issues ?? [], body);
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * What a gateway publishes to anyone (no token): the JSON at `path`. Any HTTP status is a failure
 * unless `anyStatus` (a degraded `/healthz` still names its province).
 */
export async function getPublic(baseUrl: string, path: string, anyStatus: boolean): Promise<unknown> {
  const url = `${baseUrl}${path}`;
  const { res, text } = await send(baseUrl, path, { headers: { accept: 'application/json' } });
  if (!res.ok && !anyStatus) throw new CliError(`${url} answered HTTP ${res.status}`, ExitCode.failed);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${url} answered HTTP ${res.status} with something that is not JSON`, ExitCode.failed);
  }
}

/** One request with the timeout, and its answer read whole; silence is an UnreachableError naming `baseUrl`. */
async function send(
  baseUrl: string,
  path: string,
  init: RequestInit,
): Promise<{ res: Response; text: string }> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new UnreachableError(baseUrl, networkDetail(err));
  }
  return { res, text: await res.text() };
}

/** The answer checked against its contract: a gateway that answers otherwise is not one we speak to. */
export function expectShape<S extends z.ZodType>(schema: S, answer: Answer, what: string): z.infer<S> {
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new CliError(
      `the gateway's ${what} answer does not match the contract: ${issuePath(issue, { root: '' })} ${issue?.message ?? ''}`.trim(),
      ExitCode.failed,
    );
  }
  return parsed.data;
}

function traceIdOf(traceparent: string | null): string | undefined {
  return /^00-([0-9a-f]{32})-/.exec(traceparent ?? '')?.[1];
}

function networkDetail(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  }
  const cause = err instanceof Error ? err.cause : undefined;
  const code =
    cause instanceof Error && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
  };
  if (code) return known[code] ?? code;
  return cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
}
