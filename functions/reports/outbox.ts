import { ErrorBodySchema } from '../../contracts/errors.ts';
import { InteropRoute, type RouteBody } from '../../contracts/interop-routes.ts';
import { ReportFiledSchema } from '../../contracts/reports.ts';
import {
  answered,
  type DeliveryRound,
  type Outbox,
  type Settle,
  settleOnAcceptance,
} from '../../lib/delivery/deliver.ts';
import { ulid } from '../../lib/ids.ts';
import type { PeerClient } from '../../lib/interop/peer-client.ts';
import type { ReportDelivery } from '../../lib/reports/records.ts';
import type { ReportRepository } from './ports.ts';

/** Where other provinces accept each kind of report delivery (signed calls, docs/protocol.md §17). */
export const ReportDeliveryRoute = {
  report: InteropRoute.report,
  outcome: InteropRoute.reportOutcome,
  notice: InteropRoute.notice,
} as const satisfies Record<ReportDelivery['kind'], unknown>;

type Kind = keyof typeof ReportDeliveryRoute;
type BodyOf<K extends Kind> = RouteBody<(typeof ReportDeliveryRoute)[K]>;

/** What the issuer's refusal of a report is: final, kept with the filing; anything else is retried. */
const REFUSALS = new Set([400, 403, 404]);

/**
 * A delivery of `kind` to `to`, due at `nextAttemptAt` (now, or leased by a route that sends it at
 * once: then its first attempt is already counted), its body as its route's contract types it.
 */
export function reportDelivery<K extends Kind>(
  kind: K,
  to: string,
  body: BodyOf<K>,
  ids: Pick<ReportDelivery, 'filingId' | 'reportId' | 'noticeId'>,
  traceId: string,
  now: Date,
  lease?: { until: Date },
): ReportDelivery {
  return {
    deliveryId: ulid(now),
    kind,
    to,
    // None of these routes has a path parameter.
    path: ReportDeliveryRoute[kind].path,
    body: JSON.stringify(body),
    traceId,
    attempts: lease ? 1 : 0,
    nextAttemptAt: (lease?.until ?? now).toISOString(),
    createdAt: now.toISOString(),
    ...ids,
  };
}

/**
 * How a verified answer settles a report delivery. A report: the issuer's 201/200 opens the
 * filing with the issuer's report id, due date and receipt; its 400, 403 or 404 refuses it for
 * good (kept with the receipt); anything else (429, 409, 401) is tried again. Outcomes and notices
 * are done on 2xx or 409, as agreement deliveries are.
 */
export function settleReports(store: Pick<ReportRepository, 'settleFiling'>, outbox: Outbox<ReportDelivery>) {
  const accepted = settleOnAcceptance(outbox);
  const settle: Settle<ReportDelivery> = async (leased, answer) => {
    if (leased.kind !== 'report' || leased.filingId === undefined) return accepted(leased, answer);
    if (answer.status === 200 || answer.status === 201) {
      const filed = ReportFiledSchema.safeParse(answer.body);
      if (!filed.success || !filed.data.reportId.startsWith(`${leased.to}-`)) {
        return { retry: `${leased.to} answered ${answer.status} without a report id of its own` };
      }
      await store.settleFiling(leased, leased.filingId, {
        state: 'open',
        reportId: filed.data.reportId,
        dueDate: filed.data.dueDate,
        receipt: answer.receipt,
      });
      return 'delivered';
    }
    if (REFUSALS.has(answer.status)) {
      const error = ErrorBodySchema.safeParse(answer.body);
      if (!error.success) return { retry: answered(leased.to, answer) };
      await store.settleFiling(leased, leased.filingId, {
        state: 'refused',
        refusal: { status: answer.status, code: error.data.error.code, message: error.data.error.message },
        receipt: answer.receipt,
      });
      return 'delivered';
    }
    return { retry: answered(leased.to, answer) };
  };
  return settle;
}

/** The round that sends the reports outbox. */
export function reportDeliveryRound(
  store: Pick<ReportRepository, 'settleFiling'> & { outbox: Outbox<ReportDelivery> },
  peers: Pick<PeerClient, 'call'>,
): DeliveryRound<ReportDelivery> {
  return {
    outbox: store.outbox,
    peers,
    route: (d) => ReportDeliveryRoute[d.kind],
    settle: settleReports(store, store.outbox),
  };
}
