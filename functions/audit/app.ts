import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { AuditAction } from '../../contracts/audit.ts';
import {
  AuditEventIdSchema,
  AuditQuerySchema,
  ConsistencyQuerySchema,
  HolderHashRequestSchema,
} from '../../contracts/audit-api.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { parseWith, readJson } from '../../lib/http/json.ts';
import {
  type Authenticator,
  audited,
  callContext,
  limitBody,
  requireRole,
} from '../../lib/http/middleware.ts';
import { queryOf } from '../../lib/http/query.ts';
import type { AuditService } from './service.ts';

export interface AuditAppDeps {
  service: AuditService;
  auth: Authenticator;
  maxBodyBytes: number;
}

type Ctx = Context<GatewayEnv>;

const NoParameters = z.strictObject({});
const EventPath = z.strictObject({ eventId: AuditEventIdSchema });

/** The auditor routes (role auditor): events, one event, its proof, checkpoint, consistency. */
export function auditRoutes(deps: AuditAppDeps) {
  const app = new Hono<GatewayEnv>();
  const { service } = deps;
  const audit = audited(AuditAction.auditQuery);
  const auditor = requireRole(deps.auth, 'auditor');

  app.get('/v1/audit/events', audit, auditor, async (c) => {
    const query = parseWith(AuditQuerySchema, queryOf(c), 'the query');
    return c.json(await service.events(query, callContext(c)));
  });

  app.get('/v1/audit/events/:eventId', audit, auditor, async (c) => {
    parseWith(NoParameters, queryOf(c), 'the query');
    return c.json(await service.event(eventIdOf(c), callContext(c)));
  });

  app.get('/v1/audit/events/:eventId/proof', audit, auditor, async (c) => {
    parseWith(NoParameters, queryOf(c), 'the query');
    return c.json(await service.proof(eventIdOf(c), callContext(c)));
  });

  app.get('/v1/audit/checkpoint', audit, auditor, async (c) => {
    parseWith(NoParameters, queryOf(c), 'the query');
    const note = await service.checkpoint(callContext(c));
    return c.body(note, 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  });

  app.get('/v1/audit/consistency', audit, auditor, async (c) => {
    const { from, to } = parseWith(ConsistencyQuerySchema, queryOf(c), 'the query');
    return c.json(await service.consistency(from, to, callContext(c)));
  });

  // A POST, so the holder's code travels in a body and never in a URL or an access log.
  app.post('/v1/audit/holder-hash', audit, limitBody(deps.maxBodyBytes), auditor, async (c) => {
    const request = await readJson(c, HolderHashRequestSchema);
    return c.json(await service.holderHash(request, callContext(c)));
  });

  return app;
}

/** Query parameters, each at most once: a repeated one is refused rather than silently dropped. */
function eventIdOf(c: Ctx): string {
  return parseWith(EventPath, { eventId: c.req.param('eventId') }, 'the path').eventId;
}
