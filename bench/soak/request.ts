import { ErrorBodySchema } from '../../contracts/errors.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { SoakOptions } from './types.ts';

/** One answer as the soak counts it. */
export interface Answer {
  /** How it is counted: `200 valid`, `401 UNAUTHENTICATED`, `timeout` ... */
  key: string;
  /** Set for an error answer, a timeout or a network error. */
  error?: string;
  status: number;
  json?: unknown;
}

export interface Request {
  url: string;
  method: 'GET' | 'POST';
  token: string;
  /** A string is sent as it is (malformed JSON on purpose); anything else as JSON. */
  body?: unknown;
  /** Parse a 200 as a verify answer and count its verdict and reasons. */
  verify: boolean;
}

/**
 * One request on loopback; never throws: a timeout and a failed connection are answers too.
 * Undefined when the soak was stopped (Ctrl-C) while it was in flight: the DynamoDB Local JVM gets
 * the terminal's SIGINT too, so what happens to it then says nothing about the federation.
 */
export async function call(
  r: Request,
  o: Pick<SoakOptions, 'timeoutMs' | 'signal'>,
): Promise<Answer | undefined> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  try {
    const res = await fetch(r.url, {
      method: r.method,
      headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' },
      ...(r.body === undefined ? {} : { body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) }),
      signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status >= 400) {
      const parsed = ErrorBodySchema.safeParse(json);
      const code = parsed.success ? parsed.data.error.code : 'UNPARSEABLE_ERROR_BODY';
      return { key: `${res.status} ${code}`, error: code, status: res.status, json };
    }
    if (!r.verify) return { key: String(res.status), status: res.status, json };
    const verify = VerifyResponseSchema.safeParse(json);
    if (!verify.success) return { key: `${res.status} UNPARSEABLE_VERIFY_ANSWER`, status: res.status, json };
    const reasons = verify.data.reasons.map((reason) => reason.code).join('+');
    return {
      key: `${res.status} ${verify.data.verdict}${reasons ? ` ${reasons}` : ''}`,
      status: res.status,
      json,
    };
  } catch {
    if (o.signal?.aborted) return undefined;
    if (timeout.aborted) return { key: 'timeout', error: 'timeout', status: 0 };
    return { key: 'network', error: 'network', status: 0 };
  }
}
