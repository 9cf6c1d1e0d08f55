import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { ErrorCode } from '../../contracts/errors.ts';
import { firstIssueText } from '../../contracts/issue-text.ts';
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

/**
 * Where the raw JSON holds an object with an own `__proto__` member, if anywhere. JSON.parse keeps
 * it as an ordinary key, but zod drops it without an issue and no store could keep it (assigning it
 * sets a prototype): refusing it is the only answer that neither loses data silently nor lies.
 */
function protoKeyPath(raw: unknown): (string | number)[] | undefined {
  // Iterative, with parent links instead of copied paths: a small body can nest thousands deep.
  interface Node {
    value: unknown;
    key?: string | number;
    parent?: Node;
  }
  const stack: Node[] = [{ value: raw }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { value } = node;
    if (typeof value !== 'object' || value === null) continue;
    if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) {
      const path: (string | number)[] = ['__proto__'];
      for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
      return path;
    }
    for (const [k, v] of Object.entries(value)) {
      stack.push({ value: v, key: Array.isArray(value) ? Number(k) : k, parent: node });
    }
  }
  return undefined;
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const proto = protoKeyPath(raw);
  if (proto) {
    const message = 'the member name __proto__ is not accepted';
    throw new InvalidRequestError(`${what} is invalid: ${proto.join('.')}: ${message}`, [
      { path: proto, code: 'reserved_key', message },
    ]);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
      code: i.code,
      // zod says only "Invalid key in record"; the key's own issues say what is wrong with it.
      message:
        i.code === 'invalid_key' ? `${i.message}: ${i.issues.map((n) => n.message).join('; ')}` : i.message,
    }));
    throw new InvalidRequestError(`${what} is invalid: ${firstIssueText({ issues }, { root: '' })}`, issues);
  }
  return result.data;
}

/** The JSON text of answers made by jsonAnswer, by response. */
const answerTexts = new WeakMap<Response, string>();

/**
 * `c.json(value, status)`, remembering the JSON text the answer carries: signedCall signs its
 * receipt over the answer's bytes, and takes them from here instead of reading the response back
 * (which on @hono/node-server turns it into a web stream).
 */
export function jsonAnswer(c: Context, value: unknown, status?: ContentfulStatusCode): Response {
  const text = JSON.stringify(value);
  const res = c.body(text, status, { 'Content-Type': 'application/json' });
  answerTexts.set(res, text);
  return res;
}

/** The JSON text of an answer jsonAnswer made, else undefined. */
export function answerText(res: Response): string | undefined {
  return answerTexts.get(res);
}
