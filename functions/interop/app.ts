import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { jsonAnswer } from '../../lib/http/json.ts';
import { limitBody } from '../../lib/http/middleware.ts';
import { type SignedCallDeps, signedBody, signedCall } from '../../lib/http/signed-call.ts';
import type { InteropService } from './service.ts';

export interface InteropAppDeps {
  service: InteropService;
  signed: SignedCallDeps;
  maxBodyBytes: number;
}

/** `POST /v1/interop/verify`: other provinces confirm the live status of this province's licenses. */
export function interopRoutes(deps: InteropAppDeps) {
  const app = new Hono<GatewayEnv>();
  const route = InteropRoute.verify;
  app.on(route.method, route.path, limitBody(deps.maxBodyBytes), signedCall(deps.signed), async (c) => {
    const caller = c.get('caller');
    const request = signedBody(c.get('rawBody'), route.request);
    c.set('audit', {
      action: AuditAction.interopVerify,
      identifier: request.identifier,
      details: {
        matterCode: request.matterCode,
        useCause: request.useCause,
        requester: request.requester.platform,
        ...(request.seal ? { sealUntil: request.seal.until, sealBasis: request.seal.basis } : {}),
      },
    });
    const outcome = await deps.service.verify(caller?.gateway ?? '', request);
    c.set('audit', {
      action: AuditAction.interopVerify,
      identifier: request.identifier,
      holderHash: outcome.holderHash,
      details: {
        matterCode: request.matterCode,
        useCause: request.useCause,
        requester: request.requester.platform,
        agreementId: outcome.response.agreementId,
        dataLevel: outcome.dataLevel,
        licenseStatus: outcome.response.status,
        // The caller's investigator sealed it: the holder sees it sealed until then (§16).
        ...(request.seal ? { sealUntil: request.seal.until, sealBasis: request.seal.basis } : {}),
      },
    });
    return jsonAnswer(c, outcome.response);
  });
  return app;
}
