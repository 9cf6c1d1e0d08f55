import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { AuditEvent } from '../../../contracts/audit.ts';
import type { Clock } from '../../../lib/clock.ts';
import type { GatewayEnv } from '../../../lib/http/env.ts';
import { renderError } from '../../../lib/http/errors.ts';
import { type CallerKeys, signedCall } from '../../../lib/http/signed-call.ts';
import type { Signer } from '../../../lib/signing/signer.ts';

/**
 * A province's signed-call layer (lib/http/signed-call.ts) in front of routes a test gives, served
 * on loopback by the Node server the gateways run on: callers' signatures are checked, answers
 * get a receipt, and every call is recorded in `events`.
 */
export async function signedServer(o: {
  province: string;
  gatewaySigner: Signer;
  /** Read on every call, so a test can build its registry after the server has its URL. */
  callers: () => CallerKeys;
  clock: Clock;
  routes: (app: Hono<GatewayEnv>) => void;
}) {
  const events: AuditEvent[] = [];
  const seen = new Set<string>();
  const app = new Hono<GatewayEnv>();
  app.onError((err, c) => renderError(err, c));
  app.use(
    '*',
    signedCall({
      province: o.province,
      registry: { keyByKid: (kid, purpose) => o.callers().keyByKid(kid, purpose) },
      nonces: {
        claim: async (key) => {
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        },
      },
      gatewaySigner: o.gatewaySigner,
      auditStore: { write: async (e) => void events.push(e) },
      clock: o.clock,
    }),
  );
  o.routes(app);
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
