import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import {
  DecisionRequestSchema,
  ReleaseRequestSchema,
  ReviewIdSchema,
  ReviewPolicySchema,
  ReviewQueueQuerySchema,
} from '../../contracts/reviews.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, NotFoundError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { jsonAnswer, parseWith, readJson } from '../../lib/http/json.ts';
import {
  type Authenticator,
  audited,
  callContext,
  limitBody,
  requireRole,
} from '../../lib/http/middleware.ts';
import { queryOf } from '../../lib/http/query.ts';
import { type SignedCallDeps, signedBody, signedCall } from '../../lib/http/signed-call.ts';
import type { ReviewRepository } from './ports.ts';
import type { ReviewService } from './service.ts';

export interface ReviewAppDeps {
  service: ReviewService;
  auth: Authenticator;
  maxBodyBytes: number;
}

/** A review id in a path, or 404 as for no review. */
function reviewIdOf(raw: string): string {
  if (!ReviewIdSchema.safeParse(raw).success) throw new NotFoundError(`no review ${raw.slice(0, 64)} here`);
  return raw;
}

/** The routes of operators, reviewers and platforms (docs/protocol.md §18). */
export function reviewRoutes(deps: ReviewAppDeps) {
  const app = new Hono<GatewayEnv>();
  const { service, auth } = deps;
  const body = limitBody(deps.maxBodyBytes);

  app.get('/v1/review-policy', requireRole(auth, 'operator'), async (c) => c.json(await service.policy()));

  app.put(
    '/v1/review-policy',
    audited(AuditAction.reviewPolicy),
    body,
    requireRole(auth, 'operator'),
    async (c) => {
      const policy = await readJson(c, ReviewPolicySchema);
      return c.json(await service.setPolicy(policy, callContext(c)));
    },
  );

  app.get('/v1/reviews', requireRole(auth, 'reviewer'), async (c) => {
    const query = parseWith(ReviewQueueQuerySchema, queryOf(c), 'the query');
    return c.json(await service.list(query));
  });

  app.get('/v1/reviews/:reviewId', requireRole(auth, 'reviewer', 'platform'), async (c) => {
    const ctx = callContext(c);
    return c.json(await service.show(reviewIdOf(c.req.param('reviewId')), ctx.principal, ctx.traceId));
  });

  app.post(
    '/v1/reviews/:reviewId/decisions',
    audited(AuditAction.reviewDecide),
    body,
    requireRole(auth, 'reviewer'),
    async (c) => {
      const request = await readJson(c, DecisionRequestSchema);
      return c.json(await service.decide(reviewIdOf(c.req.param('reviewId')), request, callContext(c)));
    },
  );

  app.get('/v1/breakers', requireRole(auth, 'operator'), async (c) => c.json(await service.breakers()));

  app.post(
    '/v1/breakers/:peer/release',
    audited(AuditAction.breakerRelease),
    body,
    requireRole(auth, 'operator'),
    async (c) => {
      const peer = c.req.param('peer');
      if (!GatewayIdSchema.safeParse(peer).success)
        throw new NotFoundError(`no province ${peer.slice(0, 16)}`);
      const request = await readJson(c, ReleaseRequestSchema);
      return c.json(await service.release(peer, request.reason, callContext(c)));
    },
  );

  return app;
}

export interface InteropReviewDeps {
  store: Pick<ReviewRepository, 'storeDecision'>;
  signed: SignedCallDeps;
  maxBodyBytes: number;
  clock: Clock;
}

/**
 * `POST /v1/interop/review-decisions` (signed, §18.5): the granting province delivers how a held
 * verification of this province ended. Taken only from the province the review id and the wait
 * name, stored once with its exact bytes and the granting province's signature over them.
 */
export function interopReviewRoutes(deps: InteropReviewDeps) {
  const app = new Hono<GatewayEnv>();
  const route = InteropRoute.reviewDecision;
  app.on(route.method, route.path, limitBody(deps.maxBodyBytes), signedCall(deps.signed), async (c) => {
    const caller = c.get('caller')?.gateway ?? '';
    const raw = c.get('rawBody') ?? '';
    const decision = signedBody(raw, route.request);
    c.set('audit', {
      action: AuditAction.reviewReceive,
      identifier: decision.identifier,
      details: { reviewId: decision.reviewId, outcome: decision.outcome },
    });
    if (!decision.reviewId.startsWith(`${caller}-`)) {
      throw new NotFoundError(`no review of ${caller} named ${decision.reviewId} is awaited here`);
    }
    const stored = await deps.store.storeDecision({
      decision,
      from: caller,
      body: raw,
      signature: c.req.header(SIGNATURE_HEADER) ?? '',
      receivedAt: deps.clock.now().toISOString(),
    });
    if (stored === 'unknown') {
      throw new NotFoundError(`no review of ${caller} named ${decision.reviewId} is awaited here`);
    }
    if (stored === 'conflict') {
      throw new ConflictError(`review ${decision.reviewId} already has another decision`);
    }
    return jsonAnswer(c, { reviewId: decision.reviewId, state: decision.outcome });
  });
  return app;
}
