import { z } from 'zod';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import type { InteropRouteSpec } from '../../contracts/interop-routes.ts';
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
  /**
   * The route a delivery's kind is sent to. A stored delivery is sent only if its path is one of
   * that route's paths and its body that route's contract: whatever else can write the table
   * cannot make this province sign a call of its choosing.
   */
  route: (d: D) => InteropRouteSpec;
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
 * it), and a round stops sending to a peer at its first failure; different peers are served in
 * parallel.
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
        // What follows waits for the next round: it must not overtake the one that failed (a
        // signature before its proposal), and a peer that is down would only cost each one a timeout.
        if (outcome === 'failed') break;
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
  const leased = await round.outbox.reschedule(d, {
    attempts: d.attempts + 1,
    nextAttemptAt: new Date(now.getTime() + LEASE_MS).toISOString(),
    ...(d.lastError === undefined ? {} : { lastError: d.lastError }),
  });
  if (!leased) return 'skipped';
  return (await sendLeased(round, leased, now)).outcome;
}

/**
 * Sends a delivery this worker holds the lease of (its `attempts` already counts this attempt):
 * settled on a verified answer, otherwise moved to its next attempt with the error. A route that
 * stores a delivery leased (due only after LEASE_MS) sends it at once through here; should it die
 * first, the rounds send it when the lease runs out. `answer` is the peer's verified answer, when
 * there was one.
 */
export async function sendLeased<D extends OutboxEntry>(
  round: DeliveryRound<D>,
  leased: D,
  now: Date,
): Promise<{ outcome: 'delivered' | 'failed'; answer?: PeerCallResult }> {
  let error: string;
  let answer: PeerCallResult | undefined;
  try {
    const route = round.route(leased);
    const body = checkedBody(route, leased);
    // The call as it was stored: its path and the exact body its route's contract typed.
    answer = await round.peers.call(leased.to, route.method, leased.path, body, { traceId: leased.traceId });
    const settled = await (round.settle ?? settleOnAcceptance(round.outbox))(leased, answer);
    if (settled === 'delivered') return { outcome: 'delivered', answer };
    error = settled.retry;
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  await round.outbox.reschedule(leased, {
    attempts: leased.attempts,
    nextAttemptAt: new Date(now.getTime() + backoffMs(leased.attempts)).toISOString(),
    lastError: error,
  });
  return { outcome: 'failed', ...(answer ? { answer } : {}) };
}

/** A delivery the outbox holds is not one this province sends (its path or body is off its route). */
export class UndeliverableError extends Error {
  override name = 'UndeliverableError';
}

/**
 * The body of a delivery, refused unless the path is one of its route's (each `:param` one
 * segment of URL-safe characters) and the body parses with the route's request contract. It is
 * sent as it was stored (the parsed value only decides).
 */
function checkedBody(route: InteropRouteSpec, d: OutboxEntry): unknown {
  const pattern = new RegExp(`^${route.path.replace(/:[A-Za-z]+/g, '[A-Za-z0-9._~-]+')}$`);
  if (!pattern.test(d.path)) {
    throw new UndeliverableError(`refused to send ${d.deliveryId}: ${d.path} is not a path of ${route.path}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(d.body);
  } catch {
    throw new UndeliverableError(`refused to send ${d.deliveryId}: its body is not JSON`);
  }
  if (!route.request.safeParse(body).success) {
    throw new UndeliverableError(`refused to send ${d.deliveryId}: its body is not a ${route.path} request`);
  }
  return body;
}
