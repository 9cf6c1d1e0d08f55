import { holderService } from '../../lib/holder/wiring.ts';
import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { interopRoutes } from './app.ts';
import { HOLDER_USES_PER_MINUTE, holderUsesRoute } from './holder-uses-route.ts';
import { InteropService } from './service.ts';

/**
 * Answers other provinces' signed verification calls, as the agreements in force allow, and
 * their holders' questions about the uses of this province's licenses (docs/protocol.md §16).
 */
export const interop = httpFunction(functionSpec('interop'), (a) => {
  const app = interopRoutes({
    service: new InteropService({
      province: a.province,
      licenses: a.licenseLookup,
      agreementPolicy: a.agreementPolicy,
    }),
    signed: a.signedCalls,
    maxBodyBytes: a.maxBodyBytes,
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
