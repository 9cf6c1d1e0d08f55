import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { Federation } from '../../federation/federation.ts';
import { fixedClock } from '../../lib/clock.ts';
import { newTraceId, traceparentOf } from '../../lib/ids.ts';
import { bodyHash } from '../../lib/interop/body-hash.ts';
import { verifyReceipt } from '../../lib/interop/receipt.ts';
import type { JwsSigner } from '../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../lib/signing/signer.ts';
import { sampleIssue } from '../support/gateway.ts';
import {
  b64u,
  dirtyTrailingBits,
  expectReceiptTo,
  forgeJws,
  inserted,
  padded,
  requestClaims,
  requestHeader,
  segments,
  signSegments,
  standardAlphabet,
} from './forge.ts';
import {
  attackFederation,
  bearer,
  expectOnlyRefusal,
  type RawAnswer,
  send,
  sendRawPath,
  snapshot,
} from './harness.ts';

/**
 * ELG-Signature under attack (docs/protocol.md §4, §7.1-7.2): 330000 calls 310000's POST /v1/interop/verify
 * for a license 310000 issued, which the seeded alliance lets it see. Every case changes one
 * thing of that correct call and must be refused without touching 310000's state.
 */

const SH = '310000';
const ZJ = '330000';
const SC = '510000';
const PATH = '/v1/interop/verify';

type Claims = ReturnType<typeof requestClaims>;
interface Forged {
  signature: string;
  /** What the forged signature claims, for the audit and trace checks. */
  claims?: Record<string, unknown>;
  body?: string | Uint8Array;
}

