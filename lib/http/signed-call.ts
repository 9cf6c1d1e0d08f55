import type { Context, MiddlewareHandler } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { RECEIPT_HEADER, type RequestClaims, SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { auditEvent } from '../audit/events.ts';
import type { AuditSink } from '../audit/sink.ts';
import type { Clock } from '../clock.ts';
import { InvalidRequestError, SignatureInvalidError } from '../errors.ts';
import { newTraceId } from '../ids.ts';
import { signReceipt } from '../interop/receipt.ts';
import { authenticateRequest, checkRequestBinding, claimRequestId } from '../interop/request-signature.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import type { Signer } from '../signing/signer.ts';
import type { GatewayEnv } from './env.ts';
import { errorCodeOf, renderError } from './errors.ts';
import { answerText, parseWith } from './json.ts';

export type { AuditSink };

/** Single-use request ids (`jti`) of inbound signed calls. */
export interface NonceRegistry {
  /** True if `key` was unseen and is now recorded for `keepSeconds`; false if it was seen before. */
  claim(key: string, keepSeconds: number): Promise<boolean>;
}

/** The trust registry as the signed-call layer reads it: the callers' `gateway` keys. */
export type CallerKeys = Pick<TrustRegistry, 'keyByKid'>;

export interface SignedCallDeps {
  province: string;
  registry: CallerKeys;
  nonces: NonceRegistry;
  gatewaySigner: Signer;
  auditStore: AuditSink;
  clock: Clock;
}

/**
 * Inbound cross-province calls: verifies `ELG-Signature` before the route runs, signs an
 * `ELG-Receipt` over whatever is answered to a caller whose signature verified (refusals
 * included), and audits every call once. The caller's trace id (`tid`) becomes this province's
 * trace id for the call; a call whose signature did not verify is audited under a fresh trace id
 * and gets no receipt, so nobody can plant refusals in another's trace or spend the province's
 * signing quota (docs/protocol.md §7.3, §7.6).
 */
export const signedCall =
  (deps: SignedCallDeps): MiddlewareHandler<GatewayEnv> =>
  async (c, next) => {
    // Until the signature verifies, the trace id the caller sent is no trace of this province:
    // nothing reads it before the call is either verified (its `tid`) or refused (a fresh id).
    let signer: RequestClaims | undefined;
    try {
      const url = new URL(c.req.url);
      const pathWithQuery = `${url.pathname}${url.search}`;
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const claims = await authenticateRequest(c.req.header(SIGNATURE_HEADER), deps.registry);
      signer = claims;
      c.set('traceId', claims.tid);
      // One spelling per path: the routes of signed calls need no percent-encoding, and a
      // path the router decodes differently from what was signed must not be served.
      if (url.pathname.includes('%')) {
        throw new SignatureInvalidError('the request path must not be percent-encoded');
      }
      checkRequestBinding(claims, {
        self: deps.province,
        method: c.req.method,
        pathWithQuery,
        body: bytes,
        now: deps.clock.now(),
      });
      const text = utf8(bytes);
      await claimRequestId(claims, deps.nonces);
      c.set('caller', { gateway: claims.iss, jti: claims.jti });
      c.set('rawBody', text);
      await next();
    } catch (err) {
      if (!signer) c.set('traceId', newTraceId());
      c.error = err instanceof Error ? err : new Error(String(err));
      c.res = renderError(err, c);
    }
    await audit(c, deps, signer);
    if (!signer) return;
    // The answer is read once: its bytes are what the receipt covers and what is sent. An answer
    // of jsonAnswer is the UTF-8 of its JSON text, taken as it is; any other is read back.
    const res = c.res;
    const text = answerText(res);
    const empty = text === undefined && res.body === null;
    const answer = text === undefined ? new Uint8Array(await res.arrayBuffer()) : Buffer.from(text, 'utf8');
    const receipt = await signReceipt(deps.gatewaySigner, {
      iss: deps.province,
      aud: signer.iss,
      rjti: signer.jti,
      body: answer,
      status: res.status,
      traceId: c.get('traceId'),
      now: deps.clock.now(),
    });
    const headers = new Headers(res.headers);
    headers.set(RECEIPT_HEADER, receipt);
    // Unset first, so the new response is taken as it is instead of merged with the old one. An
    // answer of jsonAnswer has no status text (reading one would turn it into a web stream).
    const statusText = text === undefined ? res.statusText : '';
    c.res = undefined;
    c.res = new Response(empty ? null : answer, { status: res.status, statusText, headers });
  };

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body as text, refused unless it is valid UTF-8; a BOM is kept, so JSON parsing refuses it. */
function utf8(bytes: Uint8Array): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    throw new InvalidRequestError('the body is not valid UTF-8');
  }
}

/** `signer`: the claims of a signature that verified, even if the call was then refused. */
async function audit(c: Context<GatewayEnv>, deps: SignedCallDeps, signer: RequestClaims | undefined) {
  const route = c.get('audit');
  const status = c.res.status;
  try {
    await deps.auditStore.write(
      auditEvent(
        {
          province: deps.province,
          traceId: c.get('traceId'),
          action: route?.action ?? AuditAction.interopInbound,
          outcome: status < 400 ? 'success' : status >= 500 ? 'error' : 'refused',
          method: c.req.method,
          path: c.req.path,
          identifier: route?.identifier,
          holderHash: route?.holderHash,
          peer: signer?.iss,
          errorCode: status >= 400 ? errorCodeOf(c.error) : undefined,
          details: {
            ...route?.details,
            status,
            direction: 'inbound',
            callerVerified: signer !== undefined,
            jti: signer?.jti ?? null,
          },
        },
        deps.clock.now(),
      ),
    );
  } catch (err) {
    c.res = undefined;
    c.res = renderError(err, c);
  }
}

/** Body of a signed call: the exact bytes the signature covers, parsed against a contract. */
export function signedBody<S extends Parameters<typeof parseWith>[0]>(raw: string | undefined, schema: S) {
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw new InvalidRequestError('the body is not valid JSON');
  }
  return parseWith(schema, json, 'the body');
}
