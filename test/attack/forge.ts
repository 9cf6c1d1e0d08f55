import { randomBytes } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { expect } from 'vitest';
import { REQUEST_JWS_TYPE, ReceiptClaimsSchema, type RequestClaims } from '../../contracts/interop.ts';
import { newTraceId } from '../../lib/ids.ts';
import { bodyHash } from '../../lib/interop/body-hash.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { derToJose } from '../../lib/signing/der.ts';
import type { JwsSigner } from '../../lib/signing/jws.ts';
import type { RawAnswer } from './harness.ts';

/**
 * Hand-built JWS for attack cases: any header members, any payload bytes, any segment text, and
 * a real ES256 signature by a real key over exactly the signing input given. The gateway's own
 * signCompactJws would refuse most of these shapes, which is the point.
 */

export const b64u = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

/** The ES256 signature segment over `signingInput` (JOSE r||s form, canonical base64url). */
export async function signatureOver(signer: JwsSigner, signingInput: string): Promise<string> {
  return b64u(derToJose(await signer.signDer(new TextEncoder().encode(signingInput))));
}

/** `header.payload.signature` with both segments exactly as given, signed by `signer`. */
export async function signSegments(signer: JwsSigner, header: string, payload: string): Promise<string> {
  return `${header}.${payload}.${await signatureOver(signer, `${header}.${payload}`)}`;
}

/** A compact JWS with this very header object and payload (object: JSON; string or bytes: raw). */
export async function forgeJws(
  signer: JwsSigner,
  header: Record<string, unknown>,
  payload: object | string | Uint8Array,
): Promise<string> {
  const body =
    typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
  return signSegments(signer, b64u(JSON.stringify(header)), b64u(body));
}

/** The header the gateway signs, plus (or minus, with `undefined`) members. */
export function requestHeader(kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const h: Record<string, unknown> = { alg: 'ES256', typ: REQUEST_JWS_TYPE, kid, ...extra };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return h;
}

export interface ClaimsInput {
  iss: string;
  aud: string;
  path: string;
  body: string | Uint8Array;
  now: Date;
}

/** Request claims exactly as a correct caller signs them; `undefined` in overrides drops a claim. */
export function requestClaims(
  c: ClaimsInput,
  overrides: Record<string, unknown> = {},
): RequestClaims & Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: c.iss,
    aud: c.aud,
    htm: 'POST',
    htu: c.path,
    bsh: bodyHash(c.body),
    iat: Math.floor(c.now.getTime() / 1000),
    jti: randomBytes(18).toString('base64url'),
    tid: newTraceId(),
    ...overrides,
  };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return claims as RequestClaims & Record<string, unknown>;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes with nonzero unused bits in the last character (lenient decoders ignore them). */
export function dirtyTrailingBits(segment: string): string {
  const rest = segment.length % 4;
  if (rest === 0) throw new TypeError('a segment of whole 3-byte groups has no unused bits');
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1));
  return `${segment.slice(0, -1)}${ALPHABET.charAt(last | 1)}`;
}

/** Standard-alphabet base64 of the same bytes: `-` becomes `+`, `_` becomes `/`. */
export const standardAlphabet = (segment: string) => segment.replace(/-/g, '+').replace(/_/g, '/');

/** Padding the canonical form leaves off (at least one `=`). */
export const padded = (segment: string) => `${segment}${'='.repeat((4 - (segment.length % 4)) % 4 || 1)}`;

/** `text` with `insert` placed in its middle. */
export const inserted = (text: string, insert: string) =>
  `${text.slice(0, text.length >> 1)}${insert}${text.slice(text.length >> 1)}`;

export function segments(jws: string): [string, string, string] {
  const [h = '', p = '', s = ''] = jws.split('.');
  return [h, p, s];
}

/**
 * Asserts the answer carries a receipt by `callee`'s gateway key addressed to `caller`, over this
 * answer's status and body, for the request `jti` (when the request had one).
 */
export async function expectReceiptTo(
  res: RawAnswer,
  e: { callee: string; caller: string; jti?: string; registry: TrustRegistry },
) {
  expect(res.receipt, 'the answer carries an ELG-Receipt').toBeTruthy();
  const jws = res.receipt ?? '';
  const { kid } = decodeProtectedHeader(jws);
  const key = await e.registry.resolveKey(e.callee, String(kid), 'gateway');
  const { payload } = await compactVerify(jws, key, { algorithms: ['ES256'] });
  const claims = ReceiptClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  expect(claims).toMatchObject({ iss: e.callee, aud: e.caller, sts: res.status, bsh: bodyHash(res.text) });
  if (e.jti !== undefined) expect(claims.rjti).toBe(e.jti);
  return claims;
}
