import { Hono } from 'hono';
import { budgetedRun } from '../../lib/delivery/rounds.ts';
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

/**
 * What a review delivery round works with. Its store is the reviews table only as a round uses it
 * (adapters' reviewOutbox): reviewRound, expire and publishOpenBreakers call `expiring`, `decide`
 * (of an expiry) and `breakers` of it, and deliverDue its outbox, nothing else.
 */
export function reviewRoundDeps(a: ProvinceAdapters): ReviewRoundDeps {
  return {
    province: a.province,
    store: a.reviewOutbox,
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
 * work, for up to 40 s (lib/delivery/rounds.ts). A count that failed fails the run at its end.
 */
export const reviewDelivery = scheduledFunction(
  functionSpec('review-delivery'),
  (a): (() => Promise<ReviewRoundReport>) => {
    const deps = reviewRoundDeps(a);
    return () =>
      budgetedRun({
        publish: () => publishOpenBreakers(deps),
        round: () => reviewRound(deps, deps.clock.now()),
        worked: (r) => r.delivered + r.expired > 0,
        budgetMs: RUN_BUDGET_MS,
      });
  },
);
