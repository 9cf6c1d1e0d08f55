import {
  REQUEST_JWS_TYPE,
  REQUEST_WINDOW_SECONDS,
  type RequestClaims,
  RequestClaimsSchema,
} from '../../contracts/interop.ts';
import { ReplayedError, SignatureInvalidError } from '../errors.ts';
import { randomBase64url } from '../http/random.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { signCompactJws } from '../signing/jws.ts';
import type { Signer } from '../signing/signer.ts';
import { JwsRejectedError, verifyStrictJws } from '../signing/strict-jws.ts';
import type { NonceStore } from '../store/nonce-store.ts';
import { bodyHash } from './body-hash.ts';

export interface OutgoingRequest {
  iss: string;
  aud: string;
  method: RequestClaims['htm'];
  /** Path with query, exactly as sent. */
  pathWithQuery: string;
  body: string;
  traceId: string;
  now: Date;
}

/** The `ELG-Signature` of a call to another province, by this province's `gateway` key. */
export async function signRequest(
  signer: Signer,
  req: OutgoingRequest,
): Promise<{ header: string; jti: string }> {
  if (signer.purpose !== 'gateway') {
    throw new TypeError(
      `cross-province requests are signed with the gateway key, not the ${signer.purpose} key`,
    );
  }
  const jti = randomBase64url(18);
  const claims: RequestClaims = {
    iss: req.iss,
    aud: req.aud,
    htm: req.method,
    htu: req.pathWithQuery,
    bsh: bodyHash(req.body),
    iat: Math.floor(req.now.getTime() / 1000),
    jti,
    tid: req.traceId,
  };
  return { header: await signCompactJws(signer, { typ: REQUEST_JWS_TYPE }, claims), jti };
}

/** A request's binding to what arrived: what the verified claims must match. */
export interface RequestBinding {
  /** This gateway's id: the only audience it accepts. */
  self: string;
  method: string;
  pathWithQuery: string;
  /** The exact body bytes as received (`bsh` is over bytes, not decoded text). */
  body: Uint8Array | string;
  now: Date;
}

/** Longest accepted ELG-Signature; a real one is about 700 characters. */
const MAX_SIGNATURE_LENGTH = 4096;

/**
 * The signed claims of an `ELG-Signature`, in the strict form (docs/protocol.md §7.2): a `gateway` key
 * found by kid, a valid ES256 signature, and a signed `iss` that owns the key. Nothing about the
 * request is read before this holds. Throws SignatureInvalidError.
 */
export async function authenticateRequest(
  header: string | undefined,
  registry: Pick<TrustRegistry, 'keyByKid'>,
): Promise<RequestClaims> {
  const jws = header?.trim();
  if (!jws) throw new SignatureInvalidError('the ELG-Signature header is missing');
  try {
    const { claims } = await verifyStrictJws(jws, {
      typ: REQUEST_JWS_TYPE,
      keyOf: (kid) => registry.keyByKid(kid, 'gateway'),
      claims: RequestClaimsSchema,
      bindIssuer: true,
      maxLength: MAX_SIGNATURE_LENGTH,
    });
    return claims;
  } catch (err) {
    if (err instanceof JwsRejectedError) {
      throw new SignatureInvalidError(
        `ELG-Signature refused: ${err.keyCode ? `${err.keyCode}: ` : ''}${err.message}`,
      );
    }
    throw err;
  }
}

/**
 * Checks that authenticated claims bind this very request: this gateway as `aud`, its method,
 * path with query and body bytes, and `iat` within 300 s. Throws SignatureInvalidError.
 */
export function checkRequestBinding(claims: RequestClaims, req: RequestBinding): void {
  if (claims.aud !== req.self)
    throw new SignatureInvalidError(`the request is addressed to ${claims.aud}, not ${req.self}`);
  if (claims.htm !== req.method.toUpperCase()) throw new SignatureInvalidError('the signed method differs');
  if (claims.htu !== req.pathWithQuery) throw new SignatureInvalidError('the signed path differs');
  if (claims.bsh !== bodyHash(req.body))
    throw new SignatureInvalidError('the body differs from the signed body hash');
  const skew = Math.abs(Math.floor(req.now.getTime() / 1000) - claims.iat);
  if (skew > REQUEST_WINDOW_SECONDS) {
    throw new SignatureInvalidError(
      `iat is ${skew} s away from this gateway's clock (limit ${REQUEST_WINDOW_SECONDS} s)`,
    );
  }
}

/** Records the request's `jti` as used; ReplayedError if it was used before. */
export async function claimRequestId(
  claims: RequestClaims,
  nonces: Pick<NonceStore, 'claim'>,
): Promise<void> {
  const fresh = await nonces.claim(`${claims.iss}#${claims.jti}`, 2 * REQUEST_WINDOW_SECONDS);
  if (!fresh) throw new ReplayedError();
}
