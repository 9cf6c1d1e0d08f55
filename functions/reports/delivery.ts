import { AuditAction } from '../../contracts/audit.ts';
import { NOTICE_LOOKBACK_DAYS } from '../../contracts/reports.ts';
import { auditEvent } from '../../lib/audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { type DeliveryReport, deliverDue, type Outbox } from '../../lib/delivery/deliver.ts';
import type { PeerClient } from '../../lib/interop/peer-client.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { log } from '../../lib/log/logger.ts';
import { MetricUnit, publishMetrics } from '../../lib/metrics/emf.ts';
import { REPORTS_METRICS_NAMESPACE, ReportMetric } from '../../lib/metrics/names.ts';
import type { ChangeFanout, ReportDelivery } from '../../lib/reports/records.ts';
import { reportDelivery, reportDeliveryRound } from './outbox.ts';
import type { ReportRepository } from './ports.ts';

export interface ReportRoundDeps {
  province: string;
  store: ReportRepository & { outbox: Outbox<ReportDelivery> };
  /** Which provinces relied on a license: its successful verifications in the audit (§17.7). */
  uses: { relyingProvinces(identifiers: readonly string[], since: Date, self: string): Promise<string[]> };
  peers: Pick<PeerClient, 'call'>;
  clock: Clock;
}

export interface ReportRoundReport extends DeliveryReport {
  /** Fan-outs expanded into notices this round. */
  expanded: number;
}

const FANOUTS_PER_ROUND = 10;

/**
 * One round of the report delivery function: expands the change fan-outs waiting (one notice per
 * province that relied on the license), then sends what is due in the reports outbox (reports to
 * their issuers, outcomes to their reporters, notices).
 */
export async function reportRound(g: ReportRoundDeps, now: Date): Promise<ReportRoundReport> {
  const expanded = await expandFanouts(g, now, FANOUTS_PER_ROUND);
  const sent = await deliverDue(reportDeliveryRound(g.store, g.peers), now);
  // A round that expanded a fan-out did work: the loop stays quick for the notices it made.
  return { ...sent, attempted: sent.attempted + expanded, expanded };
}

/** Expands up to `limit` waiting fan-outs, oldest first; how many this round expanded. */
export async function expandFanouts(g: ReportRoundDeps, now: Date, limit: number): Promise<number> {
  let expanded = 0;
  for (const fanout of await g.store.pendingFanouts(limit)) {
    if (await expand(g, fanout, now)) expanded++;
  }
  return expanded;
}

/**
 * A fan-out's notices: one delivery to each other province that verified the license with success
 * in the last 90 days, one notice in this province's own inbox when its own platforms did, and a
 * `notice.send` event per recipient, stored with the fan-out's removal in one transaction.
 */
async function expand(g: ReportRoundDeps, fanout: ChangeFanout, now: Date): Promise<boolean> {
  const since = new Date(now.getTime() - NOTICE_LOOKBACK_DAYS * 86_400_000);
  const provinces = await g.uses.relyingProvinces(fanout.identifiers, since, g.province);
  const others = provinces.filter((p) => p !== g.province);
  const { notice } = fanout;
  const deliveries = others.map((to) =>
    reportDelivery('notice', to, notice, { noticeId: notice.noticeId }, fanout.traceId, now),
  );
  const audits = provinces.map((to) =>
    auditEvent(
      {
        province: g.province,
        traceId: fanout.traceId,
        action: AuditAction.noticeSend,
        outcome: 'success',
        identifier: notice.identifier,
        ...(to === g.province ? {} : { peer: to }),
        details: {
          noticeId: notice.noticeId,
          change: notice.change,
          ...(notice.newIdentifier ? { newIdentifier: notice.newIdentifier } : {}),
          status: notice.status,
        },
      },
      now,
    ),
  );
  const own = provinces.includes(g.province);
  return g.store.expandFanout({
    fanout,
    deliveries,
    audits,
    ...(own
      ? {
          local: {
            noticeId: notice.noticeId,
            from: g.province,
            identifier: notice.identifier,
            change: notice.change,
            ...(notice.newIdentifier ? { newIdentifier: notice.newIdentifier } : {}),
            status: notice.status,
            time: notice.time,
            receivedAt: now.toISOString(),
          },
        }
      : {}),
  });
}

/**
 * Counts the province's overdue reports (open past their due day, CST) and publishes the count as
 * `ReportsOverdue` (namespace ELG/Reports, dimension Province), which the stack alarms on. A count
 * that fails is logged and thrown: the caller fails its run, which the function's error alarm sees.
 */
export async function publishOverdue(
  g: Pick<ReportRoundDeps, 'province' | 'store' | 'clock'>,
  write?: (line: string) => void,
): Promise<number> {
  const now = g.clock.now();
  let overdue: number;
  try {
    overdue = await g.store.countOverdue(todayCst(now));
  } catch (error) {
    log.error('overdue error reports could not be counted', {
      province: g.province,
      error: error instanceof Error ? error : String(error),
    });
    throw error;
  }
  publishMetrics(
    {
      namespace: REPORTS_METRICS_NAMESPACE,
      dimensions: { Province: g.province },
      metrics: [{ name: ReportMetric.overdue, unit: MetricUnit.Count, value: overdue }],
      timestamp: now,
    },
    write,
  );
  return overdue;
}
