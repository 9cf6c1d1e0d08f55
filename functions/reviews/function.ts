import { Hono } from 'hono';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { InteropService } from '../../lib/interop/verify-answer.ts';
import { countReviewEvent } from '../../lib/reviews/metrics.ts';
import type { ProvinceAdapters } from '../../lib/wiring/adapters.ts';
import { httpFunction, scheduledFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { interopReviewRoutes, reviewRoutes } from './app.ts';
import {
  publishOpenBreakers,
  type ReviewRoundDeps,
  type ReviewRoundReport,
  reviewRound,
} from './delivery.ts';
import { ReviewService } from './service.ts';

/** The review service over a function's adapters: the reviews table and the grantor's answers. */
function reviewService(a: ProvinceAdapters): ReviewService {
  return new ReviewService({
    province: a.province,
    store: a.reviews,
    answers: new InteropService({
      province: a.province,
      licenses: a.licenseLookup,
      agreementPolicy: a.agreementPolicy,
    }),
    clock: a.clock,
    count: (name, at) => countReviewEvent(a.province, name, at, a.writeMetrics),
  });
}

/**
 * Manual review and breakers (docs/protocol.md §18): the operators', reviewers' and platforms'
 * routes, and the granting provinces' decision deliveries, on one app.
 */
export const reviews = httpFunction(functionSpec('reviews'), (a) =>
  new Hono<GatewayEnv>()
    .route('/', reviewRoutes({ service: reviewService(a), auth: a.auth, maxBodyBytes: a.maxBodyBytes }))
    .route(
      '/',
      interopReviewRoutes({
        store: a.reviews,
        signed: a.signedCalls,
        maxBodyBytes: a.maxBodyBytes,
        clock: a.clock,
      }),
    ),
);

/** What a review delivery round works with. */
export function reviewRoundDeps(a: ProvinceAdapters): ReviewRoundDeps {
  return {
    province: a.province,
    store: a.reviews,
    peers: a.peers,
    clock: a.clock,
    count: (name, at) => countReviewEvent(a.province, name, at, a.writeMetrics),
  };
}

/** A scheduled run stops starting rounds after this, well inside its 60 s timeout and lease. */
const RUN_BUDGET_MS = 40_000;

/**
 * Scheduled (every minute): publishes how many breakers are open (ELG/Reviews BreakersOpen), then
 * expires reviews past their 72 h and sends the decisions due, round after round while there is
 * work, for up to 40 s. A count that failed fails the run once the rounds are done.
 */
export const reviewDelivery = scheduledFunction(
  functionSpec('review-delivery'),
  (a): (() => Promise<ReviewRoundReport>) => {
    const deps = reviewRoundDeps(a);
    return async () => {
      const counted = await publishOpenBreakers(deps).then(
        () => undefined,
        (error: unknown) => error,
      );
      const started = Date.now();
      const total: ReviewRoundReport = { attempted: 0, delivered: 0, failed: 0, expired: 0 };
      for (;;) {
        const r = await reviewRound(deps, deps.clock.now());
        total.attempted += r.attempted;
        total.delivered += r.delivered;
        total.failed += r.failed;
        total.expired += r.expired;
        if (r.delivered + r.expired === 0 || Date.now() - started > RUN_BUDGET_MS) break;
      }
      if (counted !== undefined) throw counted;
      return total;
    };
  },
);
