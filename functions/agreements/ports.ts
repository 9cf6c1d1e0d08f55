import type {
  AddOutcome,
  AddSignatureInput,
  AddWithdrawalInput,
  CreateAgreementInput,
  StoredDelivery,
} from '../../lib/agreements/records.ts';
import type { KeyResolver } from '../../lib/agreements/signatures.ts';
import type { AgreementRecord } from '../../lib/agreements/state.ts';
import type { Clock } from '../../lib/clock.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';

/**
 * The agreements this province holds, as deliveries from other provinces change them. Each change
 * is stored with its audit event and the deliveries it causes.
 */
export interface AgreementRecords {
  /** `exists` when the id is taken. */
  create(input: CreateAgreementInput): Promise<'created' | 'exists'>;
  addSignature(input: AddSignatureInput): Promise<AddOutcome>;
  addWithdrawal(input: AddWithdrawalInput): Promise<AddOutcome>;
  get(id: string): Promise<AgreementRecord | undefined>;
}

/** The agreements and their outbox, as this province's own steps read and change them. */
export interface AgreementRepository extends AgreementRecords {
  /** Every agreement this province holds, by id. */
  list(): Promise<AgreementRecord[]>;
  /** Every pending delivery, oldest due first. */
  pendingDeliveries(): Promise<StoredDelivery[]>;
}

/** The trust registry as agreements read it: parties' `gateway` keys and the provinces' status. */
export type AgreementRegistry = KeyResolver & Pick<TrustRegistry, 'province'>;

/** What deliveries from other provinces need (AgreementDeps has it). */
export interface InboundDeps {
  province: string;
  store: AgreementRecords;
  /** Keys to verify the delivered signatures and withdrawals. */
  registry: KeyResolver;
  clock: Clock;
}
