import type { KeyObject } from 'node:crypto';
import type { Jwks, PublicJwk } from '../../contracts/keys.ts';
import { derToJose } from './der.ts';
import { importPublicKey } from './public-jwk.ts';
import type { KeyRing, Signer } from './signer.ts';

export interface JwsHeader {
  typ: string;
  [member: string]: unknown;
}

/** What a JWS needs of a key: any Signer, or the registry root key. */
export type JwsSigner = Pick<Signer, 'kid' | 'signDer'>;

/**
 * A compact JWS by `signer`: protected header `{alg: ES256, kid: signer.kid, ...header}`. `alg`
 * and `kid` always come from the signer; a header that tries to set them is a caller bug.
 */
export async function signCompactJws(signer: JwsSigner, header: JwsHeader, payload: object): Promise<string> {
  if ('alg' in header || 'kid' in header) {
    throw new TypeError('alg and kid are set by the signer, not by the caller');
  }
  const protectedHeader = base64url(JSON.stringify({ alg: 'ES256', kid: signer.kid, ...header }));
  const signingInput = `${protectedHeader}.${base64url(JSON.stringify(payload))}`;
  const der = await signer.signDer(new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(derToJose(der)).toString('base64url')}`;
}

/**
 * The `/.well-known/jwks.json` document of a province: its three public keys with purposes, then
 * the keys of earlier generations still published during a rotation (verify only, never sign).
 * A kid listed twice is a caller bug: the registry would refuse the entry.
 */
export function jwksOf(ring: KeyRing, previous: readonly PublicJwk[] = []): Jwks {
  const keys = [ring.credential.publicJwk, ring.gateway.publicJwk, ring.audit.publicJwk, ...previous];
  const kids = new Set(keys.map((k) => k.kid));
  if (kids.size !== keys.length) throw new TypeError('a key is listed twice in the JWKS (same kid)');
  return { keys };
}

export interface PublicKeyCache {
  /** The verification key for `jwk`, imported on first use and reused for the same kid and key. */
  get(jwk: PublicJwk): KeyObject;
  readonly size: number;
}

/**
 * Imports each published key once. Entries are keyed by kid but remember the coordinates, so a
 * different key reusing a kid is imported afresh rather than served the cached one.
 */
export function publicKeyCache(): PublicKeyCache {
  const entries = new Map<string, { x: string; y: string; key: KeyObject }>();
  return {
    get(jwk) {
      const hit = entries.get(jwk.kid);
      if (hit && hit.x === jwk.x && hit.y === jwk.y) return hit.key;
      const key = importPublicKey(jwk);
      entries.set(jwk.kid, { x: jwk.x, y: jwk.y, key });
      return key;
    },
    get size() {
      return entries.size;
    },
  };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
