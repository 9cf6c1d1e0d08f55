import type { StoredDelivery } from '../../lib/agreements/records.ts';
import type { Clock } from '../../lib/clock.ts';
import { type DeliveryReport, deliverDue } from '../../lib/delivery/deliver.ts';
import type { PeerClient } from '../../lib/interop/peer-client.ts';
import { startIntervalLoop } from '../../lib/interval-loop.ts';
import type { OutboxTable } from '../../lib/store/outbox.ts';
import { DeliveryRoute } from './outbox.ts';

export { backoffMs, type DeliveryReport } from '../../lib/delivery/deliver.ts';

export interface DeliveryDeps {
  agreements: { outbox: OutboxTable<StoredDelivery> };
  peers: PeerClient;
  clock: Clock;
}

/**
 * Sends the agreement deliveries due at `now` (lib/delivery/deliver.ts): a 2xx answer, or 409
 * (the peer already holds it, or holds something it will never accept instead), completes a
 * delivery; anything else keeps it with the error and the next attempt backed off. Deliveries to
 * one peer go in order (a proposal before the signatures that follow it).
 */
export function deliverPending(g: DeliveryDeps, now: Date): Promise<DeliveryReport> {
  return deliverDue(
    { outbox: g.agreements.outbox, peers: g.peers, route: (d) => DeliveryRoute[d.kind] },
    now,
  );
}

/**
 * Runs a delivery `round` (the delivery function's run) every `intervalMs` (never two rounds at
 * once), backing off up to `maxIntervalMs` while nothing is due, until the returned function is
 * called; that function resolves once a round in flight has finished. The timer does not keep the
 * process alive.
 */
export function startDeliveryLoop(
  round: () => Promise<Pick<DeliveryReport, 'attempted'>>,
  intervalMs: number,
  maxIntervalMs = DELIVERY_MAX_IDLE_MS,
): () => Promise<void> {
  return startIntervalLoop(() => round().then((r) => r.attempted > 0), intervalMs, {
    message: 'delivery round failed',
    maxIntervalMs,
  });
}

/**
 * While no delivery is due, the loop waits longer between rounds, doubling up to this: a
 * proposal made while it idles leaves within this long (deliveries are not woken by the write).
 */
export const DELIVERY_MAX_IDLE_MS = 4000;
