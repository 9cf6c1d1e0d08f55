import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { issuanceRoutes } from './app.ts';
import { IssuanceService } from './service.ts';

/** Issues licenses, new versions and status changes, and signs their credentials. */
export const issuance = httpFunction(functionSpec('issuance'), (a) =>
  issuanceRoutes({
    service: new IssuanceService({
      province: a.province,
      store: a.licenses,
      auditStore: a.auditStore,
      changeNotices: a.changeNotices,
      credentialSigner: a.signer('credential'),
      holderHashKey: a.holderHashKey,
      clock: a.clock,
    }),
    auth: a.auth,
    maxBodyBytes: a.maxBodyBytes,
  }),
);
