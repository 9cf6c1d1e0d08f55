import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import {
  IssueRequestSchema,
  NewVersionRequestSchema,
  StatusChangeRequestSchema,
} from '../../contracts/license.ts';
import { InvalidRequestError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { readJson } from '../../lib/http/json.ts';
import {
  type Authenticator,
  audited,
  callContext,
  limitBody,
  requireRole,
} from '../../lib/http/middleware.ts';
import type { IssuanceService } from './service.ts';

export interface IssuanceAppDeps {
  service: IssuanceService;
  auth: Authenticator;
  maxBodyBytes: number;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** Routes of the issuance function: issue, read, change, status. */
export function issuanceRoutes(deps: IssuanceAppDeps) {
  const app = new Hono<GatewayEnv>();
  const { service, auth } = deps;
  const body = limitBody(deps.maxBodyBytes);

  app.post(
    '/v1/licenses',
    audited(AuditAction.licenseIssue),
    body,
    requireRole(auth, 'issuer'),
    async (c) => {
      const key = c.req.header('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new InvalidRequestError('Idempotency-Key must be 8-128 characters of letters, digits, . _ : -');
      }
      const request = await readJson(c, IssueRequestSchema);
      const { response, replayed } = await service.issue(request, callContext(c), key);
      if (replayed) c.header('Idempotent-Replayed', 'true');
      c.header('Location', `/v1/licenses/${response.identifier}`);
      return c.json(response, 201);
    },
  );

  app.get(
    '/v1/licenses/:identifier',
    audited(AuditAction.licenseRead),
    requireRole(auth, 'issuer', 'platform'),
    async (c) => {
      const { license, credential } = await service.get(c.req.param('identifier'), callContext(c));
      return c.json(credential ? { license, credential } : { license });
    },
  );

  app.post(
    '/v1/licenses/:identifier/versions',
    audited(AuditAction.licenseVersion),
    body,
    requireRole(auth, 'issuer'),
    async (c) => {
      const change = await readJson(c, NewVersionRequestSchema);
      const response = await service.newVersion(c.req.param('identifier'), change, callContext(c));
      c.header('Location', `/v1/licenses/${response.identifier}`);
      return c.json(response, 201);
    },
  );

  app.post(
    '/v1/licenses/:identifier/status',
    audited(AuditAction.licenseStatus),
    body,
    requireRole(auth, 'issuer'),
    async (c) => {
      const change = await readJson(c, StatusChangeRequestSchema);
      const license = await service.changeStatus(c.req.param('identifier'), change, callContext(c));
      return c.json({ license });
    },
  );

  return app;
}
