import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { firstIssueText } from '../../contracts/issue-text.ts';
import {
  REGISTRY_JWS_TYPE,
  type RegistryClaims,
  RegistryClaimsSchema,
  type RootPublicJwk,
} from '../../contracts/registry.ts';
import { importPublicKey } from '../signing/public-jwk.ts';
import { JwsRejectedError, JwsRejection, verifyStrictJws } from '../signing/strict-jws.ts';
import { KeyResolutionError, RegistryError } from './errors.ts';

/** The registry of 34 provinces with a few key generations each is far below this. */
const MAX_REGISTRY_LENGTH = 4 * 1024 * 1024;

/**
 * Verifies a registry document in the strict form (docs/protocol.md §4, §6): ES256 by the configured
 * root key, `typ: elg-registry+jwt`, header `{alg, typ, kid}` only, canonical segments, claims per
 * the contract. When the configured root key carries a kid, the header must name it. Throws
 * RegistryError with a stable code otherwise.
 */
export async function verifyRegistry(
  jws: string,
  rootPublicJwk: RootPublicJwk | KeyObject,
): Promise<RegistryClaims> {
  const rootKey = 'export' in rootPublicJwk ? rootPublicJwk : importPublicKey(rootPublicJwk);
  const rootKid = 'export' in rootPublicJwk ? undefined : rootPublicJwk.kid;
  let payload: unknown;
  try {
    ({ claims: payload } = await verifyStrictJws(jws.trim(), {
      typ: REGISTRY_JWS_TYPE,
      keyOf: (kid) => {
        if (rootKid !== undefined && kid !== rootKid) {
          throw new KeyResolutionError(
            'UNKNOWN_KEY',
            `the registry is signed by key ${kid}, not the root key`,
          );
        }
        return { key: rootKey };
      },
      claims: z.looseObject({}),
      bindIssuer: false,
      maxLength: MAX_REGISTRY_LENGTH,
    }));
  } catch (err) {
    if (!(err instanceof JwsRejectedError)) throw err;
    const forged =
      err.code === JwsRejection.SIGNATURE_INVALID ||
      err.code === JwsRejection.ALGORITHM_NOT_ALLOWED ||
      err.code === JwsRejection.KEY_UNRESOLVED;
    throw new RegistryError(
      forged ? 'REGISTRY_SIGNATURE_INVALID' : 'REGISTRY_MALFORMED',
      err.code === JwsRejection.ALGORITHM_NOT_ALLOWED
        ? `the registry's ${err.message}, by the root key`
        : forged
          ? 'the registry signature does not verify against the configured root key'
          : `the registry is not a strict compact JWS: ${err.message}`,
      { cause: err },
    );
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
    throw new RegistryError(
      'REGISTRY_MALFORMED',
      `the registry claims do not match the contract at ${firstIssueText(parsed.error)}`,
    );
  }
  const ids = new Set<string>();
  // A kid names one key of one province: a verifier finds the key, and so the signer, by kid.
  const owners = new Map<string, string>();
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
      const owner = owners.get(key.kid);
      if (owner !== undefined) {
        throw new RegistryError(
          'REGISTRY_MALFORMED',
          `kid ${key.kid} is listed by both ${owner} and ${province.id}: a key belongs to one province`,
        );
      }
      owners.set(key.kid, province.id);
    }
  }
  return parsed.data;
}
