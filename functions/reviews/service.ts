import { AuditAction } from '../../contracts/audit.ts';
import type { Principal } from '../../contracts/auth.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import {
  type BreakerView,
  type CallerReview,
  DEFAULT_BREAKER,
  type DecisionRequest,
  type HeldReview,
  type InteropReviewDecision,
  type ReviewPolicy,
  type ReviewPolicyView,
  type ReviewQueuePage,
  type ReviewQueueQuery,
} from '../../contracts/reviews.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, ConflictError, NotFoundError } from '../../lib/errors.ts';
import { ulid } from '../../lib/ids.ts';
import type { InteropService } from '../../lib/interop/verify-answer.ts';
import { BreakerMetric, type ReviewMetric } from '../../lib/metrics/names.ts';
import type { DecisionDelivery, StoredBreaker, StoredReview, StoredWait } from '../../lib/reviews/records.ts';
import { heldVerdict } from '../../lib/verify/shared-verdict.ts';
import type { ReviewRepository } from './ports.ts';

export interface ReviewDeps {
  province: string;
  store: ReviewRepository;
  /** How an approved request is answered: exactly as `/v1/interop/verify` would, at that moment. */
  answers: Pick<InteropService, 'verify'>;
  clock: Clock;
  /** Counts a decision or a release as a metric (lib/reviews/metrics.ts). */
  count?: (name: ReviewMetric | BreakerMetric, at: Date) => void;
}

const DEFAULT_LIMIT = 50;

/**
 * Manual review and breakers (docs/protocol.md §18) as a province's operators, reviewers and
 * platforms use them: the review policy, the held requests and their decisions, the breakers of
 * the calling provinces, and the waits of this province's own held verifications.
 */
export class ReviewService {
  constructor(private readonly deps: ReviewDeps) {}

  async policy(): Promise<ReviewPolicyView> {
    const stored = await this.deps.store.policy();
    if (!stored) return { rules: [], breaker: DEFAULT_BREAKER };
    return {
      rules: stored.rules,
      breaker: stored.breaker ?? DEFAULT_BREAKER,
      updatedAt: stored.updatedAt,
      updatedBy: stored.updatedBy,
    };
  }

  /** `PUT /v1/review-policy`: over the version read, with its `review.policy` event. */
  async setPolicy(policy: ReviewPolicy, ctx: CallContext): Promise<ReviewPolicyView> {
    const now = this.deps.clock.now();
    const previous = await this.deps.store.policy();
    const next = {
      rules: policy.rules,
      ...(policy.breaker ? { breaker: policy.breaker } : {}),
      updatedAt: now.toISOString(),
      updatedBy: ctx.principal.sub,
      version: (previous?.version ?? 0) + 1,
    };
    const audit = callEvent(
      this.deps.province,
      ctx,
      {
        action: AuditAction.reviewPolicy,
        details: {
          rules: policy.rules.length,
          version: next.version,
          policy: JSON.stringify(policy).slice(0, 2000),
        },
      },
      now,
    );
    if ((await this.deps.store.putPolicy(next, previous?.version, audit)) === 'conflict') {
      throw new ConflictError('the review policy changed meanwhile; read it again');
    }
    return this.policy();
  }

  /** `GET /v1/reviews` (role reviewer). */
  async list(query: ReviewQueueQuery): Promise<ReviewQueuePage> {
    const page = { limit: query.limit ?? DEFAULT_LIMIT, ...(query.cursor ? { after: query.cursor } : {}) };
    const found =
      query.state === 'pending' ? await this.deps.store.pending(page) : await this.deps.store.decided(page);
    return { items: found.items.map(held), ...(found.next ? { cursor: found.next } : {}) };
  }

  /** `GET /v1/reviews/{reviewId}`: a reviewer sees the held request, a platform its own wait. */
  async show(reviewId: string, principal: Principal, traceId: string): Promise<HeldReview | CallerReview> {
    if (principal.roles.includes('reviewer')) {
      const review = await this.deps.store.review(reviewId);
      if (review) return held(review);
    }
    if (principal.roles.includes('platform')) {
      const wait = await this.deps.store.wait(reviewId);
      if (wait) return this.callerView(wait, traceId);
    }
    throw new NotFoundError(`no review ${reviewId} here`);
  }

