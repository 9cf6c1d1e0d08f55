import type { KeyObject } from 'node:crypto';
import type { Jwks, PublicJwk } from '../../contracts/keys.ts';
import { derToJose } from './der.ts';
import { importPublicKey } from './public-jwk.ts';
import type { KeyRing, Signer } from './signer.ts';

/** What a caller may set: only `typ`. Verifiers refuse any other member (strict form). */
export interface JwsHeader {
  typ: string;
}

/** What a JWS needs of a key: any Signer, or the registry root key. */
export type JwsSigner = Pick<Signer, 'kid' | 'signDer'>;

/**
 * A compact JWS by `signer` in the strict form (docs/protocol.md §4): protected header exactly
 * `{alg: ES256, kid: signer.kid, typ}`. Any other member is a caller bug: no verifier accepts it.
 */
export async function signCompactJws(signer: JwsSigner, header: JwsHeader, payload: object): Promise<string> {
  const members = Object.keys(header);
  if (members.length !== 1 || members[0] !== 'typ' || typeof header.typ !== 'string') {
    throw new TypeError('a JWS header carries only typ besides alg and kid, which the signer sets');
  }
  const protectedHeader = base64url(JSON.stringify({ alg: 'ES256', kid: signer.kid, typ: header.typ }));
  const signingInput = `${protectedHeader}.${base64url(JSON.stringify(payload))}`;
  const der = await signer.signDer(new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(derToJose(der)).toString('base64url')}`;
}

/**
 * The `/.well-known/jwks.json` document of a province: its four public keys with purposes, then
 * the keys of earlier generations still published during a rotation (verify only, never sign).
 * A kid listed twice is a caller bug: the registry would refuse the entry.
 */
export function jwksOf(ring: KeyRing, previous: readonly PublicJwk[] = []): Jwks {
  const keys: PublicJwk[] = [
    ring.credential.publicJwk,
    ring.gateway.publicJwk,
    ring.audit.publicJwk,
    ring.witness.publicJwk,
    ...previous,
  ];
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
  const entries = new Map<string, { point: string; key: KeyObject }>();
  return {
    get(jwk) {
      const hit = entries.get(jwk.kid);
      const point = jwk.kty === 'EC' ? `${jwk.x}.${jwk.y}` : jwk.x;
      if (hit && hit.point === point) return hit.key;
      const key = importPublicKey(jwk);
      entries.set(jwk.kid, { point, key });
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
