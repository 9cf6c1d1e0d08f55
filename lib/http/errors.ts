import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorBody, ErrorCode } from '../../contracts/errors.ts';
import { TLOG_SIZE_CONTENT_TYPE, tlogSizeBody } from '../../contracts/witness.ts';
import { AppError, WitnessConflictError } from '../errors.ts';
import { log } from '../log/logger.ts';
import type { GatewayEnv } from './env.ts';
import { jsonAnswer } from './json.ts';

/** The code of the error answer last rendered for a request, for its request log line. */
const renderedCodes = new WeakMap<Context<GatewayEnv>, ErrorCode>();

export function renderedErrorCode(c: Context<GatewayEnv>): ErrorCode | undefined {
  return renderedCodes.get(c);
}

/** The one place that renders `{"error": {...}}`. */
export function renderError(err: unknown, c: Context<GatewayEnv>): Response {
  const traceId = c.get('traceId') ?? '';
  if (err instanceof WitnessConflictError) {
    // C2SP tlog-witness: the 409 body is the size last cosigned, `text/x.tlog.size`.
    renderedCodes.set(c, err.code);
    return c.body(tlogSizeBody(err.cosignedSize), 409, { 'content-type': TLOG_SIZE_CONTENT_TYPE });
  }
  if (err instanceof AppError) {
    const body: ErrorBody = {
      error: {
        code: err.code,
        message: err.message,
        traceId,
        ...(err.issues ? { issues: err.issues } : {}),
      },
    };
    renderedCodes.set(c, err.code);
    return jsonAnswer(c, body, err.status);
  }
  if (err instanceof HTTPException) {
    const code = err.status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_REQUEST;
    renderedCodes.set(c, code);
    return jsonAnswer(c, { error: { code, message: err.message || 'bad request', traceId } }, err.status);
  }
  log.error('unhandled error', { traceId, error: err instanceof Error ? err : String(err) });
  renderedCodes.set(c, ErrorCode.INTERNAL);
  return jsonAnswer(
    c,
    {
      error: {
        code: ErrorCode.INTERNAL,
        message: 'internal error; quote the trace id to the operator',
        traceId,
      },
    },
    500,
  );
}

export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof AppError) return err.code;
  if (err instanceof HTTPException && err.status === 413) return ErrorCode.PAYLOAD_TOO_LARGE;
  if (err instanceof HTTPException && err.status < 500) return ErrorCode.INVALID_REQUEST;
  return ErrorCode.INTERNAL;
}
