import { AuditAction } from '../../contracts/audit.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import { auditEvent } from '../../lib/audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { type DeliveryReport, deliverDue, type Outbox } from '../../lib/delivery/deliver.ts';
import type { PeerClient } from '../../lib/interop/peer-client.ts';
import { MetricUnit, publishMetrics } from '../../lib/metrics/emf.ts';
import { BreakerMetric, REVIEWS_METRICS_NAMESPACE, ReviewMetric } from '../../lib/metrics/names.ts';
import type { DecisionDelivery, StoredReview } from '../../lib/reviews/records.ts';
import type { ReviewRepository } from './ports.ts';
import { decisionDelivery } from './service.ts';

export interface ReviewRoundDeps {
  province: string;
  /** The round reads the expiring reviews and the breakers, decides expiries, sends the outbox. */
  store: Pick<ReviewRepository, 'expiring' | 'decide' | 'breakers'> & { outbox: Outbox<DecisionDelivery> };
  peers: Pick<PeerClient, 'call'>;
  clock: Clock;
  /** Counts an expiry as a metric (lib/reviews/metrics.ts); none in the local federation. */
  count?: (name: typeof ReviewMetric.expired, at: Date) => void;
}

export interface ReviewRoundReport extends DeliveryReport {
  expired: number;
}

const EXPIRIES_PER_ROUND = 25;

/**
 * One round of the review delivery function (docs/protocol.md §18.3): reviews past their 72 h end
 * `expired` (with the expiry's delivery and a `review.expire` event), then the decisions due are
 * sent to their callers.
 */
export async function reviewRound(g: ReviewRoundDeps, now: Date): Promise<ReviewRoundReport> {
  let expired = 0;
  for (const review of await g.store.expiring(now, EXPIRIES_PER_ROUND)) {
    if (await expire(g, review, now)) expired++;
  }
  const sent = await deliverDue(
    { outbox: g.store.outbox, peers: g.peers, route: () => InteropRoute.reviewDecision },
    now,
  );
  return { ...sent, attempted: sent.attempted + expired, expired };
}

async function expire(g: ReviewRoundDeps, review: StoredReview, now: Date): Promise<boolean> {
  const to: StoredReview = { ...review, state: 'expired', decidedAt: now.toISOString() };
  const delivery = await decisionDelivery(to, 'expired', now);
  const audit = auditEvent(
    {
      province: g.province,
      traceId: review.traceId,
      action: AuditAction.reviewExpire,
      outcome: 'success',
      identifier: review.request.identifier,
      peer: review.caller,
      details: { reviewId: review.reviewId, decisions: review.decisions.length, expiresAt: review.expiresAt },
    },
    now,
  );
  const stored = (await g.store.decide({ from: review, to, delivery, audit })) === 'stored';
  if (stored) g.count?.(ReviewMetric.expired, now);
  return stored;
}

/** Publishes how many calling provinces' breakers are open here (ELG/Reviews BreakersOpen). */
export async function publishOpenBreakers(
  g: Pick<ReviewRoundDeps, 'province' | 'store' | 'clock'>,
  write?: (line: string) => void,
): Promise<number> {
  const open = (await g.store.breakers()).filter((b) => b.state === 'open').length;
  publishMetrics(
    {
      namespace: REVIEWS_METRICS_NAMESPACE,
      dimensions: { Province: g.province },
      metrics: [{ name: BreakerMetric.open, unit: MetricUnit.Count, value: open }],
      timestamp: g.clock.now(),
    },
    write,
  );
  return open;
}
