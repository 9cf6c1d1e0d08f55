import type { KeyObject } from 'node:crypto';
import type { KeyPurpose } from '../../contracts/keys.ts';
import type { RegistryClaims, RegistryProvince } from '../../contracts/registry.ts';
import { importPublicKey } from '../signing/public-jwk.ts';
import { KeyResolutionError, RegistryError } from './errors.ts';

/** One registry version with its keys imported once, so verification never imports per call. */
export interface Snapshot {
  claims: RegistryClaims;
  loadedAt: Date;
  provinces: Map<string, RegistryProvince>;
  keys: Map<string, Map<string, { purpose: KeyPurpose; key: KeyObject }>>;
  /** Every published kid with the one province that owns it (kids are unique registry-wide). */
  owners: Map<string, string>;
}

export function snapshotOf(claims: RegistryClaims, loadedAt: Date): Snapshot {
  const provinces = new Map<string, RegistryProvince>();
  const keys: Snapshot['keys'] = new Map();
  const owners = new Map<string, string>();
  for (const province of claims.provinces) {
    provinces.set(province.id, province);
    const byKid = new Map<string, { purpose: KeyPurpose; key: KeyObject }>();
    for (const jwk of province.jwks.keys) {
      try {
        byKid.set(jwk.kid, { purpose: jwk.purpose, key: importPublicKey(jwk) });
        owners.set(jwk.kid, province.id);
      } catch (err) {
        throw new RegistryError(
          'REGISTRY_MALFORMED',
          `key ${jwk.kid} of province ${province.id} is not a P-256 point`,
          {
            cause: err,
          },
        );
      }
    }
    keys.set(province.id, byKid);
  }
  return { claims, loadedAt, provinces, keys, owners };
}

/**
 * The key a signature claims to be made with: `kid` of an active province, for `purpose`.
 * Throws KeyResolutionError UNKNOWN_ISSUER, UNKNOWN_KEY or WRONG_KEY_PURPOSE.
 */
export function resolveKey(
  snapshot: Snapshot,
  provinceId: string,
  kid: string,
  purpose: KeyPurpose,
): KeyObject {
  const province = snapshot.provinces.get(provinceId);
  if (!province) {
    throw new KeyResolutionError(
      'UNKNOWN_ISSUER',
      `${quote(provinceId)} is not a province in the trust registry`,
    );
  }
  if (province.status !== 'active') {
    throw new KeyResolutionError(
      'UNKNOWN_ISSUER',
      `province ${province.id} is ${province.status} in the trust registry`,
    );
  }
  const entry = snapshot.keys.get(province.id)?.get(kid);
  if (!entry) {
    throw new KeyResolutionError('UNKNOWN_KEY', `province ${province.id} publishes no key ${quote(kid)}`);
  }
  return ofPurpose(entry, kid, province.id, purpose);
}

/**
 * The key a signature's header names, found by its kid alone, with the province that owns it:
 * what a verifier needs before it may read any claim (docs/protocol.md §4). The
 * signed `iss` must then be that owner. Throws KeyResolutionError like resolveKey.
 */
export function keyByKid(
  snapshot: Snapshot,
  kid: string,
  purpose: KeyPurpose,
): { key: KeyObject; owner: string } {
  const owner = snapshot.owners.get(kid);
  if (owner === undefined) {
    throw new KeyResolutionError(
      'UNKNOWN_KEY',
      `no province in the trust registry publishes key ${quote(kid)}`,
    );
  }
  const province = snapshot.provinces.get(owner);
  if (province?.status !== 'active') {
    throw new KeyResolutionError(
      'UNKNOWN_ISSUER',
      `key ${quote(kid)} belongs to province ${owner}, which is ${province?.status ?? 'unlisted'}`,
    );
  }
  const entry = snapshot.keys.get(owner)?.get(kid);
  if (!entry) throw new KeyResolutionError('UNKNOWN_KEY', `no province publishes key ${quote(kid)}`);
  return { key: ofPurpose(entry, kid, owner, purpose), owner };
}

/** The entry's key if it is the province's key for `purpose`; WRONG_KEY_PURPOSE otherwise. */
function ofPurpose(
  entry: { purpose: KeyPurpose; key: KeyObject },
  kid: string,
  owner: string,
  purpose: KeyPurpose,
): KeyObject {
  if (entry.purpose !== purpose) {
    throw new KeyResolutionError(
      'WRONG_KEY_PURPOSE',
      `key ${kid} of province ${owner} is its ${entry.purpose} key, not its ${purpose} key`,
    );
  }
  return entry.key;
}

/** Untrusted names from a signature header, quoted and cut short for messages. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}
