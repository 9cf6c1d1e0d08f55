import { createHmac, sign } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KeyResolutionError } from '../../../lib/registry/errors.ts';
import { derToJose } from '../../../lib/signing/der.ts';
import { publicKeyCache, signCompactJws } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import {
  decodeCanonicalBase64url,
  JwsRejectedError,
  JwsRejection,
  type ResolvedKey,
  verifyStrictJws,
} from '../../../lib/signing/strict-jws.ts';

const TYP = 'elg-request+jwt';
const Claims = z.object({ iss: z.string(), n: z.number() });
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('the strict compact-JWS form', () => {
  let sh: KeyRing;
  let sc: KeyRing;
  const keys = publicKeyCache();

  beforeAll(async () => {
    sh = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-strict-sh-')));
    sc = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-strict-sc-')));
  });

  /** A registry of two provinces: 310000 and 510000, gateway keys only. */
  const keyOf = (kid: string): ResolvedKey => {
    if (kid === sh.gateway.kid) return { key: keys.get(sh.gateway.publicJwk), owner: '310000' };
    if (kid === sc.gateway.kid) return { key: keys.get(sc.gateway.publicJwk), owner: '510000' };
    throw new KeyResolutionError('UNKNOWN_KEY', `no key ${kid}`);
  };
  const verifyIt = (jws: string) =>
    verifyStrictJws(jws, { typ: TYP, keyOf, claims: Claims, bindIssuer: true });

  /** Signs `header.payload` exactly as given, with the 510000 gateway key (P1363 form). */
  async function signRaw(header: unknown, payloadSegment: string, ring = sc) {
    const input = `${b64(header)}.${payloadSegment}`;
    const der = await ring.gateway.signDer(new TextEncoder().encode(input));
    return `${input}.${Buffer.from(derToJose(der)).toString('base64url')}`;
  }

  async function rejection(jws: string): Promise<JwsRejectedError> {
    const err = await verifyIt(jws).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JwsRejectedError);
    return err as JwsRejectedError;
  }

  it('verifies a JWS the gateway signs and returns its claims and owner', async () => {
    const jws = await signCompactJws(sc.gateway, { typ: TYP }, { iss: '510000', n: 1 });
    await expect(verifyIt(jws)).resolves.toMatchObject({ claims: { iss: '510000', n: 1 }, owner: '510000' });
  });

  it('refuses the b64:false impersonation: 510000 cannot pass for 330000', async () => {
    // The raw payload names 330000; a lenient base64url decoder of the same characters would
    // have read claims naming the signer. jose honours b64:false and would verify it.
    const raw = JSON.stringify({ iss: '330000', n: 1 });
    const header = { alg: 'ES256', typ: TYP, kid: sc.gateway.kid, b64: false, crit: ['b64'] };
    const input = Buffer.concat([Buffer.from(`${b64(header)}.`), Buffer.from(raw)]);
    const sig = Buffer.from(derToJose(await sc.gateway.signDer(input))).toString('base64url');
    const err = await rejection(`${b64(header)}.${raw}.${sig}`);
    expect(err.code).toBe(JwsRejection.MALFORMED);
  });

  it('refuses a signed iss that is not the owner of the key', async () => {
    const jws = await signCompactJws(sc.gateway, { typ: TYP }, { iss: '310000', n: 1 });
    const err = await rejection(jws);
    expect(err.code).toBe(JwsRejection.ISSUER_NOT_KEY_OWNER);
    expect(err.message).toContain('"310000"');
  });

  it.each([
    ['b64', { b64: false }],
    ['crit', { crit: ['exp'] }],
    ['jwk', { jwk: { kty: 'EC' } }],
    ['jku', { jku: 'https://evil.example/jwks' }],
    ['x5u', { x5u: 'https://evil.example/cert' }],
    ['x5c', { x5c: ['MIIB'] }],
    ['cty', { cty: 'json' }],
    ['an unknown member', { zip: 'DEF' }],
  ])('refuses a header with %s', async (_name, extra) => {
    const jws = await signRaw(
      { alg: 'ES256', typ: TYP, kid: sc.gateway.kid, ...extra },
      b64({ iss: '510000', n: 1 }),
    );
    expect((await rejection(jws)).code).toBe(JwsRejection.HEADER_NOT_ALLOWED);
  });

  it.each([
    ['alg none', { alg: 'none' }, JwsRejection.ALGORITHM_NOT_ALLOWED],
    ['alg HS256', { alg: 'HS256' }, JwsRejection.ALGORITHM_NOT_ALLOWED],
    ['alg ES384', { alg: 'ES384' }, JwsRejection.ALGORITHM_NOT_ALLOWED],
    ['another typ', { typ: 'JWT' }, JwsRejection.TYPE_MISMATCH],
    ['no typ', { typ: undefined }, JwsRejection.TYPE_MISMATCH],
    ['no kid', { kid: undefined }, JwsRejection.MALFORMED],
    ['a numeric kid', { kid: 7 }, JwsRejection.MALFORMED],
  ])('refuses %s', async (_name, override, code) => {
    const jws = await signRaw(
      { alg: 'ES256', typ: TYP, kid: sc.gateway.kid, ...override },
      b64({ iss: '510000', n: 1 }),
    );
    expect((await rejection(jws)).code).toBe(code);
  });

  it('refuses HS256 keyed with the public key', async () => {
    const header = b64({ alg: 'HS256', typ: TYP, kid: sc.gateway.kid });
    const payload = b64({ iss: '510000', n: 1 });
    const mac = createHmac('sha256', JSON.stringify(sc.gateway.publicJwk))
      .update(`${header}.${payload}`)
      .digest('base64url');
    expect((await rejection(`${header}.${payload}.${mac}`)).code).toBe(JwsRejection.ALGORITHM_NOT_ALLOWED);
  });

  describe('non-canonical base64url, refused before any claim is read', () => {
    let good: string;
    beforeAll(async () => {
      good = await signCompactJws(sc.gateway, { typ: TYP }, { iss: '510000', n: 1 });
    });
    const part = (i: number) => good.split('.')[i] ?? '';
    const withPart = (i: number, value: string) =>
      good
        .split('.')
        .map((p, j) => (j === i ? value : p))
        .join('.');

    it.each([
      ['padding on the signature', () => withPart(2, `${part(2)}==`)],
      ['a standard-alphabet character', () => withPart(1, `+${part(1).slice(1)}`)],
      ['a space inside the payload', () => withPart(1, `${part(1).slice(0, 4)} ${part(1).slice(4)}`)],
      ['a character outside the alphabet', () => withPart(0, `${part(0)}*`)],
      ['a fourth segment', () => `${good}.${part(2)}`],
      ['two segments', () => `${part(0)}.${part(1)}`],
    ])('refuses %s', async (_name, make) => {
      expect((await rejection(make())).code).toBe(JwsRejection.MALFORMED);
    });

    it('refuses a signature whose unused trailing bits are not zero', async () => {
      // 64 bytes encode to 86 characters: the last one carries 2 unused bits.
      const s = part(2);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(s.at(-1) ?? 'A');
      const respelled = `${s.slice(0, -1)}${alphabet[last ^ 1]}`;
      expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
      expect((await rejection(withPart(2, respelled))).code).toBe(JwsRejection.MALFORMED);
    });
  });

  it.each([
    ['truncated to 63 bytes', (sig: Buffer) => sig.subarray(0, 63)],
    ['DER-encoded', (sig: Buffer) => Buffer.from(sig)],
    ['all zeros', () => Buffer.alloc(64)],
  ])('refuses a signature %s', async (name, change) => {
    const input = `${b64({ alg: 'ES256', typ: TYP, kid: sc.gateway.kid })}.${b64({ iss: '510000', n: 1 })}`;
    const der = Buffer.from(await sc.gateway.signDer(new TextEncoder().encode(input)));
    const sig = name === 'DER-encoded' ? der : change(Buffer.from(derToJose(der)));
    const err = await rejection(`${input}.${sig.toString('base64url')}`);
    expect(err.code).toBe(JwsRejection.SIGNATURE_INVALID);
  });

  it('refuses a key the resolver does not know, keeping its reason', async () => {
    const stranger = { privateKey: generateP256PrivateKey() };
    const input = `${b64({ alg: 'ES256', typ: TYP, kid: 'stranger' })}.${b64({ iss: '510000', n: 1 })}`;
    const sig = sign('sha256', Buffer.from(input), { key: stranger.privateKey, dsaEncoding: 'ieee-p1363' });
    const err = await rejection(`${input}.${sig.toString('base64url')}`);
    expect(err.code).toBe(JwsRejection.KEY_UNRESOLVED);
    expect(err.keyCode).toBe('UNKNOWN_KEY');
  });

  it('refuses a signature by another key than the kid names', async () => {
    const input = `${b64({ alg: 'ES256', typ: TYP, kid: sh.gateway.kid })}.${b64({ iss: '310000', n: 1 })}`;
    const der = await sc.gateway.signDer(new TextEncoder().encode(input));
    const err = await rejection(`${input}.${Buffer.from(derToJose(der)).toString('base64url')}`);
    expect(err.code).toBe(JwsRejection.SIGNATURE_INVALID);
  });

  it.each([
    ['not JSON', b64('not json')],
    ['a JSON array', b64([1, 2])],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')],
    ['claims outside the contract', b64({ iss: '510000', n: 'one' })],
  ])('refuses a verified payload that is %s', async (_name, payload) => {
    const jws = await signRaw({ alg: 'ES256', typ: TYP, kid: sc.gateway.kid }, payload);
    expect((await rejection(jws)).code).toBe(JwsRejection.CLAIMS_INVALID);
  });

  it('refuses an overlong JWS before decoding it', async () => {
    const jws = await signCompactJws(
      sc.gateway,
      { typ: TYP },
      { iss: '510000', n: 1, pad: 'x'.repeat(20_000) },
    );
    expect((await rejection(jws)).code).toBe(JwsRejection.MALFORMED);
  });

  it('decodes only canonical base64url', () => {
    expect(decodeCanonicalBase64url('AQ')).toEqual(Buffer.from([1]));
    expect(decodeCanonicalBase64url('AR')).toBeUndefined();
    expect(decodeCanonicalBase64url('AQ==')).toBeUndefined();
    expect(decodeCanonicalBase64url('A')).toBeUndefined();
    expect(decodeCanonicalBase64url('')).toEqual(Buffer.alloc(0));
  });
});
