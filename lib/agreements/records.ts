import { z } from 'zod';
import type { AgreementSignature, Withdrawal } from '../../contracts/agreement.ts';
import type { AuditEvent } from '../../contracts/audit.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import { OutboxEntryShape } from '../delivery/deliver.ts';
import type { AgreementRecord } from './state.ts';

/**
 * One message of the outbox: a proposal, a signature or a withdrawal on its way to one party,
 * with the exact JSON body it will be sent with.
 */
export const StoredDeliverySchema = z.object({
  ...OutboxEntryShape,
  agreementId: z.string(),
  kind: z.enum(['proposal', 'signature', 'withdrawal']),
  /** Whose signature or withdrawal (the proposer for a proposal). */
  party: GatewayIdSchema,
});
export type StoredDelivery = z.infer<typeof StoredDeliverySchema>;

/** `held` when the part (that party's signature or withdrawal) is already stored. */
export type AddOutcome = 'added' | 'held';

/** A new agreement with the signatures already held, the deliveries it causes and its event. */
export interface CreateAgreementInput {
  record: AgreementRecord;
  deliveries: StoredDelivery[];
  audit: AuditEvent;
}

/** A party's verified signature, the deliveries it causes and its event. */
export interface AddSignatureInput {
  agreementId: string;
  signature: AgreementSignature;
  deliveries: StoredDelivery[];
  audit: AuditEvent;
}

/** A party's verified withdrawal, the deliveries it causes and its event. */
export interface AddWithdrawalInput {
  agreementId: string;
  withdrawal: Withdrawal;
  deliveries: StoredDelivery[];
  audit: AuditEvent;
}
