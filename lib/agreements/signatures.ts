import { type KeyObject, verify } from 'node:crypto';
import type { AgreementDocument, AgreementSignature, Withdrawal } from '../../contracts/agreement.ts';
import type { KeyPurpose } from '../../contracts/keys.ts';
import { ForbiddenError, SignatureInvalidError } from '../errors.ts';
import { KeyResolutionError } from '../registry/errors.ts';
import { derToJose } from '../signing/der.ts';
import type { Signer } from '../signing/signer.ts';
import { decodeCanonicalBase64url } from '../signing/strict-jws.ts';
import { documentBytes, type WithdrawalStatement, withdrawalBytes } from './canonical.ts';

/** What verification needs of the trust registry (TrustRegistry has it). */
export interface KeyResolver {
  resolveKey(province: string, kid: string, purpose: KeyPurpose): Promise<KeyObject>;
}

/** `party`'s signature over the canonical document, with its `gateway` key. */
export async function signDocument(
  signer: Signer,
  party: string,
  doc: AgreementDocument,
): Promise<AgreementSignature> {
  return { party, kid: signer.kid, signature: await sign(signer, documentBytes(doc)) };
}

/** `statement.party`'s signed withdrawal, with its `gateway` key. */
export async function signWithdrawal(signer: Signer, statement: WithdrawalStatement): Promise<Withdrawal> {
  const { agreementId, party, withdrawnAt } = statement;
  return {
    agreementId,
    party,
    withdrawnAt,
    kid: signer.kid,
    signature: await sign(signer, withdrawalBytes(statement)),
  };
}

/**
 * Checks a party's signature of the document: FORBIDDEN when the signer is no party,
 * SIGNATURE_INVALID when the key is not that party's `gateway` key in the registry or the
 * signature does not cover exactly these bytes.
 */
export async function verifyDocumentSignature(
  keys: KeyResolver,
  doc: AgreementDocument,
  sig: AgreementSignature,
): Promise<void> {
  if (!doc.parties.includes(sig.party)) {
    throw new ForbiddenError(`${sig.party} is not a party to agreement ${doc.id}`);
  }
  await check(keys, sig.party, sig.kid, sig.signature, documentBytes(doc), `${sig.party}'s signature`);
}

/** Checks a withdrawal of `doc`, as verifyDocumentSignature checks a signature. */
export async function verifyWithdrawal(
  keys: KeyResolver,
  doc: AgreementDocument,
  w: Withdrawal,
): Promise<void> {
  if (w.agreementId !== doc.id) {
    throw new SignatureInvalidError(`the withdrawal names agreement ${w.agreementId}, not ${doc.id}`);
  }
  if (!doc.parties.includes(w.party)) {
    throw new ForbiddenError(`${w.party} is not a party to agreement ${doc.id}`);
  }
  await check(keys, w.party, w.kid, w.signature, withdrawalBytes(w), `${w.party}'s withdrawal`);
}

async function sign(signer: Signer, bytes: Uint8Array): Promise<string> {
  if (signer.purpose !== 'gateway') {
    throw new TypeError(`agreements are signed with the gateway key, not the ${signer.purpose} key`);
  }
  return Buffer.from(derToJose(await signer.signDer(bytes))).toString('base64url');
}

async function check(
  keys: KeyResolver,
  party: string,
  kid: string,
  signature: string,
  bytes: Uint8Array,
  what: string,
): Promise<void> {
  let key: KeyObject;
  try {
    key = await keys.resolveKey(party, kid, 'gateway');
  } catch (err) {
    if (err instanceof KeyResolutionError)
      throw new SignatureInvalidError(`${what}: ${err.code}: ${err.message}`);
    throw err;
  }
  // The same canonical-base64url rule as every JWS segment: one spelling per signature.
  const raw = decodeCanonicalBase64url(signature);
  const ok = raw?.length === 64 && verify('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }, raw);
  if (!ok) throw new SignatureInvalidError(`${what} does not verify over the agreement as delivered`);
}
