import { httpFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { auditRoutes } from './app.ts';
import { AuditService } from './service.ts';

/** The auditor routes, reading the audit table and the Merkle log over it. */
export const audit = httpFunction(functionSpec('audit'), (a) =>
  auditRoutes({
    service: new AuditService({
      province: a.province,
      reader: a.auditEvents,
      log: a.log,
      auditStore: a.auditStore,
      holderHashKey: a.holderHashKey,
      clock: a.clock,
    }),
    auth: a.auth,
    maxBodyBytes: a.maxBodyBytes,
  }),
);
