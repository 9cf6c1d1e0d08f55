import { holderService } from '../../lib/holder/wiring.ts';
import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { verificationRoutes } from './app.ts';
import { holderRoutes } from './holder-routes.ts';
import { VerificationService } from './service.ts';

/**
 * Verifies any province's license, calling the issuing province when it is another; and answers
 * holders at their home province (docs/protocol.md §16), asking the issuer the same way.
 */
export const verification = httpFunction(functionSpec('verification'), (a) => {
  const app = verificationRoutes({
    service: new VerificationService({
      province: a.province,
      registry: a.registry,
      licenses: a.licenseLookup,
      auditStore: a.auditStore,
      holderHashKey: a.holderHashKey,
      clock: a.clock,
      peers: a.peers,
      waits: a.reviewWaits,
    }),
    auth: a.auth,
    maxBodyBytes: a.maxBodyBytes,
  });
  app.route(
    '/',
    holderRoutes({
      province: a.province,
      auth: a.auth,
      holders: holderService(a, { listsLicenses: true }),
      peers: a.peers,
      registry: a.registry,
      auditStore: a.auditStore,
      holderHashKey: a.holderHashKey,
      clock: a.clock,
    }),
  );
  return app;
});
