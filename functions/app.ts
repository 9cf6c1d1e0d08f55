import { createBaseApp } from '../lib/http/base.ts';
import { agreementApp } from './agreements/app.ts';
import { auditApp } from './audit/app.ts';
import { discoveryRoutes } from './discovery/app.ts';
import {
  type Gateway,
  interopService,
  issuanceService,
  signedCallDeps,
  verificationService,
} from './gateway.ts';
import { interopRoutes } from './interop/app.ts';
import { issuanceRoutes } from './issuance/app.ts';
import { verificationRoutes } from './verification/app.ts';

/** The whole province gateway on one Hono app: what the embedded federation serves per port. */
export function createGatewayApp(g: Gateway) {
  const app = createBaseApp({ province: g.province, auditStore: g.auditStore, clock: g.clock });
  app.route('/', discoveryRoutes(g));
  app.route('/', issuanceRoutes({ service: issuanceService(g), auth: g.auth, maxBodyBytes: g.maxBodyBytes }));
  app.route(
    '/',
    verificationRoutes({ service: verificationService(g), auth: g.auth, maxBodyBytes: g.maxBodyBytes }),
  );
  app.route(
    '/',
    interopRoutes({ service: interopService(g), signed: signedCallDeps(g), maxBodyBytes: g.maxBodyBytes }),
  );
  app.route('/', agreementApp(g));
  app.route('/', auditApp(g));
  return app;
}