  /** `POST /v1/reviews/{reviewId}/decisions` (role reviewer, §18.3). */
  async decide(reviewId: string, request: DecisionRequest, ctx: CallContext): Promise<HeldReview> {
    const { store, clock, province } = this.deps;
    const review = await store.review(reviewId);
    if (!review) throw new NotFoundError(`no review ${reviewId} here`);
    const now = clock.now();
    if (review.state !== 'pending') throw new ConflictError(`review ${reviewId} is already ${review.state}`);
    if (Date.parse(review.expiresAt) <= now.getTime()) {
      throw new ConflictError(`review ${reviewId} expired at ${review.expiresAt}`);
    }
    if (review.decisions.some((d) => d.reviewer === ctx.principal.sub)) {
      throw new ConflictError('this reviewer has decided this review already; another reviewer decides next');
    }
    const decisions = [
      ...review.decisions,
      {
        decision: request.decision,
        reason: request.reason,
        reviewer: ctx.principal.sub,
        ...(ctx.principal.name ? { reviewerName: ctx.principal.name } : {}),
        at: now.toISOString(),
      },
    ];
    const approvals = decisions.filter((d) => d.decision === 'approve').length;
    const state =
      request.decision === 'reject'
        ? 'rejected'
        : approvals >= review.approvalsNeeded
          ? 'approved'
          : 'pending';
    const to: StoredReview = {
      ...review,
      decisions,
      state,
      ...(state === 'pending' ? {} : { decidedAt: now.toISOString() }),
    };
    const delivery =
      state === 'pending' ? undefined : await decisionDelivery(to, state, now, this.deps.answers);
    const audit = callEvent(
      province,
      ctx,
      {
        action: AuditAction.reviewDecide,
        identifier: review.request.identifier,
        peer: review.caller,
        details: {
          reviewId,
          decision: request.decision,
          approvals,
          approvalsNeeded: review.approvalsNeeded,
          state,
          reason: request.reason.slice(0, 500),
        },
      },
      now,
    );
    const stored = await store.decide({ from: review, to, audit, ...(delivery ? { delivery } : {}) });
    if (stored === 'conflict')
      throw new ConflictError(`review ${reviewId} was decided meanwhile; read it again`);
    return held(to);
  }

  /** `GET /v1/breakers` (role operator). */
  async breakers(): Promise<{ items: BreakerView[]; breaker: ReviewPolicyView['breaker'] }> {
    const [stored, policy] = await Promise.all([this.deps.store.breakers(), this.policy()]);
    return { items: stored.map(breakerView), breaker: policy.breaker };
  }

  /** `POST /v1/breakers/{peer}/release` (role operator): only an open breaker. */
  async release(peer: string, reason: string, ctx: CallContext): Promise<BreakerView> {
    const breaker = await this.deps.store.breaker(peer);
    if (breaker?.state !== 'open') throw new ConflictError(`the breaker of ${peer} is not open`);
    const now = this.deps.clock.now();
    // The release minute's calls so far count no more towards a new trip; those after it do.
    const minute = now.toISOString().slice(0, 16);
    const sofar = (await this.deps.store.counts(peer, minute)).find((c) => c.minute === minute);
    const to: StoredBreaker = {
      ...breaker,
      state: 'closed',
      releaseBaseline: { minute, calls: sofar?.calls ?? 0, notFound: sofar?.notFound ?? 0 },
      releasedAt: now.toISOString(),
      releasedBy: ctx.principal.sub,
      releaseReason: reason,
      generation: breaker.generation + 1,
    };
    const audit = callEvent(
      this.deps.province,
      ctx,
      {
        action: AuditAction.breakerRelease,
        peer,
        details: { reason: reason.slice(0, 500), trippedBecause: breaker.trippedBecause ?? null },
      },
      now,
    );
    if ((await this.deps.store.setBreaker(to, breaker.generation, audit)) === 'conflict') {
      throw new ConflictError(`the breaker of ${peer} changed meanwhile; read it again`);
    }
    this.deps.count?.(BreakerMetric.releases, now);
    return breakerView(to);
  }

