import { type KeyObject, verify } from 'node:crypto';
import type { z } from 'zod';
import { firstIssueText } from '../../contracts/issue-text.ts';

/**
 * The one verification routine for every compact JWS this system checks: requests, receipts,
 * credentials and the registry (docs/protocol.md §4).
 *
 * One parser decides what was signed and what is read. An earlier version read the claims that
 * pick the key with a lenient decoder while jose, honouring `b64: false`, handed other bytes to
 * the claim checks: a province could sign as itself and be taken for another. Here the segments
 * must be canonical base64url, the header exactly `{alg, typ, kid}`, the key is found by `kid`
 * alone, the signature is checked over the exact signing input with node:crypto, and only then
 * are the very bytes that were verified decoded into claims, whose `iss` must be the key's owner.
 */

export const JwsRejection = {
  /** Not three canonical base64url segments, or a header or payload that is not a JSON object. */
  MALFORMED: 'MALFORMED',
  /** A header member other than alg, typ and kid (b64, crit, jwk, jku, x5u, x5c, ...). */
  HEADER_NOT_ALLOWED: 'HEADER_NOT_ALLOWED',
  ALGORITHM_NOT_ALLOWED: 'ALGORITHM_NOT_ALLOWED',
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  /** The kid names no usable key (the resolver's own code is kept in `keyCode`). */
  KEY_UNRESOLVED: 'KEY_UNRESOLVED',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  CLAIMS_INVALID: 'CLAIMS_INVALID',
  /** The signed `iss` is not the member that owns the key. */
  ISSUER_NOT_KEY_OWNER: 'ISSUER_NOT_KEY_OWNER',
} as const;
export type JwsRejection = (typeof JwsRejection)[keyof typeof JwsRejection];

export class JwsRejectedError extends Error {
  override name = 'JwsRejectedError';
  constructor(
    readonly code: JwsRejection,
    message: string,
    /** For KEY_UNRESOLVED: why the resolver refused the kid (e.g. UNKNOWN_KEY, WRONG_KEY_PURPOSE). */
    readonly keyCode?: string,
  ) {
    super(message);
  }
}

/** The only protected header this system signs or accepts. */
export interface StrictHeader {
  alg: 'ES256';
  typ: string;
  kid: string;
}

export interface ParsedJws {
  header: StrictHeader;
  /** The ASCII bytes `header.payload` that the signature covers. */
  signingInput: Uint8Array;
  /** The decoded payload: exactly the bytes that are signed, not yet trusted. */
  payload: Uint8Array;
  /** The 64-byte JOSE form (r || s) of the ES256 signature. */
  signature: Uint8Array;
}

/** A key found by kid alone, and the registry member that owns it (for the `iss` binding). */
export interface ResolvedKey {
  key: KeyObject;
  owner?: string;
}

