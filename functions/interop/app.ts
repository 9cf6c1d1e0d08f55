import { Hono } from 'hono';
import { AuditAction, type AuditEvent } from '../../contracts/audit.ts';
import type { DataLevel, InteropVerifyRequest } from '../../contracts/interop.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { REVIEW_TTL_HOURS, type ReviewPending } from '../../contracts/reviews.ts';
import { auditEvent } from '../../lib/audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { CircuitOpenError, NotFoundError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { jsonAnswer } from '../../lib/http/json.ts';
import { limitBody } from '../../lib/http/middleware.ts';
import { type SignedCallDeps, signedBody, signedCall } from '../../lib/http/signed-call.ts';
import { ulid } from '../../lib/ids.ts';
import type { BreakerGate } from '../../lib/interop/breakers.ts';
import type { InteropService } from '../../lib/interop/verify-answer.ts';
import { ReviewMetric } from '../../lib/metrics/names.ts';
import { approvalsNeeded, needsReview } from '../../lib/reviews/policy.ts';
import type { ReviewPolicyCache } from '../../lib/reviews/policy-cache.ts';
import type { StoredReview } from '../../lib/reviews/records.ts';

export interface InteropAppDeps {
  service: InteropService;
  signed: SignedCallDeps;
  maxBodyBytes: number;
  /** The review policy in force, read at most once a second (§18.1). */
  policy: Pick<ReviewPolicyCache, 'current'>;
  /** The calling provinces' breakers, shared by every instance through storage (§18.4). */
  breakers: Pick<BreakerGate, 'state' | 'record'>;
  /** Where held requests are stored (§18.2). */
  holds: { hold(review: StoredReview, audit: AuditEvent): Promise<void> };
  province: string;
  clock: Clock;
  /** Counts a review event as a metric (lib/reviews/metrics.ts); none in the local federation. */
  count?: (name: typeof ReviewMetric.held, at: Date) => void;
}

/** `POST /v1/interop/verify`: other provinces confirm the live status of this province's licenses. */
export function interopRoutes(deps: InteropAppDeps) {
  const app = new Hono<GatewayEnv>();
  const route = InteropRoute.verify;
  app.on(route.method, route.path, limitBody(deps.maxBodyBytes), signedCall(deps.signed), async (c) => {
    const caller = c.get('caller');
    const request = signedBody(c.get('rawBody'), route.request);
    const asked = askedDetails(request);
    c.set('audit', { action: AuditAction.interopVerify, identifier: request.identifier, details: asked });
    const peer = caller?.gateway ?? '';
    const [breaker, policy] = await Promise.all([deps.breakers.state(peer), deps.policy.current()]);
    if (breaker === 'open' && policy.breaker.whenOpen === 'refuse') {
      throw new CircuitOpenError(`calls from ${peer} are stopped: its breaker at ${deps.province} is open`);
    }
    // The grant first, from the identifier alone: a held call says nothing of the license.
    const grant = await deps.service.authorize(peer, request);
    const dataLevel = request.dataLevel ?? grant.maxDataLevel;
    const heldBecause =
      breaker === 'open'
        ? 'breaker'
        : needsReview(policy, {
              matterCode: request.matterCode,
              licenseType: grant.licenseType,
              dataLevel: dataLevel as DataLevel,
              peer,
            })
          ? 'policy'
          : undefined;
    if (heldBecause) {
      const pending = await hold(deps, c.get('traceId'), peer, request, { ...grant, dataLevel, heldBecause });
      // A held call counts towards the rate too: a caller cannot flood the reviewers' queue.
      await deps.breakers.record(peer, { notFound: false });
      c.set('audit', {
        action: AuditAction.interopVerify,
        identifier: request.identifier,
        details: {
          ...asked,
          agreementId: grant.agreementId,
          dataLevel,
          held: heldBecause,
          reviewId: pending.reviewId,
        },
      });
      return jsonAnswer(c, pending, 202);
    }
    let outcome: Awaited<ReturnType<InteropService['verify']>>;
    try {
      outcome = await deps.service.verify(peer, request, grant);
    } catch (err) {
      await deps.breakers.record(peer, { notFound: err instanceof NotFoundError });
      throw err;
    }
    await deps.breakers.record(peer, { notFound: false });
    c.set('audit', {
      action: AuditAction.interopVerify,
      identifier: request.identifier,
      holderHash: outcome.holderHash,
      details: {
        ...asked,
        agreementId: outcome.response.agreementId,
        dataLevel: outcome.dataLevel,
        licenseStatus: outcome.response.status,
      },
    });
    return jsonAnswer(c, outcome.response);
  });
  return app;
}

/**
 * What the `interop.verify` event records of the request, answered, held or refused: the matter,
 * the use cause, the requesting platform, and the caller's investigator's seal (the holder sees
 * the use sealed until then, §16).
 */
function askedDetails(request: InteropVerifyRequest): Record<string, string> {
  return {
    matterCode: request.matterCode,
    useCause: request.useCause,
    requester: request.requester.platform,
    ...(request.seal ? { sealUntil: request.seal.until, sealBasis: request.seal.basis } : {}),
  };
}

/** Stores a held request with its `review.hold` event, and the 202 answer that names it (§18.2). */
async function hold(
  deps: InteropAppDeps,
  traceId: string,
  caller: string,
  request: InteropVerifyRequest,
  held: { agreementId: string; licenseType: string; dataLevel: number; heldBecause: 'policy' | 'breaker' },
): Promise<ReviewPending> {
  const now = deps.clock.now();
  const review: StoredReview = {
    reviewId: `${deps.province}-${ulid(now)}`,
    state: 'pending',
    caller,
    request,
    licenseType: held.licenseType,
    dataLevel: held.dataLevel as DataLevel,
    agreementId: held.agreementId,
    heldBecause: held.heldBecause,
    approvalsNeeded: approvalsNeeded(held.dataLevel),
    decisions: [],
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + REVIEW_TTL_HOURS * 3_600_000).toISOString(),
    traceId,
  };
  const audit = auditEvent(
    {
      province: deps.province,
      traceId,
      action: AuditAction.reviewHold,
      outcome: 'success',
      identifier: request.identifier,
      peer: caller,
      details: {
        reviewId: review.reviewId,
        heldBecause: held.heldBecause,
        dataLevel: held.dataLevel,
        approvalsNeeded: review.approvalsNeeded,
        matterCode: request.matterCode,
      },
    },
    now,
  );
  await deps.holds.hold(review, audit);
  deps.count?.(ReviewMetric.held, now);
  return { code: 'REVIEW_PENDING', reviewId: review.reviewId, state: 'pending', expiresAt: review.expiresAt };
}
