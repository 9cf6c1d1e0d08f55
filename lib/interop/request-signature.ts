import { randomBytes } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import {
  REQUEST_JWS_TYPE,
  REQUEST_WINDOW_SECONDS,
  type RequestClaims,
  RequestClaimsSchema,
} from '../../contracts/interop.ts';
import { ReplayedError, SignatureInvalidError } from '../errors.ts';
import { KeyResolutionError } from '../registry/errors.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { signCompactJws } from '../signing/jws.ts';
import type { Signer } from '../signing/signer.ts';
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
  const jti = randomBytes(18).toString('base64url');
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

export interface IncomingRequest {
  header: string | undefined;
  /** This gateway's id: the only audience it accepts. */
  self: string;
  method: string;
  pathWithQuery: string;
  body: string;
  now: Date;
  registry: TrustRegistry;
  nonces: NonceStore;
}

/** What could be read of a request's signature before it was proven, for refusals and audit. */
export function unverifiedClaims(header: string | undefined): Partial<RequestClaims> {
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(header?.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    const parsed = RequestClaimsSchema.partial().safeParse(payload);
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/**
 * Checks an inbound `ELG-Signature` (DESIGN section 6): a key of purpose `gateway` that the
 * registry lists for `iss`, a valid ES256 signature, this gateway as `aud`, the method, path and
 * body hash of this very request, `iat` within 300 s, and a `jti` never seen before. The jti is
 * recorded only once everything else holds, so a forger cannot burn a real caller's ids.
 */
export async function verifySignedRequest(req: IncomingRequest): Promise<RequestClaims> {
  const jws = req.header?.trim();
  if (!jws) throw new SignatureInvalidError('the ELG-Signature header is missing');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new SignatureInvalidError('ELG-Signature is not a compact JWS');
  }
  if (header.alg !== 'ES256') throw new SignatureInvalidError(`alg ${String(header.alg)} is not allowed`);
  if (header.typ !== REQUEST_JWS_TYPE) throw new SignatureInvalidError(`typ must be ${REQUEST_JWS_TYPE}`);
  if (typeof header.kid !== 'string') throw new SignatureInvalidError('the signature names no kid');
  const iss = unverifiedClaims(jws).iss;
  if (!iss) throw new SignatureInvalidError('the signature names no calling gateway (iss)');
  let payload: Uint8Array;
  try {
    const key = await req.registry.resolveKey(iss, header.kid, 'gateway');
    ({ payload } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
  } catch (err) {
    if (err instanceof KeyResolutionError) throw new SignatureInvalidError(`${err.code}: ${err.message}`);
    if (err instanceof joseErrors.JOSEError)
      throw new SignatureInvalidError('the request signature does not verify');
    throw err;
  }
  let claims: RequestClaims;
  try {
    claims = RequestClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch {
    throw new SignatureInvalidError('the signed claims do not match the request-signature contract');
  }
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
  const fresh = await req.nonces.claim(`${claims.iss}#${claims.jti}`, 2 * REQUEST_WINDOW_SECONDS);
  if (!fresh) throw new ReplayedError();
  return claims;
}
