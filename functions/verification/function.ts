import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { verificationRoutes } from './app.ts';
import { VerificationService } from './service.ts';

/** Verifies any province's license, calling the issuing province when it is another. */
export const verification = httpFunction(functionSpec('verification'), (a) =>
  verificationRoutes({
    service: new VerificationService({
      province: a.province,
      registry: a.registry,
      licenses: a.licenseLookup,
      auditStore: a.auditStore,
      holderHashKey: a.holderHashKey,
      clock: a.clock,
      peers: a.peers,
    }),
    auth: a.auth,
    maxBodyBytes: a.maxBodyBytes,
  }),
);
