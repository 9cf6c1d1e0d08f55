import type { RegistryClaims, RootPublicJwk } from '../../contracts/registry.ts';
import { messageOf, RegistryError } from './errors.ts';
import { verifyRegistry } from './verify-registry.ts';

/** The last good registry a gateway keeps beyond its process, and how a start may use it. */

/** A registry JWS as stored, not yet verified. */
export interface StoredRegistry {
  jws: string;
  /** The `seq` it is stored under; it must be the signed one. */
  seq: number;
  storedAt?: string;
}

/** Where a gateway keeps its last good registry for the instances that start after it. */
export interface RegistryCopyStore {
  /** The stored copy, or undefined when none is. */
  read(): Promise<StoredRegistry | undefined>;
  /**
   * Stores a verified copy unless one with the same or a higher `seq` is stored already, and
   * returns the `seq` stored now (this one or the higher one).
   */
  offer(jws: string, claims: RegistryClaims, at: Date): Promise<{ seq: number }>;
}

/**
 * The stored copy, verified against the root key as a fetched one is, filed under its signed
 * `seq`, and issued no longer than maxAgeMs before `now`. Throws RegistryError otherwise.
 */
export async function readStoredCopy(
  store: RegistryCopyStore,
  root: RootPublicJwk,
  now: Date,
  maxAgeMs: number,
): Promise<RegistryClaims> {
  let stored: StoredRegistry | undefined;
  try {
    stored = await store.read();
  } catch (err) {
    throw new RegistryError('REGISTRY_UNAVAILABLE', `it cannot be read (${messageOf(err)})`, { cause: err });
  }
  if (!stored) throw new RegistryError('REGISTRY_UNAVAILABLE', 'no copy is stored yet');
  const claims = await verifyRegistry(stored.jws, root);
  if (claims.seq !== stored.seq) {
    throw new RegistryError(
      'REGISTRY_MALFORMED',
      `it is stored under seq ${stored.seq} but signed as seq ${claims.seq}`,
    );
  }
  const age = now.getTime() - claims.iat * 1000;
  if (age > maxAgeMs) {
    throw new RegistryError(
      'REGISTRY_STALE',
      `registry seq ${claims.seq} was issued at ${new Date(claims.iat * 1000).toISOString()}, more than ${duration(maxAgeMs)} ago, too old to start from`,
    );
  }
  return claims;
}

/** `7 days`, `36 hours` or `90 seconds`. */
function duration(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms % 86_400_000 === 0) return plural(ms / 86_400_000, 'day');
  if (ms % 3_600_000 === 0) return plural(ms / 3_600_000, 'hour');
  return plural(Math.round(ms / 1000), 'second');
}