export interface StrictJwsOptions<S extends z.ZodType> {
  /** The one `typ` this kind of JWS carries. */
  typ: string;
  /**
   * Finds the verification key for a kid (purpose included), or throws an error with a `code`
   * (KeyResolutionError) that is passed on as `keyCode`.
   */
  keyOf(kid: string): ResolvedKey | Promise<ResolvedKey>;
  /** The claims contract, applied to the verified payload. */
  claims: S;
  /** Require the signed `iss` claim to equal the owner of the key (every province-signed JWS). */
  bindIssuer: boolean;
  /** Longest accepted compact form; refused before any decoding. */
  maxLength?: number;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;
const ALLOWED_HEADER = new Set(['alg', 'typ', 'kid']);
const DEFAULT_MAX_LENGTH = 16 * 1024;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A segment only if it is canonical base64url: alphabet only, no padding, unused bits zero. */
export function decodeCanonicalBase64url(segment: string): Buffer | undefined {
  if (!SEGMENT.test(segment)) return undefined;
  // Node's decoder ignores stray trailing bits, so a canonical segment is one that encoding the
  // bytes gives back: no lone last character, and a last character of 2 (or 3) that leaves the 4
  // (or 2) bits past the last byte zero.
  const tail = segment.length % 4;
  if (tail === 1) return undefined;
  if (
    tail !== 0 &&
    (BASE64URL.indexOf(segment.charAt(segment.length - 1)) & (tail === 2 ? 0x0f : 0x03)) !== 0
  )
    return undefined;
  return Buffer.from(segment, 'base64url');
}

function jsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fatalUtf8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the form of a compact JWS without trusting it: three canonical segments, a header of
 * exactly the members in `allowedHeader`, and (for the strict form) `alg: ES256`, the expected
 * `typ` and a string `kid`. Throws JwsRejectedError; never reads the payload as claims.
 */
export function parseStrictJws(jws: string, typ: string, maxLength = DEFAULT_MAX_LENGTH): ParsedJws {
  const { header, segments, bytes } = readForm(jws, ALLOWED_HEADER, maxLength);
  if (header.alg !== 'ES256') {
    throw new JwsRejectedError(
      JwsRejection.ALGORITHM_NOT_ALLOWED,
      `alg ${JSON.stringify(header.alg)} is not allowed; only ES256`,
    );
  }
  if (header.typ !== typ) {
    throw new JwsRejectedError(JwsRejection.TYPE_MISMATCH, `typ must be ${typ}`);
  }
  if (typeof header.kid !== 'string' || header.kid === '' || header.kid.length > 128) {
    throw new JwsRejectedError(JwsRejection.MALFORMED, 'the header names no kid');
  }
  const [h, p] = segments;
  const [, payload, signature] = bytes;
  if (signature.length !== 64) {
    throw new JwsRejectedError(
      JwsRejection.SIGNATURE_INVALID,
      'an ES256 signature is 64 bytes (r || s), not DER or truncated',
    );
  }
  return {
    header: { alg: 'ES256', typ, kid: header.kid },
    signingInput: Buffer.from(`${h}.${p}`, 'ascii'),
    payload,
    signature,
  };
}

/**
 * The form checks every JWS gets, whoever signed it: three canonical segments and a JSON header
 * with no member outside `allowed`. Bearer tokens of the identity provider pass through this
 * before jose verifies them, so `b64`, `crit`, `jwk` and `jku` are refused there too.
 */
export function parseForm(
  jws: string,
  allowed: ReadonlySet<string>,
  maxLength = DEFAULT_MAX_LENGTH,
): Record<string, unknown> {
  return readForm(jws, allowed, maxLength).header;
}

/** parseForm, with the segments and their decoded bytes, each segment decoded once. */
function readForm(
  jws: string,
  allowed: ReadonlySet<string>,
  maxLength: number,
): { header: Record<string, unknown>; segments: [string, string, string]; bytes: [Buffer, Buffer, Buffer] } {
  if (jws.length > maxLength) {
    throw new JwsRejectedError(JwsRejection.MALFORMED, `longer than ${maxLength} characters`);
  }
  const parts = jws.split('.');
  if (parts.length !== 3) {
    throw new JwsRejectedError(JwsRejection.MALFORMED, 'not a compact JWS of three segments');
  }
  const segments = parts as [string, string, string];
  const [h, p, s] = segments;
  const headerBytes = decodeCanonicalBase64url(h);
  const payloadBytes = headerBytes && decodeCanonicalBase64url(p);
  const signatureBytes = payloadBytes && decodeCanonicalBase64url(s);
  // An empty segment is canonical (zero bytes): `alg: none` then fails on its alg, not its form.
  if (!headerBytes || !payloadBytes || !signatureBytes) {
    throw new JwsRejectedError(JwsRejection.MALFORMED, 'a segment is not canonical base64url');
  }
  const header = jsonObject(headerBytes);
  if (!header) throw new JwsRejectedError(JwsRejection.MALFORMED, 'the header is not a JSON object');
  const extra = Object.keys(header).filter((k) => !allowed.has(k));
  if (extra.length > 0) {
    throw new JwsRejectedError(
      JwsRejection.HEADER_NOT_ALLOWED,
      `header members ${extra.map((k) => JSON.stringify(k)).join(', ')} are not allowed`,
    );
  }
  return { header, segments, bytes: [headerBytes, payloadBytes, signatureBytes] };
}

/**
 * Verifies a compact JWS in the strict form and returns its claims: the key named by `kid`, an
 * ES256 signature over the exact signing input, the claims contract over the verified payload
 * and, when `bindIssuer`, the signed `iss` equal to the key's owner. Throws JwsRejectedError.
 */
export async function verifyStrictJws<S extends z.ZodType>(
  jws: string,
  options: StrictJwsOptions<S>,
): Promise<{ claims: z.infer<S>; header: StrictHeader; owner?: string }> {
  const parsed = parseStrictJws(jws, options.typ, options.maxLength);
  let resolved: ResolvedKey;
  try {
    resolved = await options.keyOf(parsed.header.kid);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !(err instanceof Error)) throw err;
    throw new JwsRejectedError(JwsRejection.KEY_UNRESOLVED, err.message, code);
  }
  const ok = verify(
    'sha256',
    parsed.signingInput,
    { key: resolved.key, dsaEncoding: 'ieee-p1363' },
    parsed.signature,
  );
  if (!ok) throw new JwsRejectedError(JwsRejection.SIGNATURE_INVALID, 'the signature does not verify');
  const payload = jsonObject(parsed.payload);
  const claims = payload === undefined ? undefined : options.claims.safeParse(payload);
  if (!claims?.success) {
    const where = claims ? ` at ${firstIssueText(claims.error)}` : ': not a JSON object';
    throw new JwsRejectedError(
      JwsRejection.CLAIMS_INVALID,
      `the signed claims do not match the contract${where}`,
    );
  }
  if (options.bindIssuer) {
    const iss = (claims.data as { iss?: unknown }).iss;
    if (resolved.owner === undefined || iss !== resolved.owner) {
      throw new JwsRejectedError(
        JwsRejection.ISSUER_NOT_KEY_OWNER,
        `the signed iss ${JSON.stringify(iss)} is not the owner of key ${parsed.header.kid}`,
      );
    }
  }
  return {
    claims: claims.data,
    header: parsed.header,
    ...(resolved.owner === undefined ? {} : { owner: resolved.owner }),
  };
}