describe('signed calls under attack', () => {
  let f: Federation;
  const clock = fixedClock(new Date());
  let body: string;
  let stranger: KeyRing;

  beforeAll(async () => {
    f = await attackFederation([SH, ZJ, SC], 'sig', { clock });
    stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-attack-stranger-')));
    const issued = await send(f.province(SH).url, '/v1/licenses', {
      headers: bearer(f.province(SH), 'issuer'),
      body: JSON.stringify(sampleIssue()),
    });
    expect(issued.status).toBe(201);
    body = JSON.stringify({
      identifier: IssueResponseSchema.parse(issued.json).identifier,
      matterCode: 'DEMO0001',
      useCause: '窗口核验',
      requester: { platform: 'zj-window' },
    });
  });
  afterAll(async () => {
    await f?.stop();
  });

  const sh = () => f.province(SH);
  const keysOf = (id: string) => f.province(id).gateway.keys;
  const zjKey = () => keysOf(ZJ).gateway;
  const claims = (overrides: Record<string, unknown> = {}, b: string | Uint8Array = body): Claims =>
    requestClaims({ iss: ZJ, aud: SH, path: PATH, body: b, now: clock.now() }, overrides);
  const header = (extra: Record<string, unknown> = {}, kid = zjKey().kid) => requestHeader(kid, extra);

  /** A correctly formed request JWS by `signer` with `c`. */
  const signed = async (c: Claims = claims(), signer: JwsSigner = zjKey()): Promise<Forged> => ({
    signature: await forgeJws(signer, header({}, signer.kid), c),
    claims: c,
  });

  /** A correct call, with only its signature segment replaced. */
  const withSignature = async (change: (sig: string) => string | Promise<string>): Promise<Forged> => {
    const good = await signed();
    const [h, p, s] = segments(good.signature);
    return { ...good, signature: `${h}.${p}.${await change(s)}` };
  };

  /** A correct call whose payload segment is rewritten and then really signed over. */
  const withPayloadSegment = async (change: (p: string) => string, c: Claims = claims()): Promise<Forged> => {
    const h = b64u(JSON.stringify(header()));
    return { signature: await signSegments(zjKey(), h, change(b64u(JSON.stringify(c)))), claims: c };
  };

  const withHeaderSegment = async (change: (h: string) => string, raw = JSON.stringify(header())) => {
    const c = claims();
    return { signature: await signSegments(zjKey(), change(b64u(raw)), b64u(JSON.stringify(c))), claims: c };
  };

  /** A correct call signed until its signature segment contains `-` or `_`. */
  async function signatureWithUrlChars(): Promise<Forged> {
    for (let i = 0; i < 64; i++) {
      const good = await signed();
      if (/[-_]/.test(segments(good.signature)[2])) return good;
    }
    throw new Error('no signature with - or _ in 64 tries');
  }

  /**
   * Claims whose payload segment holds `-` or `_`. JSON of ASCII claims encodes to those two only
   * from `>`, `?`, `~` or DEL as the third byte of a group, and no claim holds one, so a member the
   * claims contract ignores carries `~~~` (one of the three is a third byte).
   */
  function claimsWithUrlCharsInPayload(): Claims {
    const c = claims({ note: '~~~' });
    if (!/[-_]/.test(b64u(JSON.stringify(c)))) throw new Error('~~~ did not encode to - or _');
    return c;
  }

  /** Claims whose JSON is not whole 3-byte groups, so the last character has unused bits. */
  function claimsWithUnusedBits(): Claims {
    for (const n of [24, 25, 26]) {
      const c = claims({ jti: randomBytes(n).toString('base64url').slice(0, n) });
      if (JSON.stringify(c).length % 3 !== 0) return c;
    }
    throw new Error('unreachable: one of three lengths leaves a remainder');
  }

  const hmacJws = async (secret: string | Buffer): Promise<Forged> => {
    const c = claims();
    const signingInput = `${b64u(JSON.stringify(header({ alg: 'HS256' })))}.${b64u(JSON.stringify(c))}`;
    return {
      signature: `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`,
      claims: c,
    };
  };

  /** b64: false, the payload segment unencoded JSON; signed over exactly that text by `signer`. */
  const unencoded = async (signer: JwsSigner, payload: string, c: Claims): Promise<Forged> => ({
    signature: await signSegments(
      signer,
      b64u(JSON.stringify(header({ b64: false, crit: ['b64'] }, signer.kid))),
      payload,
    ),
    claims: c,
  });

  const sendForged = (forged: Forged, traceparent: string, path = PATH) =>
    send(sh().url, path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: forged.signature,
        traceparent,
      },
      body: forged.body ?? body,
    });

  const formCases: [string, () => Promise<Forged>][] = [
    // alg
    [
      'alg none with an empty signature',
      async () => {
        const c = claims();
        return {
          signature: `${b64u(JSON.stringify(header({ alg: 'none' })))}.${b64u(JSON.stringify(c))}.`,
          claims: c,
        };
      },
    ],
    [
      'alg none with a real ES256 signature',
      async () => {
        const c = claims();
        return { signature: await forgeJws(zjKey(), header({ alg: 'none' }), c), claims: c };
      },
    ],
    [
      'HS256 keyed with the SPKI PEM of the caller’s public key',
      async () =>
        hmacJws(
          createPublicKey({ key: zjKey().publicJwk, format: 'jwk' }).export({
            type: 'spki',
            format: 'pem',
          }) as string,
        ),
    ],
    [
      'HS256 keyed with the x and y coordinates of the caller’s public key',
      async () =>
        hmacJws(
          Buffer.concat([
            Buffer.from(zjKey().publicJwk.x, 'base64url'),
            Buffer.from(zjKey().publicJwk.y, 'base64url'),
          ]),
        ),
    ],
    [
      'HS256 keyed with the caller’s public JWK as JSON',
      async () => hmacJws(JSON.stringify(zjKey().publicJwk)),
    ],
    ...(['RS256', 'ES384', 'EdDSA', 'ES256K', 'es256'] as const).map(
      (alg): [string, () => Promise<Forged>] => [
        `alg ${alg} over a real ES256 signature`,
        async () => {
          const c = claims();
          return { signature: await forgeJws(zjKey(), header({ alg }), c), claims: c };
        },
      ],
    ),
    // header members beyond alg, typ, kid
    [
      'b64:false with crit, kid of 510000 and an unencoded payload naming 330000 that decodes leniently to iss 510000',
      async () => {
        const c = claims();
        // A lenient base64url decoder skips `{":,` and stops at `=`: it reads {"iss":"510000"} and
        // picks 510000's key, while the bytes actually signed name 330000.
        const lure = b64u(JSON.stringify({ iss: SC }));
        const payload = JSON.stringify({ [lure.slice(0, 4)]: `${lure.slice(4)}==`, ...c });
        expect(Buffer.from(payload, 'base64url').toString('utf8')).toBe(JSON.stringify({ iss: SC }));
        return unencoded(keysOf(SC).gateway, payload, c);
      },
    ],
    [
      'b64:false with crit, kid of 510000 and a plain unencoded payload naming 330000',
      async () => {
        const c = claims();
        return unencoded(keysOf(SC).gateway, JSON.stringify(c), c);
      },
    ],
    [
      'b64:false with crit by the caller’s own key',
      async () => {
        const c = claims();
        return unencoded(zjKey(), JSON.stringify(c), c);
      },
    ],
    [
      'b64:true with crit',
      async () => {
        const c = claims();
        return { signature: await forgeJws(zjKey(), header({ b64: true, crit: ['b64'] }), c), claims: c };
      },
    ],
    ...(
      [
        ['crit alone', { crit: ['b64'] }],
        ['crit naming an extension member', { crit: ['elg'], elg: 1 }],
        ['the caller’s own public jwk', { jwk: 'OWN' }],
        ['jku', { jku: 'https://attacker.example/jwks.json' }],
        ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
        ['x5c', { x5c: ['MIIBszCCAVmgAwIBAgIUQ'] }],
        ['x5t', { x5t: 'dGh1bWJwcmludA' }],
        ['x5t#S256', { 'x5t#S256': 'dGh1bWJwcmludA' }],
        ['cty', { cty: 'JWT' }],
        ['zip', { zip: 'DEF' }],
        ['an unknown member', { elg: 'anything' }],
      ] as [string, Record<string, unknown>][]
    ).map(([name, extra]): [string, () => Promise<Forged>] => [
      `a header with ${name}, otherwise correct`,
      async () => {
        const c = claims();
        const members = extra.jwk === 'OWN' ? { jwk: zjKey().publicJwk } : extra;
        return { signature: await forgeJws(zjKey(), header(members), c), claims: c };
      },
    ]),
    [
      'an embedded jwk of a stranger key that signed, with the kid of 330000',
      async () => {
        const c = claims();
        const { kid: _kid, purpose: _purpose, ...jwk } = stranger.gateway.publicJwk;
        return { signature: await forgeJws(stranger.gateway, header({ jwk }), c), claims: c };
      },
    ],
    // kid
    [
      'no kid',
      async () => {
        const c = claims();
        return { signature: await forgeJws(zjKey(), header({ kid: undefined }), c), claims: c };
      },
    ],
    ...(
      [
        ['a numeric kid', 7638],
        ['a kid in an array', 'ARRAY'],
        ['an empty kid', ''],
      ] as [string, unknown][]
    ).map(([name, kid]): [string, () => Promise<Forged>] => [
      name,
      async () => {
        const c = claims();
        return {
          signature: await forgeJws(zjKey(), header({ kid: kid === 'ARRAY' ? [zjKey().kid] : kid }), c),
          claims: c,
        };
      },
    ]),
    // typ
    ...(
      [
        ['typ JWT', 'JWT'],
        ['the receipt typ', 'elg-receipt+jwt'],
        ['the credential typ', 'elicense+jwt'],
        ['typ in capitals', 'ELG-REQUEST+JWT'],
        ['no typ', undefined],
      ] as [string, string | undefined][]
    ).map(([name, typ]): [string, () => Promise<Forged>] => [
      name,
      async () => {
        const c = claims();
        return { signature: await forgeJws(zjKey(), header({ typ }), c), claims: c };
      },
    ]),
    // segments
    [
      'two segments',
      async () => {
        const good = await signed();
        const [h, p] = segments(good.signature);
        return { ...good, signature: `${h}.${p}` };
      },
    ],
    [
      'four segments',
      async () => {
        const good = await signed();
        const [, , s] = segments(good.signature);
        return { ...good, signature: `${good.signature}.${s}` };
      },
    ],
    [
      'an empty header segment',
      async () => {
        const c = claims();
        return { signature: await signSegments(zjKey(), '', b64u(JSON.stringify(c))), claims: c };
      },
    ],
    [
      'an empty payload segment',
      async () => ({ signature: await signSegments(zjKey(), b64u(JSON.stringify(header())), '') }),
    ],
    ['an empty signature segment', async () => withSignature(() => '')],
    [
      'a header that is a JSON array',
      async () => {
        const c = claims();
        return {
          signature: await signSegments(zjKey(), b64u(JSON.stringify([header()])), b64u(JSON.stringify(c))),
          claims: c,
        };
      },
    ],
    // canonical base64url
    ['a padded header segment', async () => withHeaderSegment(padded)],
    ['a padded payload segment', async () => withPayloadSegment(padded)],
    ['a padded signature segment', async () => withSignature(padded)],
    [
      'a payload segment in the standard alphabet (+ /)',
      async () => withPayloadSegment(standardAlphabet, claimsWithUrlCharsInPayload()),
    ],
    [
      'a signature segment in the standard alphabet (+ /)',
      async () => {
        const good = await signatureWithUrlChars();
        const [h, p, s] = segments(good.signature);
        return { ...good, signature: `${h}.${p}.${standardAlphabet(s)}` };
      },
    ],
    ['a space inside the payload segment', async () => withPayloadSegment((p) => inserted(p, ' '))],
    ['a tab inside the signature segment', async () => withSignature((s) => inserted(s, '\t'))],
    ['a “!” inside the header segment', async () => withHeaderSegment((h) => inserted(h, '!'))],
    ['a “$” inside the payload segment', async () => withPayloadSegment((p) => inserted(p, '$'))],
    ['a “*” inside the signature segment', async () => withSignature((s) => inserted(s, '*'))],
    ['nonzero unused bits in the signature’s last character', async () => withSignature(dirtyTrailingBits)],
    [
      'nonzero unused bits in the payload’s last character',
      async () => withPayloadSegment(dirtyTrailingBits, claimsWithUnusedBits()),
    ],
    // signature bytes
    [
      'a truncated signature (63 bytes)',
      async () => withSignature((s) => b64u(Buffer.from(s, 'base64url').subarray(0, 63))),
    ],
    [
      'a signature with a byte appended (65 bytes)',
      async () => withSignature((s) => b64u(Buffer.concat([Buffer.from(s, 'base64url'), Buffer.from([0])]))),
    ],
    [
      'a DER-encoded signature instead of the 64-byte form',
      async () => {
        const c = claims();
        const signingInput = `${b64u(JSON.stringify(header()))}.${b64u(JSON.stringify(c))}`;
        const der = await zjKey().signDer(new TextEncoder().encode(signingInput));
        return { signature: `${signingInput}.${b64u(der)}`, claims: c };
      },
    ],
    ['a signature of all zeros', async () => withSignature(() => b64u(new Uint8Array(64)))],
    // keys and issuers
    ['the caller’s credential key', async () => signed(claims(), keysOf(ZJ).credential)],
    ['the caller’s audit key', async () => signed(claims(), keysOf(ZJ).audit)],
    ['the callee’s own gateway key, iss 330000', async () => signed(claims(), keysOf(SH).gateway)],
    [
      '510000’s gateway key with iss 330000 (iss does not own the kid)',
      async () => signed(claims(), keysOf(SC).gateway),
    ],
    [
      '330000’s gateway key with iss 510000 (iss does not own the kid)',
      async () => signed(claims({ iss: SC })),
    ],
    ['a key the registry does not list', async () => signed(claims(), stranger.gateway)],
    ['an iss the registry does not list, by the caller’s key', async () => signed(claims({ iss: '650000' }))],
    [
      'an iss the registry does not list, by a stranger key',
      async () => signed(claims({ iss: '650000' }), stranger.gateway),
    ],
    // payloads that are not a claims object
    [
      'a payload that is not JSON',
      async () => ({ signature: await forgeJws(zjKey(), header(), '{"iss":"330000",') }),
    ],
    [
      'a payload that is not UTF-8',
      async () => ({
        signature: await forgeJws(zjKey(), header(), new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
      }),
    ],
    [
      'a payload that is a JSON array',
      async () => ({ signature: await forgeJws(zjKey(), header(), [claims()]) }),
    ],
    ['a payload that is JSON null', async () => ({ signature: await forgeJws(zjKey(), header(), 'null') })],
  ];

  it.each(formCases)(
    'refuses %s: 401 SIGNATURE_INVALID, no receipt, one refusal on a fresh trace, no peer',
    async (_name, make) => {
      const forged = await make();
      const callerTrace = newTraceId();
      const before = await snapshot(sh());

      const res = await sendForged(forged, traceparentOf(callerTrace));

      expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeNull();
      const events = await expectOnlyRefusal(sh(), before);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event).toMatchObject({ outcome: 'refused', details: { callerVerified: false } });
      expect(event?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(event?.traceId).not.toBe(callerTrace);
      if (forged.claims?.tid) expect(event?.traceId).not.toBe(forged.claims.tid);
      if (forged.claims?.iss) expect(event?.peer).not.toBe(forged.claims.iss);
    },
  );

  it('answers the correct call 200 with a receipt over that answer', async () => {
    const good = await signed();
    const res = await sendForged(good, traceparentOf(newTraceId()));
    expect(res.status).toBe(200);
    await verifyReceipt(res.receipt, {
      peer: SH,
      self: ZJ,
      rjti: String(good.claims?.jti),
      body: res.text,
      status: res.status,
      traceId: String(good.claims?.tid),
      registry: f.province(ZJ).gateway.registry,
    });
  });

  it.each([
    ['exactly 300 s in the past', -300],
    ['exactly 300 s in the future', 300],
  ])('accepts an iat %s', async (_name, offset) => {
    const res = await sendForged(
      await signed(claims({ iat: Math.floor(clock.now().getTime() / 1000) + offset })),
      traceparentOf(newTraceId()),
    );
    expect(res.status).toBe(200);
  });

  describe('a signature that verifies but binds another request', () => {
    const nowS = () => Math.floor(clock.now().getTime() / 1000);
    const bom = () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
    /** The correct body with one byte that is not UTF-8 inside useCause. */
    const invalidUtf8 = () => {
      const [head, tail] = body.split('窗口核验');
      return Buffer.concat([Buffer.from(`${head}窗口`), Buffer.from([0xff]), Buffer.from(`核验${tail}`)]);
    };

    const bindingCases: [string, () => Promise<Forged>][] = [
      ['another audience', async () => signed(claims({ aud: SC }))],
      ['the caller itself as audience', async () => signed(claims({ aud: ZJ }))],
      ['another method (GET)', async () => signed(claims({ htm: 'GET' }))],
      ['another method (PUT)', async () => signed(claims({ htm: 'PUT' }))],
      ['a query added to the path', async () => signed(claims({ htu: `${PATH}?dataLevel=4` }))],
      ['another path', async () => signed(claims({ htu: '/v1/interop/agreements' }))],
      ['the path in other case', async () => signed(claims({ htu: '/v1/interop/Verify' }))],
      ['the path percent-encoded', async () => signed(claims({ htu: '/v1/interop/%76erify' }))],
      ['the path with a trailing slash', async () => signed(claims({ htu: `${PATH}/` }))],
      [
        'a body changed by one character',
        async () => ({ ...(await signed()), body: body.replace('zj-window', 'zj-windoW') }),
      ],
      ['a bsh over other bytes', async () => signed(claims({ bsh: bodyHash('{}') }))],
      ['the body sent with a BOM prepended', async () => ({ ...(await signed()), body: bom() })],
      ['an iat 301 s in the past', async () => signed(claims({ iat: nowS() - 301 }))],
      ['an iat 301 s in the future', async () => signed(claims({ iat: nowS() + 301 }))],
    ];

    /**
     * Signed claims outside the request contract: the signature verifies, but no calling
     * province is established (the signed iss is never read as such) and a receipt would have
     * no rjti or tid to name, so these are refused like a bad signature.
     */
    const contractCases: [string, () => Promise<Forged>][] = [
      ['no audience', async () => signed(claims({ aud: undefined }))],
      ['no method', async () => signed(claims({ htm: undefined }))],
      ['no path', async () => signed(claims({ htu: undefined }))],
      ['an iat that is not an integer', async () => signed(claims({ iat: nowS() + 0.5 }))],
      ['an iat that is a string', async () => signed(claims({ iat: String(nowS()) }))],
      ['no iat', async () => signed(claims({ iat: undefined }))],
      ['no jti', async () => signed(claims({ jti: undefined }))],
      ['no tid', async () => signed(claims({ tid: undefined }))],
      ['no bsh', async () => signed(claims({ bsh: undefined }))],
    ];

    it.each(contractCases)(
      'refuses %s: 401 SIGNATURE_INVALID, no receipt, nothing stored',
      async (_name, make) => {
        const forged = await make();
        const before = await snapshot(sh());

        const res = await sendForged(forged, traceparentOf(newTraceId()));

        expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
        expect(res.receipt).toBeNull();
        const events = await expectOnlyRefusal(sh(), before);
        expect(events).toHaveLength(1);
        expect(events[0]?.details).toMatchObject({ callerVerified: false });
      },
    );

    it.each(bindingCases)(
      'refuses %s: 401 SIGNATURE_INVALID with a receipt to 330000, nothing stored',
      async (_name, make) => {
        const forged = await make();
        const before = await snapshot(sh());

        const res = await sendForged(forged, traceparentOf(newTraceId()));

        expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
        const jti = forged.claims?.jti;
        await expectReceiptTo(res, {
          callee: SH,
          caller: ZJ,
          ...(typeof jti === 'string' ? { jti } : {}),
          registry: f.province(ZJ).gateway.registry,
        });
        const events = await expectOnlyRefusal(sh(), before);
        expect(events).toHaveLength(1);
      },
    );

    const neverServed = (res: RawAnswer, allowed: number[]) => {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(allowed).toContain(res.status);
    };

    it.each([
      ['bsh over the exact bytes', (b: Buffer) => bodyHash(b)],
      ['bsh over the bytes as a lenient decoder reads them', (b: Buffer) => bodyHash(b.toString('utf8'))],
    ])('refuses a body that is not UTF-8 with %s (400 or 401, never 2xx)', async (_name, hash) => {
      const raw = invalidUtf8();
      const forged = { ...(await signed(claims({ bsh: hash(raw) }))), body: raw };
      const before = await snapshot(sh());
      const res = await sendForged(forged, traceparentOf(newTraceId()));
      neverServed(res, [400, 401]);
      expect(res.code).toBe(res.status === 400 ? 'INVALID_REQUEST' : 'SIGNATURE_INVALID');
      await expectOnlyRefusal(sh(), before);
    });

    it.each([
      ['the percent-encoded path, signed as the plain path', '/v1/interop/%76erify', PATH],
      ['the percent-encoded path, signed as sent', '/v1/interop/%76erify', '/v1/interop/%76erify'],
      ['dot segments, signed as sent', '/v1/interop/../interop/verify', '/v1/interop/../interop/verify'],
    ])('refuses a request to %s (401 or 404, never 2xx)', async (_name, rawPath, htu) => {
      const forged = await signed(claims({ htu }));
      const before = await snapshot(sh());
      const res = await sendRawPath(sh().url, rawPath, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: forged.signature },
        body,
      });
      neverServed(res, [401, 404]);
      if (res.status === 401) expect(res.code).toBe('SIGNATURE_INVALID');
      else expect(res.code).toBe('NOT_FOUND');
      const after = await snapshot(sh());
      expect(after.licenses).toEqual(before.licenses);
      expect(after.nonces).toEqual(before.nonces);
    });

    it('serves dot segments that the URL parser resolves to the signed path as that path, and nothing else', async () => {
      // The request line is resolved before routing (WHATWG URL), so the resource served is the
      // one signed: not a bypass. What was signed and what is served stay one path.
      const forged = await signed(claims({ htu: PATH }));
      const res = await sendRawPath(sh().url, '/v1/interop/../interop/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: forged.signature },
        body,
      });
      expect(res.status).toBe(200);
      await expectReceiptTo(res, {
        callee: SH,
        caller: ZJ,
        jti: String(forged.claims?.jti),
        registry: f.province(ZJ).gateway.registry,
      });
    });
  });

  describe('replay', () => {
    it('refuses the same signed request the second time with 409 REPLAYED, changing nothing', async () => {
      const once = await signed();
      const first = await sendForged(once, traceparentOf(newTraceId()));
      expect(first.status).toBe(200);
      const before = await snapshot(sh());

      const second = await sendForged(once, traceparentOf(newTraceId()));

      expect({ status: second.status, code: second.code }).toEqual({ status: 409, code: 'REPLAYED' });
      await expectOnlyRefusal(sh(), before);
    });

    it('lets exactly one of 8 concurrent sends of one signed request through', async () => {
      const once = await signed();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => sendForged(once, traceparentOf(newTraceId()))),
      );
      const through = answers.filter((a) => a.status !== 409);
      expect(through.map((a) => a.status)).toEqual([200]);
      for (const a of answers.filter((x) => x.status === 409)) expect(a.code).toBe('REPLAYED');
    });

    it.each([
      [
        'a copy with a changed body',
        async (real: Forged) => ({ ...real, body: body.replace('DEMO0001', 'DEMO0002') }),
      ],
      [
        'a copy with a padded signature',
        async (real: Forged) => {
          const [h, p, s] = segments(real.signature);
          return { ...real, signature: `${h}.${p}.${padded(s)}` };
        },
      ],
      [
        'a copy of its claims signed by 510000',
        async (real: Forged) => signed(real.claims as Claims, keysOf(SC).gateway),
      ],
      [
        'a copy of its claims re-signed with iss 510000',
        async (real: Forged) => signed({ ...(real.claims as Claims), iss: SC }, keysOf(SC).gateway),
      ],
    ])('does not let %s burn the jti of the real call', async (_name, forge) => {
      const real = await signed();
      const forged = await sendForged(await forge(real), traceparentOf(newTraceId()));
      expect(forged.status).toBeGreaterThanOrEqual(400);
      const answer = await sendForged(real, traceparentOf(newTraceId()));
      expect(answer.status).toBe(200);
    });
  });
});
