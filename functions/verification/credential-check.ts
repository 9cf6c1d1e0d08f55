import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { type ParsedIdentifier, parseIdentifier } from '../../contracts/codes/index.ts';
import {
  CREDENTIAL_JWS_TYPE,
  type CredentialClaims,
  CredentialClaimsSchema,
} from '../../contracts/credential.ts';
import { type Reason, ReasonCode } from '../../contracts/verify.ts';
import { KeyResolutionError } from '../../lib/registry/errors.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';

export type CredentialCheck =
  | { ok: true; claims: CredentialClaims; identifier: ParsedIdentifier }
  | { ok: false; stage: 'format' | 'issuer' | 'signature'; reason: Reason; iss?: string };

const fail = (
  stage: 'format' | 'issuer' | 'signature',
  code: Reason['code'],
  message: string,
  iss?: string,
) => ({ ok: false, stage, reason: { code, message }, ...(iss ? { iss } : {}) }) as const;

/**
 * Checks a presented credential offline: its form, its issuer in the trust registry, and its
 * signature by that issuer's `credential` key. Never calls KMS or the network.
 */
export async function checkCredential(jws: string, registry: TrustRegistry): Promise<CredentialCheck> {
  const parts = jws.split('.');
  if (parts.length !== 3) return fail('format', ReasonCode.CREDENTIAL_MALFORMED, 'not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: CredentialClaims;
  try {
    header = decodeProtectedHeader(jws);
    const payload: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    const parsed = CredentialClaimsSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(
        'format',
        ReasonCode.CREDENTIAL_MALFORMED,
        `claims do not match the credential contract: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
      );
    }
    claims = parsed.data;
  } catch {
    return fail('format', ReasonCode.CREDENTIAL_MALFORMED, 'header or payload is not base64url JSON');
  }
  if (header.typ !== CREDENTIAL_JWS_TYPE) {
    return fail('format', ReasonCode.CREDENTIAL_MALFORMED, `typ must be ${CREDENTIAL_JWS_TYPE}`);
  }
  const identifier = parseIdentifier(claims.jti);
  if (!identifier.ok) {
    return fail('format', ReasonCode.IDENTIFIER_INVALID, `jti: ${identifier.issue.reason}`);
  }
  if (
    identifier.value.issuerCode !== claims.lic.issuer.uscc ||
    identifier.value.typeCode !== claims.lic.typeCode
  ) {
    return fail('format', ReasonCode.ISSUER_MISMATCH, 'the identifier does not match the license it names');
  }
  if (identifier.value.version !== claims.lic.version) {
    return fail('format', ReasonCode.CREDENTIAL_MISMATCH, 'the identifier version differs from lic.version');
  }
  if (header.alg !== 'ES256') {
    return fail(
      'signature',
      ReasonCode.ALGORITHM_NOT_ALLOWED,
      `alg ${String(header.alg)} is not allowed`,
      claims.iss,
    );
  }
  if (typeof header.kid !== 'string') {
    return fail('signature', ReasonCode.UNKNOWN_KEY, 'the header names no kid', claims.iss);
  }
  let key: Awaited<ReturnType<TrustRegistry['resolveKey']>>;
  try {
    key = await registry.resolveKey(claims.iss, header.kid, 'credential');
  } catch (err) {
    if (err instanceof KeyResolutionError) {
      const stage = err.code === 'UNKNOWN_ISSUER' ? 'issuer' : 'signature';
      return fail(stage, ReasonCode[err.code], err.message, claims.iss);
    }
    throw err;
  }
  try {
    await compactVerify(jws, key, { algorithms: ['ES256'] });
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) {
      return fail('signature', ReasonCode.SIGNATURE_INVALID, 'the signature does not verify', claims.iss);
    }
    throw err;
  }
  return { ok: true, claims, identifier: identifier.value };
}
