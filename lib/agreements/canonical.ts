import canonicalize from 'canonicalize';
import type { AgreementDocument, Withdrawal } from '../../contracts/agreement.ts';

/** What a party signs to withdraw: exactly these members. */
export type WithdrawalStatement = Pick<Withdrawal, 'agreementId' | 'party' | 'withdrawnAt'>;

/**
 * The bytes every party signs: RFC 8785 canonical JSON of exactly the document's members, so the
 * same agreement gives the same bytes in every province whatever order its members arrived in.
 */
export function documentBytes(doc: AgreementDocument): Uint8Array {
  const { id, name, parties, grants, validFrom, validUntil, proposer, proposedAt } = doc;
  return utf8({ id, name, parties, grants, validFrom, validUntil, proposer, proposedAt });
}

/** The bytes of a withdrawal: canonical `{agreementId, party, withdrawnAt}`. */
export function withdrawalBytes(w: WithdrawalStatement): Uint8Array {
  return utf8({ agreementId: w.agreementId, party: w.party, withdrawnAt: w.withdrawnAt });
}

/** Two documents are the same agreement when their signed bytes are equal. */
export function sameDocument(a: AgreementDocument, b: AgreementDocument): boolean {
  return Buffer.from(documentBytes(a)).equals(documentBytes(b));
}

function utf8(value: unknown): Uint8Array {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be canonicalized');
  return new TextEncoder().encode(text);
}
