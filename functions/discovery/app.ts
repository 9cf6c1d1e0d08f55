import { Hono } from 'hono';
import type { Jwks } from '../../contracts/keys.ts';
import { openApiDocument } from '../../contracts/openapi.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { docsRoutes } from './docs.ts';
import { holderPageRoutes } from './holder.ts';

export interface DiscoveryDeps {
  province: string;
  provinceName: string;
  /** Current keys, then those published but not signing (earlier generations, a staged next one). */
  jwks: Jwks;
  /** Its status for /healthz, and this province's own base URL. */
  registry: Pick<TrustRegistry, 'status' | 'province'>;
  /** Resolves false when storage does not answer. */
  storageHealthy(): Promise<boolean>;
}

/**
 * Public, unauthenticated: keys with purposes, health, the API description and its reference page,
 * and the holder page (its data comes from the holder routes, with the holder's token).
 */
export function discoveryRoutes(g: DiscoveryDeps) {
  const app = new Hono<GatewayEnv>();
  const { jwks } = g;
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
  app.route('/', holderPageRoutes({ province: g.province, provinceName: g.provinceName }));
  return app;
}
