import type { Context } from 'hono';
import { InvalidRequestError } from '../errors.ts';

/**
 * A request's query parameters, each given once, in an object without a prototype: a parameter
 * named `__proto__` stays a parameter, for a strict schema to refuse as unknown.
 */
export function queryOf(c: Context): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) {
      const message = `${name} is given more than once`;
      throw new InvalidRequestError(`the query is invalid: ${message}`, [
        { path: [name], code: 'duplicate', message },
      ]);
    }
    out[name] = values[0] ?? '';
  }
  return out;
}
