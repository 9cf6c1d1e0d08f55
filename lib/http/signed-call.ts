import type { Context, MiddlewareHandler } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { RECEIPT_HEADER, SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import { auditEvent } from '../audit/events.ts';
import type { Clock } from '../clock.ts';
import { signReceipt } from '../interop/receipt.ts';
import { unverifiedClaims, verifySignedRequest } from '../interop/request-signature.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import type { Signer } from '../signing/signer.ts';
import type { AuditStore } from '../store/audit-store.ts';
import type { NonceStore } from '../store/nonce-store.ts';
import type { GatewayEnv } from './env.ts';
import { errorCodeOf, renderError } from './errors.ts';

export interface SignedCallDeps {
  province: string;
  registry: TrustRegistry;
  nonces: NonceStore;
  gatewaySigner: Signer;
  auditStore: AuditStore;
  clock: Clock;
}

/**
 * Inbound cross-province calls: verifies `ELG-Signature` before the route runs, signs an
 * `ELG-Receipt` over whatever is answered (refusals included), and audits every call once.
 * The caller's trace id (`tid`) becomes this province's trace id for the call.
 */
export const signedCall =
  (deps: SignedCallDeps): MiddlewareHandler<GatewayEnv> =>
  async (c, next) => {
    const raw = await c.req.text();
    const url = new URL(c.req.url);
    const pathWithQuery = `${url.pathname}${url.search}`;
    const header = c.req.header(SIGNATURE_HEADER);
    let verified: { iss: string; jti: string } | undefined;
    try {
      const claims = await verifySignedRequest({
        header,
        self: deps.province,
        method: c.req.method,
        pathWithQuery,
        body: raw,
        now: deps.clock.now(),
        registry: deps.registry,
        nonces: deps.nonces,
      });
      verified = { iss: claims.iss, jti: claims.jti };
      c.set('traceId', claims.tid);
      c.set('caller', { gateway: claims.iss, jti: claims.jti });
      c.set('rawBody', raw);
      await next();
    } catch (err) {
      c.error = err instanceof Error ? err : new Error(String(err));
      c.res = renderError(err, c);
    }
    const claimed = unverifiedClaims(header);
    const peer = verified?.iss ?? (GatewayIdSchema.safeParse(claimed.iss).success ? claimed.iss : undefined);
    await audit(c, deps, peer, verified !== undefined);
    const answer = await c.res.clone().text();
    if (peer) {
      c.header(
        RECEIPT_HEADER,
        await signReceipt(deps.gatewaySigner, {
          iss: deps.province,
          aud: peer,
          rjti: verified?.jti ?? claimed.jti ?? '',
          body: answer,
          status: c.res.status,
          traceId: c.get('traceId'),
          now: deps.clock.now(),
        }),
      );
    }
  };

async function audit(
  c: Context<GatewayEnv>,
  deps: SignedCallDeps,
  peer: string | undefined,
  authentic: boolean,
) {
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
          peer,
          errorCode: status >= 400 ? errorCodeOf(c.error) : undefined,
          details: {
            ...route?.details,
            status,
            direction: 'inbound',
            callerVerified: authentic,
            jti: c.get('caller')?.jti ?? null,
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
