import { Hono } from 'hono';
import type { AuditSink } from '../audit/sink.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError } from '../errors.ts';
import type { GatewayEnv } from './env.ts';
import { renderError } from './errors.ts';
import { auditRefusals, traceContext } from './middleware.ts';
import { requestLog } from './request-log.ts';

/**
 * The frame every function app shares: a log line per request, trace context, refusal audit, one
 * error shape, JSON 404.
 */
export function createBaseApp(deps: { province: string; auditStore?: AuditSink; clock: Clock }) {
  const app = new Hono<GatewayEnv>();
  app.use('*', requestLog(deps));
  app.use('*', traceContext);
  app.use('*', auditRefusals(deps));
  app.onError((err, c) => renderError(err, c));
  app.notFound((c) => renderError(new NotFoundError(`no route ${c.req.method} ${c.req.path}`), c));
  return app;
}
