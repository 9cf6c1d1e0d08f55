import type { Hono } from 'hono';
import { createBaseApp } from '../http/base.ts';
import type { GatewayEnv } from '../http/env.ts';
import type { ProvinceAdapters } from './adapters.ts';
import { canUseTable, type ResourceScope } from './scope.ts';

/**
 * One Lambda function of the catalog as code: its scope (the catalog entry) and how it is wired
 * from the adapters that scope allows. The Lambda handler, the local federation and the tests all
 * build a function through here, so each runs the same app over the same narrow adapters.
 */
export interface HttpFunction {
  readonly kind: 'http';
  readonly scope: ResourceScope;
  readonly routes: (a: ProvinceAdapters) => Hono<GatewayEnv>;
}

/** A function run on a schedule: wiring once, then one run per tick. */
export interface ScheduledFunction<R = unknown> {
  readonly kind: 'scheduled';
  readonly scope: ResourceScope;
  readonly wire: (a: ProvinceAdapters) => () => Promise<R>;
}

export function httpFunction(scope: ResourceScope, routes: HttpFunction['routes']): HttpFunction {
  return { kind: 'http', scope, routes };
}

export function scheduledFunction<R>(
  scope: ResourceScope,
  wire: ScheduledFunction<R>['wire'],
): ScheduledFunction<R> {
  return { kind: 'scheduled', scope, wire };
}

/**
 * The function's whole app: the shared frame (request log, trace context, refusal audit, one error
 * shape) around its routes, over `province` seen through the function's scope. A function that
 * writes no audit events (discovery) gets a frame without an audit sink; should one of its routes
 * ever ask for its refusals to be audited, the request fails rather than go unaudited.
 */
export function functionApp(fn: HttpFunction, province: ProvinceAdapters): Hono<GatewayEnv> {
  const a = province.scopedTo(fn.scope);
  const audits = canUseTable(fn.scope, 'audit', 'write');
  const app = createBaseApp({
    province: a.province,
    clock: a.clock,
    ...(audits ? { auditStore: a.auditStore } : {}),
  });
  return app.route('/', fn.routes(a));
}

/** The function's run, wired over `province` seen through its scope. */
export function scheduledRun<R>(fn: ScheduledFunction<R>, province: ProvinceAdapters): () => Promise<R> {
  return fn.wire(province.scopedTo(fn.scope));
}
