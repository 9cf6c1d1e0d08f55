import type { Context } from 'hono';
import type { z } from 'zod';
import { ErrorCode } from '../../contracts/errors.ts';
import { AppError, InvalidRequestError } from '../errors.ts';

/**
 * Reads and validates a JSON body against a contract schema. Malformed JSON, a wrong media type
 * and schema failures each get their own clear error; the schema's issues travel to the caller.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, 'send the body as application/json');
  }
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InvalidRequestError('the body is not valid JSON');
  }
  return parseWith(schema, raw, 'the body');
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
      code: i.code,
      message: i.message,
    }));
    const first = issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    throw new InvalidRequestError(`${what} is invalid: ${where}${first?.message ?? 'invalid'}`, issues);
  }
  return result.data;
}
