import { Hono } from 'hono';
import type { GatewayEnv } from '../../lib/http/env.ts';
import type { ProvinceAdapters } from '../../lib/wiring/adapters.ts';
import { httpFunction, scheduledFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { agreementRoutes, interopAgreementRoutes } from './app.ts';
import { type DeliveryReport, deliverPending } from './delivery.ts';
import { AgreementInbox } from './inbound.ts';
import { type AgreementDeps, AgreementService } from './service.ts';

function agreementDeps(a: ProvinceAdapters): AgreementDeps {
  return {
    province: a.province,
    store: a.agreements,
    registry: a.registry,
    signer: a.signer('gateway'),
    clock: a.clock,
  };
}

/** The operator routes and the inbound deliveries from other gateways, on one app. */
export const agreements = httpFunction(functionSpec('agreements'), (a) => {
  const deps = agreementDeps(a);
  return new Hono<GatewayEnv>()
    .route(
      '/',
      agreementRoutes({ service: new AgreementService(deps), auth: a.auth, maxBodyBytes: a.maxBodyBytes }),
    )
    .route(
      '/',
      interopAgreementRoutes({
        inbox: new AgreementInbox(deps),
        signed: a.signedCalls,
        maxBodyBytes: a.maxBodyBytes,
      }),
    );
});

/** What delivery rounds send through: the outbox, signed calls, the clock. */
export function deliveryDeps(a: ProvinceAdapters) {
  return { agreements: a.agreements, peers: a.peers, clock: a.clock };
}

/** Scheduled: sends the agreement deliveries that are due. */
export const delivery = scheduledFunction(functionSpec('delivery'), (a): (() => Promise<DeliveryReport>) => {
  const deps = deliveryDeps(a);
  return () => deliverPending(deps, deps.clock.now());
});
