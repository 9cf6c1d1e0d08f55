import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { VerifyRequestSchema } from '../../contracts/verify.ts';
import { UnauthenticatedError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { readJson } from '../../lib/http/json.ts';
import { type Authenticator, audited, limitBody, requireRole } from '../../lib/http/middleware.ts';
import type { VerificationService } from './service.ts';

export interface VerificationAppDeps {
  service: VerificationService;
  auth: Authenticator;
  maxBodyBytes: number;
}

/** `POST /v1/verify` for the province's platforms. */
export function verificationRoutes(deps: VerificationAppDeps) {
  const app = new Hono<GatewayEnv>();
  app.post(
    '/v1/verify',
    audited(AuditAction.verify),
    limitBody(deps.maxBodyBytes),
    requireRole(deps.auth, 'platform'),
    async (c) => {
      const principal = c.get('principal');
      if (!principal) throw new UnauthenticatedError();
      const request = await readJson(c, VerifyRequestSchema);
      const answer = await deps.service.verify(request, {
        principal,
        traceId: c.get('traceId'),
        method: c.req.method,
        path: c.req.path,
      });
      return c.json(answer);
    },
  );
  return app;
}
