import { Hono } from 'hono';
import type { PublicJwk } from '../../contracts/keys.ts';
import { openApiDocument } from '../../contracts/openapi.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { jwksOf } from '../../lib/signing/jws.ts';
import type { Gateway } from '../gateway.ts';
import { docsRoutes } from './docs.ts';

export interface DiscoveryOptions {
  /** Public keys published but not signing (earlier generations, a staged next one), beside the current ones. */
  previousKeys?: readonly PublicJwk[];
}

/** Public, unauthenticated: keys with purposes, health, the API description and its reference page. */
export function discoveryRoutes(g: Gateway, options: DiscoveryOptions = {}) {
  const app = new Hono<GatewayEnv>();
  const jwks = jwksOf(g.keys, options.previousKeys);
  app.get('/.well-known/jwks.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(jwks);
  });
  app.get('/healthz', async (c) => {
    const storage = await g.storageHealthy();
    const registry = g.registry.status();
    const ok = storage && registry.seq !== undefined;
    return c.json(
      {
        status: ok ? 'ok' : 'degraded',
        province: g.province,
        dependencies: { storage: storage ? 'up' : 'down', registry },
      },
      ok ? 200 : 503,
    );
  });
  // The province's own base URL as the trust registry lists it (in the local federation, the port
  // it runs on); read per request, since the registry refreshes.
  const serverUrl = () => g.registry.province(g.province)?.baseUrl;
  app.get('/openapi.json', (c) => c.json(openApiDocument(g.province, serverUrl())));
  app.route('/', docsRoutes({ province: g.province, provinceName: g.provinceName, serverUrl }));
  return app;
}
