import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AuditAction } from '../../contracts/audit.ts';
import type { Principal, Role } from '../../contracts/auth.ts';
import { parseIdentifier } from '../../contracts/codes/index.ts';
import { auditEvent, type CallContext } from '../audit/events.ts';
import type { AuditSink } from '../audit/sink.ts';
import type { Clock } from '../clock.ts';
import { ForbiddenError, PayloadTooLargeError, UnauthenticatedError } from '../errors.ts';
import { traceIdOf, traceparentOf } from '../ids.ts';
import type { GatewayEnv } from './env.ts';
import { errorCodeOf, renderError } from './errors.ts';
import { randomHex } from './random.ts';

/** The authenticated call a route serves (after requireRole), for its service and its audit event. */
export function callContext(c: Context<GatewayEnv>): CallContext {
  const principal = c.get('principal');
  if (!principal) throw new UnauthenticatedError();
  return { principal, traceId: c.get('traceId'), method: c.req.method, path: c.req.path };
}

/** Continues the caller's W3C trace or starts one; echoes it so callers can quote it. */
export const traceContext: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  // A fresh trace id and each answer's span id as lib/ids.ts makes them (16 and 8 random bytes).
  const traceId = traceIdOf(c.req.header('traceparent')) ?? randomHex(16);
  c.set('traceId', traceId);
  await next();
  // Set on the answer itself: `c.header` on an answered request rebuilds the response around its
  // body as a web stream, which @hono/node-server then pipes instead of writing the body at once.
  const traceparent = traceparentOf(traceId, randomHex(8));
  try {
    c.res.headers.set('traceparent', traceparent);
  } catch {
    // Immutable headers (a response passed through from fetch): hono copies the response.
    c.header('traceparent', traceparent);
  }
};

/**
 * Refuses a body over `maxBytes` with 413, read no further than the limit. The rest of that body
 * is still on the wire, so the connection cannot carry another request: the answer says
 * `Connection: close`, and a keep-alive client opens a new one instead of losing its next request
 * on a socket the server is about to close.
 */
export const limitBody = (maxBytes: number): MiddlewareHandler<GatewayEnv> => {
  const refuse = (c: Context<GatewayEnv>): never => {
    c.header('Connection', 'close');
    throw new PayloadTooLargeError(maxBytes);
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: refuse });
  return async (c, next) => {
    // A declared length (and no transfer-encoding) is decided from the headers alone, as
    // bodyLimit decides it, but without touching `c.req.raw.body`: on @hono/node-server that
    // turns the request into a web stream, where the route's own read would take the body from
    // the socket directly. The body read is then the declared length, no more (the HTTP parser
    // reads that many bytes as the body). Chunked bodies and bodies of unknown length are counted
    // as they come, by bodyLimit.
    const headers = c.req.raw.headers;
    const declared = headers.get('content-length');
    if (declared !== null && /^\d{1,15}$/.test(declared) && !headers.has('transfer-encoding')) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      if (Number(declared) > maxBytes) return refuse(c);
      return next();
    }
    return streamed(c, next);
  };
};

export interface Authenticator {
  verify(authorization: string | undefined): Promise<Principal>;
}

/** Bearer authentication and a role check: 401 without a valid token, 403 without the role. */
export const requireRole =
  (auth: Authenticator, ...roles: Role[]): MiddlewareHandler<GatewayEnv> =>
  async (c, next) => {
    const principal = await auth.verify(c.req.header('authorization'));
    c.set('principal', principal);
    if (!roles.some((r) => principal.roles.includes(r))) {
      throw new ForbiddenError(`this call needs the role ${roles.join(' or ')}`);
    }
    await next();
  };

/**
 * The identifier a refused call names, as its audit event keeps it: indexed only when it is an
 * identifier at all (an index key may not exceed 2 KB, and garbage would only pollute the index),
 * otherwise a short printable excerpt in the details, so the refusal is still written.
 */
export function auditedIdentifier(raw: string | undefined): {
  identifier?: string;
  details?: Record<string, string>;
} {
  if (!raw) return {};
  if (parseIdentifier(raw).ok) return { identifier: raw };
  return { details: { identifierGiven: raw.slice(0, 64).replace(/[^\x20-\x7e]/g, '?') } };
}

/** Marks the route's action so a refusal is audited under it. */
export const audited =
  (action: AuditAction): MiddlewareHandler<GatewayEnv> =>
  async (c, next) => {
    const identifier = c.req.param('identifier');
    c.set('audit', { action, ...auditedIdentifier(identifier) });
    await next();
  };

/**
 * Every refused audited call leaves an audit event, and nothing else. If the event cannot be
 * written the caller gets 503 rather than a refusal that no auditor will ever see.
 */
export const auditRefusals =
  (deps: { province: string; auditStore?: AuditSink; clock: Clock }): MiddlewareHandler<GatewayEnv> =>
  async (c, next) => {
    await next();
    const audit = c.get('audit');
    // Signed cross-province calls are audited once, answered or refused, by signedCall.
    if (!audit || c.get('caller') || c.res.status < 400) return;
    const errorCode = errorCodeOf(c.error);
    try {
      // A function without an audit sink has no audited route; one that asks anyway fails closed.
      if (!deps.auditStore)
        throw new Error(`${c.req.method} ${c.req.path} is audited, but this function writes no audit events`);
      await deps.auditStore.write(
        auditEvent(
          {
            province: deps.province,
            traceId: c.get('traceId'),
            action: audit.action,
            outcome: c.res.status >= 500 ? 'error' : 'refused',
            principal: c.get('principal'),
            method: c.req.method,
            path: c.req.path,
            identifier: audit.identifier,
            errorCode,
            details: { ...audit.details, status: c.res.status },
          },
          deps.clock.now(),
        ),
      );
    } catch (err) {
      c.res = undefined;
      c.res = renderError(err, c);
    }
  };
