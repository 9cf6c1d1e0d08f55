import type { Hono } from 'hono';
import type { GatewayEnv } from '../lib/http/env.ts';
import { RouteTable } from '../lib/http/route-table.ts';
import type { ProvinceAdapters } from '../lib/wiring/adapters.ts';
import { functionApp, type HttpFunction, type ScheduledFunction } from '../lib/wiring/function.ts';
import { agreements, delivery } from './agreements/function.ts';
import { audit } from './audit/function.ts';
import { FUNCTIONS } from './catalog.ts';
import { discovery } from './discovery/function.ts';
import { interop } from './interop/function.ts';
import { issuance } from './issuance/function.ts';
import { reportDelivery, reports } from './reports/function.ts';
import { reviewDelivery, reviews } from './reviews/function.ts';
import { sequencer } from './sequencer/function.ts';
import { verification } from './verification/function.ts';
import { witness } from './witness/function.ts';

/** Every function of a province, by catalog name. */
export const HTTP_FUNCTIONS: readonly HttpFunction[] = [
  discovery,
  issuance,
  verification,
  interop,
  agreements,
  reports,
  reviews,
  audit,
  witness,
];
export const SCHEDULED_FUNCTIONS = {
  delivery,
  reportDelivery,
  reviewDelivery,
  sequencer,
} as const satisfies Record<string, ScheduledFunction>;

/**
 * A province's HTTP functions behind one fetch, routed as its HTTP API routes them (the catalog's
 * routes, API Gateway's selection): what the local federation serves on each province's port and
 * what in-process tests call. Each function runs its own app over the adapters its scope allows,
 * exactly as its Lambda does.
 */
export interface ProvinceApp {
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** In-process, as Hono's `app.request`: a path (on http://localhost) or a Request. */
  request(input: Request | string, init?: RequestInit): Promise<Response>;
  /** Every route each function's app serves (Hono's paths, `:name` for a parameter). */
  routes: readonly { method: string; path: string; function: string }[];
}

export function provinceApp(province: ProvinceAdapters): ProvinceApp {
  const apps = new Map(HTTP_FUNCTIONS.map((fn) => [fn.scope.name, functionApp(fn, province)]));
  const table = new RouteTable(
    FUNCTIONS.flatMap((spec) => {
      const app = apps.get(spec.name);
      return app ? spec.routes.map((route) => ({ route, target: app })) : [];
    }),
  );
  const fetch = async (request: Request, env?: unknown): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const app: Hono<GatewayEnv> | undefined = table.select(request.method, pathname);
    // The catalog gives discovery `$default`, so every request has a function.
    if (!app) throw new Error(`no function serves ${request.method} ${pathname}`);
    return app.fetch(request, env);
  };
  return {
    routes: [...apps].flatMap(([name, app]) =>
      app.routes.map((r) => ({ method: r.method, path: r.path, function: name })),
    ),
    fetch,
    request: (input, init) =>
      fetch(input instanceof Request ? input : new Request(new URL(input, 'http://localhost'), init)),
  };
}
