import { ErrorBodySchema } from '../../contracts/errors.ts';
import type { StoredDelivery } from '../../lib/agreements/records.ts';
import type { Clock } from '../../lib/clock.ts';
import type { PeerClient } from '../../lib/interop/peer-client.ts';
import { startIntervalLoop } from '../../lib/interval-loop.ts';
import type { AgreementStore } from '../../lib/store/agreement-store.ts';
import { DeliveryRoute } from './outbox.ts';

export interface DeliveryDeps {
  agreements: AgreementStore;
  peers: PeerClient;
  clock: Clock;
}

export interface DeliveryReport {
  attempted: number;
  delivered: number;
  failed: number;
}

/** First retry after 1 s, doubling per failed attempt, never more than 5 minutes apart. */
export function backoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
}

/** A delivery being sent is moved this far ahead first, so a crash mid-send only delays it. */
const LEASE_MS = 60_000;
const BATCH = 25;

/**
 * Sends the deliveries due at `now` with signed calls. A 2xx answer, or 409 (the peer already
 * holds it, or holds something it will never accept instead), completes a delivery; anything
 * else (peer down, 4xx, 5xx, bad receipt) keeps it with the error and the next attempt backed
 * off. Deliveries to one peer go in order (a proposal before the signatures that follow it);
 * different peers are served in parallel.
 */
export async function deliverPending(g: DeliveryDeps, now: Date): Promise<DeliveryReport> {
  const due = await g.agreements.dueDeliveries(now, BATCH);
  const byPeer = new Map<string, StoredDelivery[]>();
  for (const d of due) byPeer.set(d.to, [...(byPeer.get(d.to) ?? []), d]);
  const report: DeliveryReport = { attempted: 0, delivered: 0, failed: 0 };
  await Promise.all(
    [...byPeer.values()].map(async (queue) => {
      for (const d of queue) {
        const outcome = await deliverOne(g, d, now);
        if (outcome === 'skipped') continue;
        report.attempted++;
        report[outcome]++;
      }
    }),
  );
  return report;
}

async function deliverOne(
  g: DeliveryDeps,
  d: StoredDelivery,
  now: Date,
): Promise<'delivered' | 'failed' | 'skipped'> {
  const attempts = d.attempts + 1;
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const leased = await g.agreements.reschedule(d, {
    attempts,
    nextAttemptAt: at(LEASE_MS),
    ...(d.lastError === undefined ? {} : { lastError: d.lastError }),
  });
  if (!leased) return 'skipped';
  let error: string;
  try {
    // The call deliveriesOf prepared from the route's contract, sent as it was stored.
    const { method } = DeliveryRoute[d.kind];
    const answer = await g.peers.call(d.to, method, d.path, JSON.parse(d.body), { traceId: d.traceId });
    if ((answer.status >= 200 && answer.status < 300) || answer.status === 409) {
      await g.agreements.complete(leased);
      return 'delivered';
    }
    error = `${d.to} answered ${answer.status}${describe(answer.body)}`;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  await g.agreements.reschedule(leased, {
    attempts,
    nextAttemptAt: at(backoffMs(attempts)),
    lastError: error,
  });
  return 'failed';
}

function describe(body: unknown): string {
  const parsed = ErrorBodySchema.safeParse(body);
  return parsed.success ? ` ${parsed.data.error.code}: ${parsed.data.error.message}` : '';
}

/**
 * Runs deliverPending every `intervalMs` (never two rounds at once), backing off up to
 * `maxIntervalMs` while nothing is due, until the returned function is called; that function resolves once a round in flight has finished. The timer does not keep
 * the process alive.
 */
export function startDeliveryLoop(
  g: DeliveryDeps,
  intervalMs: number,
  maxIntervalMs = DELIVERY_MAX_IDLE_MS,
): () => Promise<void> {
  return startIntervalLoop(() => deliverPending(g, g.clock.now()).then((r) => r.attempted > 0), intervalMs, {
    message: 'agreement delivery round failed',
    maxIntervalMs,
  });
}

/**
 * While no delivery is due, the loop waits longer between rounds, doubling up to this: a
 * proposal made while it idles leaves within this long (deliveries are not woken by the write).
 */
export const DELIVERY_MAX_IDLE_MS = 4000;
