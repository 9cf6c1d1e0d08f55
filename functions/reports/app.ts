import { Hono } from 'hono';
import { AuditAction } from '../../contracts/audit.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import {
  FileReportRequestSchema,
  NoticesQuerySchema,
  ReportQueueQuerySchema,
  ResolutionRequestSchema,
} from '../../contracts/reports.ts';
import type { Clock } from '../../lib/clock.ts';
import { RateLimitedError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { jsonAnswer, parseWith, readJson } from '../../lib/http/json.ts';
import {
  type Authenticator,
  audited,
  auditedIdentifier,
  callContext,
  limitBody,
  requireRole,
} from '../../lib/http/middleware.ts';
import { queryOf } from '../../lib/http/query.ts';
import { type SignedCallDeps, signedBody, signedCall } from '../../lib/http/signed-call.ts';
import type { ReportInbox } from './inbound.ts';
import type { ReportRepository } from './ports.ts';
import type { ReportService } from './service.ts';

/**
 * Reports one calling province may deliver a minute: a province's windows and holders at their
 * busiest file a few a minute; 60 leaves room for that while a province probing for licenses by
 * report is held to one a second.
 */
export const REPORTS_PER_MINUTE = 60;

export interface ReportAppDeps {
  service: ReportService;
  store: Pick<ReportRepository, 'notices'>;
  auth: Authenticator;
  maxBodyBytes: number;
}

/** The routes of this province's platforms, holders and issuing departments (docs/protocol.md §17). */
export function reportRoutes(deps: ReportAppDeps) {
  const app = new Hono<GatewayEnv>();
  const { service, auth } = deps;
  const body = limitBody(deps.maxBodyBytes);

  app.post(
    '/v1/reports',
    audited(AuditAction.reportFile),
    body,
    requireRole(auth, 'platform', 'holder'),
    async (c) => {
      const request = await readJson(c, FileReportRequestSchema);
      c.set('audit', { action: AuditAction.reportFile, ...auditedIdentifier(request.identifier) });
      const answer = await service.file(request, callContext(c));
      if (answer.status === 201) c.header('Location', `/v1/reports/${answer.body.reportId}`);
      else c.header('Location', `/v1/reports/${answer.body.filingId}`);
      return c.json(answer.body, answer.status);
    },
  );

  app.get('/v1/reports', requireRole(auth, 'issuer'), async (c) => {
    const query = parseWith(ReportQueueQuerySchema, queryOf(c), 'the query');
    return c.json(await service.queue(query, callContext(c).principal));
  });

  app.get('/v1/reports/:reportId', requireRole(auth, 'platform', 'holder', 'issuer'), async (c) => {
    return c.json(await service.show(c.req.param('reportId'), callContext(c).principal));
  });

  app.post(
    '/v1/reports/:reportId/resolution',
    audited(AuditAction.reportResolve),
    body,
    requireRole(auth, 'issuer'),
    async (c) => {
      const request = await readJson(c, ResolutionRequestSchema);
      return c.json(await service.resolve(c.req.param('reportId'), request, callContext(c)));
    },
  );

  app.get('/v1/notices', requireRole(auth, 'platform'), async (c) => {
    const query = parseWith(NoticesQuerySchema, queryOf(c), 'the query');
    const page = await deps.store.notices({
      limit: query.limit ?? 50,
      ...(query.cursor ? { after: query.cursor } : {}),
    });
    return c.json({ items: page.items, ...(page.next ? { cursor: page.next } : {}) });
  });

  return app;
}

export interface InteropReportDeps {
  inbox: ReportInbox;
  signed: SignedCallDeps;
  maxBodyBytes: number;
  /** Calls a calling province may make a minute, shared by every instance. */
  rateLimit: { take(key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean> };
  perMinute: number;
  clock: Clock;
}

/**
 * The signed routes of the error loop (§17.2, §17.5, §17.7), each audited once by signedCall
 * under its own action, answered or refused, with the caller as peer.
 */
export function interopReportRoutes(deps: InteropReportDeps) {
  const app = new Hono<GatewayEnv>();
  const signed = [limitBody(deps.maxBodyBytes), signedCall(deps.signed)] as const;
  const callerOf = (c: { get(k: 'caller'): { gateway: string } | undefined }) =>
    c.get('caller')?.gateway ?? '';

  const report = InteropRoute.report;
  app.on(report.method, report.path, ...signed, async (c) => {
    const caller = callerOf(c);
    const request = signedBody(c.get('rawBody'), report.request);
    c.set('audit', {
      action: AuditAction.reportReceive,
      ...auditedIdentifier(request.identifier),
      details: { filingId: request.filingId, reporter: request.reporter.kind },
    });
    if (!(await deps.rateLimit.take(`reports#${caller}`, deps.perMinute, 60, deps.clock.now()))) {
      throw new RateLimitedError(`${caller} delivered more than ${deps.perMinute} reports this minute`);
    }
    const answer = await deps.inbox.report(caller, request);
    c.set('audit', {
      action: AuditAction.reportReceive,
      identifier: request.identifier,
      details: {
        filingId: request.filingId,
        reporter: request.reporter.kind,
        reportId: answer.reportId,
        repeated: answer.status === 200,
      },
    });
    return jsonAnswer(c, answer.body, answer.status);
  });

  const outcome = InteropRoute.reportOutcome;
  app.on(outcome.method, outcome.path, ...signed, async (c) => {
    const request = signedBody(c.get('rawBody'), outcome.request);
    c.set('audit', {
      action: AuditAction.reportOutcome,
      ...auditedIdentifier(request.identifier),
      details: { reportId: request.reportId, filingId: request.filingId, outcome: request.outcome },
    });
    await deps.inbox.outcome(callerOf(c), request);
    return jsonAnswer(c, { reportId: request.reportId, state: 'resolved' });
  });

  const notice = InteropRoute.notice;
  app.on(notice.method, notice.path, ...signed, async (c) => {
    const request = signedBody(c.get('rawBody'), notice.request);
    c.set('audit', {
      action: AuditAction.noticeReceive,
      ...auditedIdentifier(request.identifier),
      details: {
        noticeId: request.noticeId,
        change: request.change,
        ...(request.newIdentifier ? { newIdentifier: request.newIdentifier } : {}),
      },
    });
    await deps.inbox.notice(callerOf(c), request);
    return jsonAnswer(c, { noticeId: request.noticeId });
  });

  return app;
}
