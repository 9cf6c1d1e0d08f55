import { Hono } from 'hono';
import { budgetedRun } from '../../lib/delivery/rounds.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import type { ProvinceAdapters } from '../../lib/wiring/adapters.ts';
import { httpFunction, scheduledFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { interopReportRoutes, REPORTS_PER_MINUTE, reportRoutes } from './app.ts';
import { publishOverdue, type ReportRoundDeps, type ReportRoundReport, reportRound } from './delivery.ts';
import { ReportInbox } from './inbound.ts';
import { reportDeliveryRound } from './outbox.ts';
import { ReportService } from './service.ts';

/**
 * Error reports and change notices (docs/protocol.md §17): the routes of platforms, holders and
 * issuing departments, and the signed calls of other provinces' gateways, on one app.
 */
export const reports = httpFunction(functionSpec('reports'), (a) => {
  const store = a.reports;
  const service = new ReportService({
    province: a.province,
    store,
    licenses: a.licenseLookup,
    round: reportDeliveryRound(store, a.peers),
    provinces: a.registry,
    holderHashKey: a.holderHashKey,
    calendar: a.reportCalendar,
    clock: a.clock,
  });
  const inbox = new ReportInbox({
    province: a.province,
    store,
    licenses: a.licenseLookup,
    agreementPolicy: a.agreementPolicy,
    reports: service,
    clock: a.clock,
  });
  return new Hono<GatewayEnv>()
    .route('/', reportRoutes({ service, store, auth: a.auth, maxBodyBytes: a.maxBodyBytes }))
    .route(
      '/',
      interopReportRoutes({
        inbox,
        signed: a.signedCalls,
        maxBodyBytes: a.maxBodyBytes,
        rateLimit: a.rateLimits,
        perMinute: REPORTS_PER_MINUTE,
        clock: a.clock,
      }),
    );
});

/** What a report delivery round works with: the reports table, the audit's uses, signed calls. */
export function reportRoundDeps(a: ProvinceAdapters): ReportRoundDeps {
  return { province: a.province, store: a.reports, uses: a.licenseUses, peers: a.peers, clock: a.clock };
}

/** A scheduled run stops starting rounds after this, well inside its 60 s timeout and lease. */
const RUN_BUDGET_MS = 40_000;

/**
 * Scheduled (every minute): publishes the count of overdue reports (ELG/Reports ReportsOverdue),
 * then expands change fan-outs into notices and sends the reports, outcomes and notices that are
 * due, round after round while there is work, for up to 40 s. A count that failed fails the run
 * once the rounds are done, so the function's error alarm sees it.
 */
export const reportDelivery = scheduledFunction(
  functionSpec('report-delivery'),
  (a): (() => Promise<ReportRoundReport>) => {
    const deps = reportRoundDeps(a);
    return () =>
      budgetedRun({
        publish: () => publishOverdue(deps),
        round: () => reportRound(deps, deps.clock.now()),
        worked: (r) => r.delivered + r.expanded > 0,
        budgetMs: RUN_BUDGET_MS,
      });
  },
);
