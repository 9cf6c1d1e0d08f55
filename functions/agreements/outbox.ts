import type { AgreementSignature, ProposalDelivery, Withdrawal } from '../../contracts/agreement.ts';
import { ulid } from '../../lib/ids.ts';
import type { StoredDelivery } from '../../lib/store/agreement-store.ts';

/** Where other provinces accept deliveries (signed calls, docs/protocol.md §8.4). */
export const InboundPath = {
  proposal: '/v1/interop/agreements',
  signature: (id: string) => `/v1/interop/agreements/${id}/signatures`,
  withdrawal: (id: string) => `/v1/interop/agreements/${id}/withdrawal`,
} as const;

export type Outgoing =
  | { kind: 'proposal'; body: ProposalDelivery }
  | { kind: 'signature'; agreementId: string; body: AgreementSignature }
  | { kind: 'withdrawal'; agreementId: string; body: Withdrawal };

/** One delivery per recipient, due at once, continuing the trace of the step that caused it. */
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
          path: InboundPath.proposal,
        }
      : message.kind === 'signature'
        ? {
            agreementId: message.agreementId,
            party: message.body.party,
            path: InboundPath.signature(message.agreementId),
          }
        : {
            agreementId: message.agreementId,
            party: message.body.party,
            path: InboundPath.withdrawal(message.agreementId),
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
