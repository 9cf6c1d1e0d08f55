import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors } from 'jose';
import {
  REGISTRY_JWS_TYPE,
  type RegistryClaims,
  RegistryClaimsSchema,
  type RootPublicJwk,
} from '../../contracts/registry.ts';
import { importPublicKey } from '../signing/public-jwk.ts';
import { RegistryError } from './errors.ts';

/**
 * Verifies a registry document: ES256 only, signed by the configured root key, `typ:
 * elg-registry+jwt`, claims per the contract. Throws RegistryError with a stable code otherwise.
 */
export async function verifyRegistry(
  jws: string,
  rootPublicJwk: RootPublicJwk | KeyObject,
): Promise<RegistryClaims> {
  const rootKey = 'export' in rootPublicJwk ? rootPublicJwk : importPublicKey(rootPublicJwk);
  const compact = jws.trim();
  let alg: unknown;
  try {
    if (compact.split('.').length !== 3) throw new TypeError('not three parts');
    alg = decodeProtectedHeader(compact).alg;
  } catch (err) {
    throw new RegistryError('REGISTRY_MALFORMED', 'the registry is not a compact JWS', { cause: err });
  }
  if (alg !== 'ES256') {
    throw new RegistryError(
      'REGISTRY_SIGNATURE_INVALID',
      `the registry is signed with alg ${JSON.stringify(alg)}; only ES256 by the root key is accepted`,
    );
  }
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(compact, rootKey, { algorithms: ['ES256'] });
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      throw new RegistryError(
        'REGISTRY_SIGNATURE_INVALID',
        'the registry signature does not verify against the configured root key',
        { cause: err },
      );
    }
    throw new RegistryError('REGISTRY_MALFORMED', 'the registry is not a valid compact JWS', { cause: err });
  }
  if (verified.protectedHeader.typ !== REGISTRY_JWS_TYPE) {
    throw new RegistryError(
      'REGISTRY_MALFORMED',
      `the registry typ is ${JSON.stringify(verified.protectedHeader.typ)}; expected ${REGISTRY_JWS_TYPE}`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verified.payload));
  } catch (err) {
    throw new RegistryError('REGISTRY_MALFORMED', 'the registry payload is not JSON', { cause: err });
  }
  return parseRegistryClaims(payload);
}

/**
 * Registry claims per the contract, with each province listed once and each kid once within
 * its province. Throws RegistryError REGISTRY_MALFORMED naming the first problem.
 */
export function parseRegistryClaims(value: unknown): RegistryClaims {
  const parsed = RegistryClaimsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(root)';
    throw new RegistryError(
      'REGISTRY_MALFORMED',
      `the registry claims do not match the contract at ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const ids = new Set<string>();
  for (const province of parsed.data.provinces) {
    if (ids.has(province.id)) {
      throw new RegistryError('REGISTRY_MALFORMED', `the registry lists province ${province.id} twice`);
    }
    ids.add(province.id);
    const kids = new Set<string>();
    for (const key of province.jwks.keys) {
      if (kids.has(key.kid)) {
        throw new RegistryError('REGISTRY_MALFORMED', `province ${province.id} lists kid ${key.kid} twice`);
      }
      kids.add(key.kid);
    }
  }
  return parsed.data;
}
