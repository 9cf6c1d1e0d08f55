import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { type GatewayLogger, log } from '../log/logger.ts';
import type { GatewayEnv } from './env.ts';
import { errorCodeOf, renderedErrorCode } from './errors.ts';

/**
 * One log line per request, once it is answered (message `request`): method, route (the matched
 * pattern such as `/v1/licenses/:identifier`, never the path, so no identifier or holder data
 * reaches the log), status, latency in ms, trace id, this province, the verified caller of a
 * signed call and the error code of an error answer. Never a header, token, query or body. ERROR
 * for a 5xx, INFO otherwise. Mounted first, so it times and sees what every other layer did.
 */
export const requestLog =
  (deps: { province: string; logger?: GatewayLogger }): MiddlewareHandler<GatewayEnv> =>
  async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = c.res.status;
      const line = {
        method: c.req.method,
        route: routeOf(c),
        status,
        latencyMs: Math.round(performance.now() - started),
        traceId: c.get('traceId'),
        province: deps.province,
        callerProvince: c.get('caller')?.gateway,
        errorCode:
          status >= 400 ? (renderedErrorCode(c) ?? (c.error ? errorCodeOf(c.error) : undefined)) : undefined,
      };
      const logger = deps.logger ?? log;
      if (status >= 500) logger.error('request', line);
      else logger.info('request', line);
    }
  };

/**
 * The pattern of the route that answered: the matched routes registered for a method (middleware
 * mounted with `use` matches as ALL). Undefined when no route matched (a 404).
 */
function routeOf(c: Context<GatewayEnv>): string | undefined {
  return matchedRoutes(c).find((r) => r.method !== 'ALL')?.path;
}
