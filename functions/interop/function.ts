import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { interopRoutes } from './app.ts';
import { InteropService } from './service.ts';

/** Answers other provinces' signed verification calls, as the agreements in force allow. */
export const interop = httpFunction(functionSpec('interop'), (a) =>
  interopRoutes({
    service: new InteropService({
      province: a.province,
      licenses: a.licenseLookup,
      agreementPolicy: a.agreementPolicy,
    }),
    signed: a.signedCalls,
    maxBodyBytes: a.maxBodyBytes,
  }),
);
