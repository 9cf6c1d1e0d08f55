import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorBody, ErrorCode } from '../../contracts/errors.ts';
import { AppError } from '../errors.ts';
import type { GatewayEnv } from './env.ts';

/** The one place that renders `{"error": {...}}`. */
export function renderError(err: unknown, c: Context<GatewayEnv>): Response {
  const traceId = c.get('traceId') ?? '';
  if (err instanceof AppError) {
    const body: ErrorBody = {
      error: {
        code: err.code,
        message: err.message,
        traceId,
        ...(err.issues ? { issues: err.issues } : {}),
      },
    };
    return c.json(body, err.status);
  }
  if (err instanceof HTTPException) {
    const code = err.status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.INVALID_REQUEST;
    return c.json({ error: { code, message: err.message || 'bad request', traceId } }, err.status);
  }
  console.error(JSON.stringify({ level: 'error', traceId, message: 'unhandled error', error: String(err) }));
  return c.json(
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
