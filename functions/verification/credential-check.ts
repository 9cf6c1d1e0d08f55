import { type ParsedIdentifier, parseIdentifier } from '../../contracts/codes/index.ts';
import {
  CREDENTIAL_JWS_TYPE,
  type CredentialClaims,
  CredentialClaimsSchema,
} from '../../contracts/credential.ts';
import { type Reason, ReasonCode } from '../../contracts/verify.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { JwsRejectedError, JwsRejection, verifyStrictJws } from '../../lib/signing/strict-jws.ts';

export type CredentialCheck =
  | { ok: true; claims: CredentialClaims; identifier: ParsedIdentifier }
  | { ok: false; stage: 'format' | 'issuer' | 'signature'; reason: Reason; iss?: string };

const fail = (
  stage: 'format' | 'issuer' | 'signature',
  code: Reason['code'],
  message: string,
  iss?: string,
) => ({ ok: false, stage, reason: { code, message }, ...(iss ? { iss } : {}) }) as const;

/** Credentials carry a license's data fields; 16 KB is far above any real one. */
const MAX_CREDENTIAL_LENGTH = 16_384;

/**
 * Checks a presented credential offline, in the strict form of docs/protocol.md §4, §5.2: its form, the
 * `credential` key its kid names in the trust registry, the signature, a signed `iss` that owns
 * that key, and an identifier whose issuing authority belongs to that same province (else
 * ISSUER_MISMATCH, before any call to a province). Never calls KMS or the network.
 */
export async function checkCredential(
  jws: string,
  registry: Pick<TrustRegistry, 'keyByKid'>,
): Promise<CredentialCheck> {
  let claims: CredentialClaims;
  try {
    ({ claims } = await verifyStrictJws(jws, {
      typ: CREDENTIAL_JWS_TYPE,
      keyOf: (kid) => registry.keyByKid(kid, 'credential'),
      claims: CredentialClaimsSchema,
      bindIssuer: true,
      maxLength: MAX_CREDENTIAL_LENGTH,
    }));
  } catch (err) {
    if (err instanceof JwsRejectedError) return refusalOf(err);
    throw err;
  }
  const identifier = parseIdentifier(claims.jti);
  if (!identifier.ok) {
    return fail('format', ReasonCode.IDENTIFIER_INVALID, `jti: ${identifier.issue.reason}`, claims.iss);
  }
  if (
    identifier.value.issuerCode !== claims.lic.issuer.uscc ||
    identifier.value.typeCode !== claims.lic.typeCode
  ) {
    return fail(
      'format',
      ReasonCode.ISSUER_MISMATCH,
      'the identifier does not match the license it names',
      claims.iss,
    );
  }
  if (identifier.value.version !== claims.lic.version) {
    return fail(
      'format',
      ReasonCode.CREDENTIAL_MISMATCH,
      'the identifier version differs from lic.version',
      claims.iss,
    );
  }
  const province = issuerProvinceOf(identifier.value);
  if (province !== claims.iss) {
    return fail(
      'issuer',
      ReasonCode.ISSUER_MISMATCH,
      `the issuing authority belongs to ${province ?? 'no province'}, but ${claims.iss} signed the credential`,
      claims.iss,
    );
  }
  return { ok: true, claims, identifier: identifier.value };
}

function refusalOf(err: JwsRejectedError): CredentialCheck {
  switch (err.code) {
    case JwsRejection.ALGORITHM_NOT_ALLOWED:
      return fail('signature', ReasonCode.ALGORITHM_NOT_ALLOWED, err.message);
    case JwsRejection.SIGNATURE_INVALID:
      return fail('signature', ReasonCode.SIGNATURE_INVALID, err.message);
    case JwsRejection.KEY_UNRESOLVED:
      if (err.keyCode === 'UNKNOWN_ISSUER') return fail('issuer', ReasonCode.UNKNOWN_ISSUER, err.message);
      if (err.keyCode === 'WRONG_KEY_PURPOSE')
        return fail('signature', ReasonCode.WRONG_KEY_PURPOSE, err.message);
      return fail('signature', ReasonCode.UNKNOWN_KEY, err.message);
    case JwsRejection.ISSUER_NOT_KEY_OWNER:
      return fail('issuer', ReasonCode.ISSUER_MISMATCH, err.message);
    default:
      return fail('format', ReasonCode.CREDENTIAL_MALFORMED, err.message);
  }
}
