import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { VerifyRequestSchema } from '../../contracts/verify.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { readJson } from '../../lib/http/json.ts';
import {
  type Authenticator,
  audited,
  callContext,
  limitBody,
  requireRole,
} from '../../lib/http/middleware.ts';
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
    requireRole(deps.auth, 'platform', 'investigator'),
    async (c) => {
      const ctx = callContext(c);
      const request = await readJson(c, VerifyRequestSchema);
      const answer = await deps.service.verify(request, ctx);
      return c.json(answer);
    },
  );
  return app;
}
