import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { InvalidRequestError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { parseWith } from '../../lib/http/json.ts';
import { limitBody } from '../../lib/http/middleware.ts';
import { type SignedCallDeps, signedCall } from '../../lib/http/signed-call.ts';
import type { InteropService } from './service.ts';

export interface InteropAppDeps {
  service: InteropService;
  signed: SignedCallDeps;
  maxBodyBytes: number;
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
      },
    });
    return c.json(outcome.response);
  });
  return app;
}
