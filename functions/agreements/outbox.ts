import { InteropRoute, pathOf, type RouteBody } from '../../contracts/interop-routes.ts';
import type { StoredDelivery } from '../../lib/agreements/records.ts';
import { ulid } from '../../lib/ids.ts';

/** Where other provinces accept each kind of delivery (signed calls, docs/protocol.md §8.4). */
export const DeliveryRoute = {
  proposal: InteropRoute.agreementProposal,
  signature: InteropRoute.agreementSignature,
  withdrawal: InteropRoute.agreementWithdrawal,
} as const satisfies Record<StoredDelivery['kind'], unknown>;

type Kind = keyof typeof DeliveryRoute;
type BodyOf<K extends Kind> = RouteBody<(typeof DeliveryRoute)[K]>;

export type Outgoing =
  | { kind: 'proposal'; body: BodyOf<'proposal'> }
  | { kind: 'signature'; agreementId: string; body: BodyOf<'signature'> }
  | { kind: 'withdrawal'; agreementId: string; body: BodyOf<'withdrawal'> };

/**
 * One delivery per recipient, due at once, continuing the trace of the step that caused it. The
 * delivery holds the call as its route's contract types it (path and body), for deliverPending
 * to send as it is.
 */
export function deliveriesOf(
  message: Outgoing,
  recipients: readonly string[],
  traceId: string,
  now: Date,
): StoredDelivery[] {
  const { agreementId, party, path } =
    message.kind === 'proposal'
      ? {
          agreementId: message.body.document.id,
          party: message.body.document.proposer,
          path: pathOf(DeliveryRoute.proposal, {}),
        }
      : {
          agreementId: message.agreementId,
          party: message.body.party,
          path: pathOf(DeliveryRoute[message.kind], { id: message.agreementId }),
        };
  const body = JSON.stringify(message.body);
  return recipients.map((to) => ({
    deliveryId: ulid(now),
    agreementId,
    to,
    kind: message.kind,
    party,
    path,
    body,
    traceId,
    attempts: 0,
    nextAttemptAt: now.toISOString(),
    createdAt: now.toISOString(),
  }));
}
