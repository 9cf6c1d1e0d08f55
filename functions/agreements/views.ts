import type { AgreementView } from '../../contracts/agreement.ts';
import type { StoredDelivery } from '../../lib/agreements/records.ts';
import { type AgreementRecord, statusOf } from '../../lib/agreements/state.ts';

/** An agreement as operators see it, with the deliveries still on their way. */
export function viewOf(
  record: AgreementRecord,
  deliveries: readonly StoredDelivery[],
  now: Date,
): AgreementView {
  const { state, activeParties } = statusOf(record, now);
  return {
    ...record.document,
    state,
    signatures: [...record.signatures],
    withdrawals: [...record.withdrawals],
    activeParties,
    pendingDeliveries: deliveries
      .filter((d) => d.agreementId === record.document.id)
      .map(({ to, kind, party, attempts, nextAttemptAt, lastError }) => ({
        to,
        kind,
        party,
        attempts,
        nextAttemptAt,
        ...(lastError === undefined ? {} : { lastError }),
      })),
  };
}
