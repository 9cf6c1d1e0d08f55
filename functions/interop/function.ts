import { holderService } from '../../lib/holder/wiring.ts';
import { BreakerGate } from '../../lib/interop/breakers.ts';
import { InteropService } from '../../lib/interop/verify-answer.ts';
import { countReviewEvent } from '../../lib/reviews/metrics.ts';
import { ReviewPolicyCache } from '../../lib/reviews/policy-cache.ts';
import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { interopRoutes } from './app.ts';
import { HOLDER_USES_PER_MINUTE, holderUsesRoute } from './holder-uses-route.ts';

/**
 * Answers other provinces' signed verification calls, as the agreements in force allow, and
 * their holders' questions about the uses of this province's licenses (docs/protocol.md §16).
 */
export const interop = httpFunction(functionSpec('interop'), (a) => {
  // One policy cache and one breaker gate per instance: each reads storage at most once a second.
  // The reviews table only as they and the holds use it (the policy, breakers, counters, holds).
  const reviews = a.reviewGate;
  const policy = new ReviewPolicyCache(reviews, a.clock);
  const app = interopRoutes({
    service: new InteropService({
      province: a.province,
      licenses: a.licenseLookup,
      agreementPolicy: a.agreementPolicy,
    }),
    signed: a.signedCalls,
    maxBodyBytes: a.maxBodyBytes,
    policy,
    breakers: new BreakerGate({
      store: reviews,
      clock: a.clock,
      province: a.province,
      settings: () => policy.breaker(),
      writeMetrics: a.writeMetrics,
    }),
    holds: reviews,
    province: a.province,
    clock: a.clock,
    count: (name, at) => countReviewEvent(a.province, name, at, a.writeMetrics),
  });
  app.route(
    '/',
    holderUsesRoute({
      holders: holderService(a, { listsLicenses: false }),
      signed: a.signedCalls,
      maxBodyBytes: a.maxBodyBytes,
      rateLimit: a.rateLimits,
      perMinute: HOLDER_USES_PER_MINUTE,
      holderHashKey: a.holderHashKey,
      clock: a.clock,
    }),
  );
  return app;
});
