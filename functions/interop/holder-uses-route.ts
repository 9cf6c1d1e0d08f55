import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { holderHash } from '../../lib/audit/holder-hash.ts';
import type { Clock } from '../../lib/clock.ts';
import { RateLimitedError } from '../../lib/errors.ts';
import type { HolderService } from '../../lib/holder/service.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { jsonAnswer } from '../../lib/http/json.ts';
import { limitBody } from '../../lib/http/middleware.ts';
import { type SignedCallDeps, signedBody, signedCall } from '../../lib/http/signed-call.ts';

/**
 * What one calling province may ask a minute: a holder's page of uses is one call, a holder
 * paging through a busy license a few more; 120 a minute per province leaves room for a province's
 * holders at once while a province harvesting holder data is stopped at 2 calls a second.
 */
export const HOLDER_USES_PER_MINUTE = 120;

export interface HolderUsesRouteDeps {
  holders: HolderService;
  signed: SignedCallDeps;
  maxBodyBytes: number;
  /** Calls a calling province may make a minute, shared by every instance. */
  rateLimit: {
    take(key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean>;
  };
  perMinute: number;
  holderHashKey: Uint8Array;
  clock: Clock;
}

/**
 * `POST /v1/interop/holder-uses` (signed, docs/protocol.md §16): a holder's home province asks for
 * the uses of one of this province's licenses. No agreement is needed (it is the holder's right);
 * the holder must be the license's (else 404, as for no license); each calling province may ask
 * `perMinute` times a minute (429 RATE_LIMITED beyond); every call is audited here, answered or
 * refused, as `holder.uses` with the caller as peer.
 */
export function holderUsesRoute(deps: HolderUsesRouteDeps) {
  const app = new Hono<GatewayEnv>();
  const route = InteropRoute.holderUses;
  app.on(route.method, route.path, limitBody(deps.maxBodyBytes), signedCall(deps.signed), async (c) => {
    const caller = c.get('caller')?.gateway ?? '';
    const request = signedBody(c.get('rawBody'), route.request);
    const hash = holderHash(deps.holderHashKey, request.holder.typeCode, request.holder.code);
    c.set('audit', {
      action: AuditAction.holderUses,
      identifier: request.identifier,
      holderHash: hash,
      details: { direction: 'inbound' },
    });
    if (!(await deps.rateLimit.take(`holder-uses#${caller}`, deps.perMinute, 60, deps.clock.now()))) {
      throw new RateLimitedError(
        `${caller} asked for holders' uses more than ${deps.perMinute} times this minute`,
      );
    }
    const page = await deps.holders.uses(request.identifier, request.holder, request);
    c.set('audit', {
      action: AuditAction.holderUses,
      identifier: request.identifier,
      holderHash: hash,
      details: { direction: 'inbound', uses: page.items.length },
    });
    return jsonAnswer(c, page);
  });
  return app;
}
