import type {
  AgreementDocument,
  AgreementSignature,
  AgreementState,
  Withdrawal,
} from '../../contracts/agreement.ts';
import { todayCst } from '../license/validity.ts';

/** An agreement as a province holds it: the document and the verified signatures and withdrawals. */
export interface AgreementRecord {
  document: AgreementDocument;
  signatures: readonly AgreementSignature[];
  withdrawals: readonly Withdrawal[];
}

export interface AgreementStatus {
  state: AgreementState;
  /** Parties that have not withdrawn, in the document's order. */
  activeParties: string[];
}

/**
 * The state of an agreement (docs/protocol.md §8.3) from what is held. `signatures` and `withdrawals`
 * must already be verified; the store keeps no other kind.
 *
 * - withdrawn: a bilateral agreement once either party withdraws; an alliance once fewer than two
 *   parties remain. An alliance otherwise continues without the withdrawing parties, and a party
 *   that withdraws before signing simply declines: the rest can still bring it into force.
 * - expired: after validUntil (China time), when not withdrawn.
 * - active: every remaining party's signature is held and today (China time) is within
 *   [validFrom, validUntil].
 * - proposed: otherwise, including fully signed agreements whose validFrom is still to come.
 */
export function stateOf(
  doc: AgreementDocument,
  signatures: readonly AgreementSignature[],
  withdrawals: readonly Withdrawal[],
  now: Date,
): AgreementStatus {
  const withdrawn = new Set(withdrawals.filter((w) => w.agreementId === doc.id).map((w) => w.party));
  const activeParties = doc.parties.filter((p) => !withdrawn.has(p));
  // One rule covers both: a bilateral agreement keeps one party after any withdrawal.
  if (activeParties.length < 2) return { state: 'withdrawn', activeParties };
  const today = todayCst(now);
  if (today > doc.validUntil) return { state: 'expired', activeParties };
  const signed = new Set(signatures.map((s) => s.party));
  const complete = activeParties.every((p) => signed.has(p));
  const inForce = complete && today >= doc.validFrom;
  return { state: inForce ? 'active' : 'proposed', activeParties };
}

/** stateOf for a held record. */
export function statusOf(record: AgreementRecord, now: Date): AgreementStatus {
  return stateOf(record.document, record.signatures, record.withdrawals, now);
}
