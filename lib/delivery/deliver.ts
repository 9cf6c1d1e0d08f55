import { z } from 'zod';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import type { RequestClaims } from '../../contracts/interop.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import type { PeerCallResult, PeerClient } from '../interop/peer-client.ts';

/**
 * What every outbox delivery holds: one signed call to one province, with the exact JSON body it
 * is sent with, continuing the trace of the step that caused it. Agreement deliveries
 * (docs/protocol.md §8.4) and report, outcome and notice deliveries (§17) extend it.
 */
export const OutboxEntryShape = {
  deliveryId: z.string(),
  to: GatewayIdSchema,
  path: z.string().startsWith('/'),
  body: z.string(),
  /** The trace of the step that caused it, continued by every attempt. */
  traceId: z.string(),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: z.string(),
  createdAt: z.string(),
  lastError: z.string().optional(),
};
export const OutboxEntrySchema = z.object(OutboxEntryShape);
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

/** The outbox as a delivery round uses it (lib/store/outbox.ts). */
export interface Outbox<D extends OutboxEntry> {
  due(now: Date, limit: number): Promise<D[]>;
  reschedule(
    from: D,
    next: Pick<OutboxEntry, 'nextAttemptAt' | 'attempts'> & { lastError?: string },
  ): Promise<D | undefined>;
  complete(d: D): Promise<void>;
}

export interface DeliveryReport {
  attempted: number;
  delivered: number;
  failed: number;
}

/**
 * What a peer's verified answer does to a delivery: `delivered` (the settle step removed it from
 * the outbox, with whatever the answer changes here, in one write), or an error text to retry it
 * with.
 */
export type Settle<D> = (leased: D, answer: PeerCallResult) => Promise<'delivered' | { retry: string }>;

export interface DeliveryRound<D extends OutboxEntry> {
  outbox: Outbox<D>;
  peers: Pick<PeerClient, 'call'>;
  /** The method of a delivery's call (its route's). */
  method: (d: D) => RequestClaims['htm'];
  /** By default a 2xx or 409 answer completes a delivery and anything else retries it. */
  settle?: Settle<D>;
}

/** First retry after 1 s, doubling per failed attempt, never more than 5 minutes apart. */
export function backoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
}

/** A delivery being sent is moved this far ahead first, so a crash mid-send only delays it. */
export const LEASE_MS = 60_000;
const BATCH = 25;

/**
 * Sends the deliveries due at `now` with signed calls. By default a 2xx answer, or 409 (the peer
 * already holds it, or holds something it will never accept instead), completes a delivery;
 * anything else (peer down, 4xx, 5xx, bad receipt) keeps it with the error and the next attempt
 * backed off. Deliveries to one peer go in order (a proposal before the signatures that follow
 * it); different peers are served in parallel.
 */
export async function deliverDue<D extends OutboxEntry>(
  round: DeliveryRound<D>,
  now: Date,
): Promise<DeliveryReport> {
  const due = await round.outbox.due(now, BATCH);
  const byPeer = new Map<string, D[]>();
  for (const d of due) byPeer.set(d.to, [...(byPeer.get(d.to) ?? []), d]);
  const report: DeliveryReport = { attempted: 0, delivered: 0, failed: 0 };
  await Promise.all(
    [...byPeer.values()].map(async (queue) => {
      for (const d of queue) {
        const outcome = await deliverOne(round, d, now);
        if (outcome === 'skipped') continue;
        report.attempted++;
        report[outcome]++;
      }
    }),
  );
  return report;
}

/** The default settlement: 2xx or 409 is delivered, anything else is retried. */
export function settleOnAcceptance<D extends OutboxEntry>(outbox: Pick<Outbox<D>, 'complete'>): Settle<D> {
  return async (leased, answer) => {
    if ((answer.status >= 200 && answer.status < 300) || answer.status === 409) {
      await outbox.complete(leased);
      return 'delivered';
    }
    return { retry: answered(leased.to, answer) };
  };
}

/** `<peer> answered <status> <code>: <message>`, for a delivery's lastError. */
export function answered(peer: string, answer: Pick<PeerCallResult, 'status' | 'body'>): string {
  const parsed = ErrorBodySchema.safeParse(answer.body);
  const why = parsed.success ? ` ${parsed.data.error.code}: ${parsed.data.error.message}` : '';
  return `${peer} answered ${answer.status}${why}`;
}

async function deliverOne<D extends OutboxEntry>(
  round: DeliveryRound<D>,
  d: D,
  now: Date,
): Promise<'delivered' | 'failed' | 'skipped'> {
  const attempts = d.attempts + 1;
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const leased = await round.outbox.reschedule(d, {
    attempts,
    nextAttemptAt: at(LEASE_MS),
    ...(d.lastError === undefined ? {} : { lastError: d.lastError }),
  });
  if (!leased) return 'skipped';
  let error: string;
  try {
    // The call as it was stored: its path and the exact body its route's contract typed.
    const answer = await round.peers.call(d.to, round.method(d), d.path, JSON.parse(d.body), {
      traceId: d.traceId,
    });
    const settled = await (round.settle ?? settleOnAcceptance(round.outbox))(leased, answer);
    if (settled === 'delivered') return 'delivered';
    error = settled.retry;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  await round.outbox.reschedule(leased, {
    attempts,
    nextAttemptAt: at(backoffMs(attempts)),
    lastError: error,
  });
  return 'failed';
}