  private callerView(wait: StoredWait, traceId: string): CallerReview {
    const d = wait.decision;
    const outcome = !d
      ? ({
          kind: 'waiting',
          reason: 'REVIEW_PENDING',
          message: `${wait.issuer} holds the request for a person to decide`,
        } as const)
      : d.outcome === 'approved'
        ? d.answer
          ? ({ kind: 'answer', answer: d.answer } as const)
          : ({
              kind: 'refused',
              code: d.error?.code ?? 'NOT_FOUND',
              message: d.error?.message ?? 'refused',
            } as const)
        : ({
            kind: 'waiting',
            reason: d.outcome === 'rejected' ? 'REVIEW_REJECTED' : 'REVIEW_EXPIRED',
            message: `${wait.issuer}: ${d.reason}`,
          } as const);
    return {
      reviewId: wait.reviewId,
      issuer: wait.issuer,
      identifier: wait.identifier,
      state: wait.state,
      verdict: heldVerdict({
        identifier: wait.identifier,
        issuerProvince: wait.issuer,
        outcome,
        reviewId: wait.reviewId,
        traceId,
        now: this.deps.clock.now(),
      }),
      requestedAt: wait.requestedAt,
      ...(d ? { decidedAt: d.decidedAt, reason: d.reason } : {}),
      ...(wait.decisionSignature ? { decisionSignature: wait.decisionSignature } : {}),
      ...(wait.decisionBody ? { decisionBody: wait.decisionBody } : {}),
    };
  }
}

function held(r: StoredReview): HeldReview {
  const { traceId: _trace, ...view } = r;
  return view;
}

function breakerView(b: StoredBreaker): BreakerView {
  const { generation: _g, releaseBaseline: _b, ...view } = b;
  return view;
}

/**
 * The delivery of an ended review to its caller (§18.3). An approval is answered now, by
 * `answers`, exactly as `/v1/interop/verify` would answer it; a rejection or an expiry shares
 * nothing.
 */
export async function decisionDelivery(
  review: StoredReview,
  outcome: 'approved' | 'rejected' | 'expired',
  now: Date,
  answers?: Pick<InteropService, 'verify'>,
): Promise<DecisionDelivery> {
  const reason =
    outcome === 'expired'
      ? `not decided within the ${Math.round((Date.parse(review.expiresAt) - Date.parse(review.createdAt)) / 3_600_000)} h a review waits`
      : review.decisions
          .map((d) => d.reason)
          .join('; ')
          .slice(0, 1100);
  let shared: Pick<InteropReviewDecision, 'answer' | 'error'> = {};
  if (outcome === 'approved') {
    if (!answers) throw new TypeError('an approval is answered: decisionDelivery needs the answers');
    try {
      const { dataLevel: _asked, ...request } = review.request;
      const answer = await answers.verify(review.caller, {
        ...request,
        // The level the reviewers approved: the one the request was held with.
        dataLevel: review.dataLevel as 1 | 2 | 3 | 4,
      });
      shared = { answer: answer.response };
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      shared = { error: { status: err.status, code: err.code, message: err.message.slice(0, 500) } };
    }
  }
  const decision: InteropReviewDecision = {
    reviewId: review.reviewId,
    identifier: review.request.identifier,
    outcome,
    reason: reason || outcome,
    decidedAt: now.toISOString(),
    ...shared,
  };
  return {
    deliveryId: ulid(now),
    kind: 'decision',
    reviewId: review.reviewId,
    to: review.caller,
    path: InteropRoute.reviewDecision.path,
    body: JSON.stringify(decision),
    traceId: review.traceId,
    attempts: 0,
    nextAttemptAt: now.toISOString(),
    createdAt: now.toISOString(),
  };
}
