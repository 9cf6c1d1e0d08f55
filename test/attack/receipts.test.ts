import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RECEIPT_JWS_TYPE } from '../../contracts/interop.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { Federation } from '../../federation/federation.ts';
import { bodyHash } from '../../lib/interop/body-hash.ts';
import { signReceipt } from '../../lib/interop/receipt.ts';
import type { JwsSigner } from '../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../lib/signing/signer.ts';
import { sampleIssue } from '../support/gateway.ts';
import { b64u, forgeJws, padded, segments, signSegments } from './forge.ts';
import { attackFederation, bearer, newEvents, send, snapshot } from './harness.ts';
import { type Behaviour, HostilePeer, honest, type Relayed } from './hostile-peer.ts';

/**
 * Receipts under attack (docs/protocol.md §7.4-7.5): 310000's place in the registry is taken by a hostile
 * server that relays to the real 310000 and then lies about the answer, with 310000's own keys
 * where the lie needs them. 330000's platform verifies a 310000 license through it: whatever the
 * lie, the verdict is never `valid`, and 330000's audit records the outbound call.
 */

const SH = '310000';
const ZJ = '330000';

describe('receipts from a hostile issuing province', () => {
  const hostile = new HostilePeer();
  let f: Federation;
  let identifier: string;
  let otherIdentifier: string;
  let stranger: KeyRing;
  /** A real answer with its real receipt, from an earlier call: replayed later. */
  let earlier: { body: string; receipt: string | null; status: number } | undefined;

  beforeAll(async () => {
    const at = await hostile.listen();
    f = await attackFederation([SH, ZJ], 'rcpt', { baseUrlOverrides: { [SH]: at } });
    hostile.target = f.province(SH).url;
    stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-attack-stranger-')));
    const issue = async (overrides: Record<string, unknown>) => {
      const res = await send(f.province(SH).url, '/v1/licenses', {
        headers: bearer(f.province(SH), 'issuer'),
        body: JSON.stringify(sampleIssue(overrides)),
      });
      expect(res.status).toBe(201);
      return IssueResponseSchema.parse(res.json).identifier;
    };
    identifier = await issue({});
    otherIdentifier = await issue({ number: '沪建安A(2026)000999' });
    hostile.behaviour = (r) => {
      earlier = { body: r.real.text, receipt: r.real.receipt, status: r.real.status };
      return honest(r);
    };
    expect((await verifyFromZhejiang()).verdict).toBe('valid');
  });
  afterAll(async () => {
    await f?.stop();
    await hostile.close();
  });

  const sh = () => f.province(SH);
  const zj = () => f.province(ZJ);
  const shKeys = () => sh().gateway.keys;

  const verifyFromZhejiang = async () => {
    const res = await send(zj().url, '/v1/verify', {
      headers: bearer(zj(), 'platform'),
      body: JSON.stringify({ identifier, matterCode: 'DEMO0001', useCause: '跨省核验' }),
    });
    expect(res.status).toBe(200);
    return VerifyResponseSchema.parse(res.json);
  };

  // An honest round before every case closes 330000's circuit to 310000 again, so each lie is
  // really delivered and judged rather than cut off by the circuit breaker.
  beforeEach(async () => {
    hostile.behaviour = honest;
    expect((await verifyFromZhejiang()).verdict).toBe('valid');
  });

  interface ReceiptOverrides {
    iss?: string;
    aud?: string;
    rjti?: string;
    bsh?: string;
    sts?: number;
    tid?: string;
    iat?: number;
  }
  const receiptClaims = (r: Relayed, body: string, status: number, o: ReceiptOverrides = {}) => ({
    iss: SH,
    aud: r.claims.iss,
    rjti: r.claims.jti,
    bsh: bodyHash(body),
    sts: status,
    iat: Math.floor(Date.now() / 1000),
    tid: r.claims.tid,
    ...o,
  });
  /** The real answer with a receipt forged by `signer` over claims changed by `o`. */
  const realAnswerWith =
    (
      signer: () => JwsSigner,
      o: ReceiptOverrides = {},
      header: () => Record<string, unknown> = () => ({}),
    ): Behaviour =>
    async (r) => ({
      status: r.real.status,
      body: r.real.text,
      receipt: await forgeJws(
        signer(),
        { alg: 'ES256', typ: RECEIPT_JWS_TYPE, kid: signer().kid, ...header() },
        receiptClaims(r, r.real.text, r.real.status, o),
      ),
    });
  /** `body` and `status` with a receipt 310000's real gateway key signs over exactly them. */
  const provenAnswer = async (r: Relayed, body: string, status: number, chunked = false) => ({
    status,
    body,
    chunked,
    receipt: await signReceipt(shKeys().gateway, {
      iss: SH,
      aud: r.claims.iss,
      rjti: r.claims.jti,
      body,
      status,
      traceId: r.claims.tid,
      now: new Date(),
    }),
  });

  const cases: [string, Behaviour][] = [
    ['no receipt', (r) => ({ status: r.real.status, body: r.real.text, receipt: null })],
    [
      'an empty receipt',
      (r) => ({ status: r.real.status, body: r.real.text, headers: { 'ELG-Receipt': '' } }),
    ],
    ['a receipt signed by 330000’s gateway key', realAnswerWith(() => zj().gateway.keys.gateway)],
    ['a receipt signed by a key the registry does not list', realAnswerWith(() => stranger.gateway)],
    ['a receipt signed by 310000’s credential key', realAnswerWith(() => shKeys().credential)],
    ['a receipt signed by 310000’s audit key', realAnswerWith(() => shKeys().audit)],
    [
      'a receipt for another request (rjti)',
      realAnswerWith(() => shKeys().gateway, { rjti: 'AAAAAAAAAAAAAAAAAAAAAAAA' }),
    ],
    ['a receipt over another body (bsh)', realAnswerWith(() => shKeys().gateway, { bsh: bodyHash('{}') })],
    ['a receipt stating another status (sts)', realAnswerWith(() => shKeys().gateway, { sts: 201 })],
    [
      'a receipt addressed to another province (aud)',
      realAnswerWith(() => shKeys().gateway, { aud: '510000' }),
    ],
    ['a receipt naming another trace (tid)', realAnswerWith(() => shKeys().gateway, { tid: 'f'.repeat(32) })],
    [
      'a receipt issued in another province’s name (iss)',
      realAnswerWith(() => shKeys().gateway, { iss: '320000' }),
    ],
    [
      'a receipt with b64:false and crit',
      async (r) => {
        const payload = JSON.stringify(receiptClaims(r, r.real.text, r.real.status));
        const header = b64u(
          JSON.stringify({
            alg: 'ES256',
            typ: RECEIPT_JWS_TYPE,
            kid: shKeys().gateway.kid,
            b64: false,
            crit: ['b64'],
          }),
        );
        return {
          status: r.real.status,
          body: r.real.text,
          receipt: await signSegments(shKeys().gateway, header, payload),
        };
      },
    ],
    [
      'a receipt whose header embeds a jwk',
      realAnswerWith(
        () => shKeys().gateway,
        {},
        () => ({
          jwk: { kty: 'EC', crv: 'P-256', x: shKeys().gateway.publicJwk.x, y: shKeys().gateway.publicJwk.y },
        }),
      ),
    ],
    [
      'a receipt with the request typ',
      realAnswerWith(
        () => shKeys().gateway,
        {},
        () => ({ typ: 'elg-request+jwt' }),
      ),
    ],
    [
      'a receipt with alg none',
      async (r) => {
        const claims = receiptClaims(r, r.real.text, r.real.status);
        const receipt = `${b64u(JSON.stringify({ alg: 'none', typ: RECEIPT_JWS_TYPE, kid: shKeys().gateway.kid }))}.${b64u(JSON.stringify(claims))}.`;
        return { status: r.real.status, body: r.real.text, receipt };
      },
    ],
    [
      'a receipt whose signature segment is padded',
      async (r) => {
        const good = await provenAnswer(r, r.real.text, r.real.status);
        const [h, p, s] = segments(good.receipt);
        return { ...good, receipt: `${h}.${p}.${padded(s)}` };
      },
    ],
    [
      'an earlier answer replayed with its own receipt',
      () => {
        if (!earlier) throw new Error('no earlier answer recorded');
        return earlier;
      },
    ],
    [
      'an answer naming another identifier, with a receipt over it',
      async (r) => {
        const body = JSON.parse(r.real.text) as Record<string, unknown>;
        return provenAnswer(r, JSON.stringify({ ...body, identifier: otherIdentifier }), 200);
      },
    ],
    [
      'an answer claiming status 01 under HTTP 500, with a receipt over it',
      async (r) => provenAnswer(r, r.real.text, 500),
    ],
    [
      'a 2 MB chunked answer, with a receipt over it',
      async (r) => provenAnswer(r, `${r.real.text}${' '.repeat(2 * 1024 * 1024)}`, 200, true),
    ],
    [
      'a redirect to the real province',
      (r) => ({
        status: 307,
        body: '',
        headers: { location: `${sh().url}${r.path}` },
        receipt: r.real.receipt,
      }),
    ],
  ];

  it.each(cases)(
    'finds the license unverified, never valid, against %s, and audits the outbound call',
    async (_name, behaviour) => {
      hostile.behaviour = behaviour;
      const hitsBefore = hostile.hits;
      const before = await snapshot(zj());

      const answer = await verifyFromZhejiang();

      expect(hostile.hits).toBe(hitsBefore + 1);
      expect(answer.verdict).toBe('unverified');
      expect(answer.checks.status).not.toBe('pass');
      expect(answer.reasons.map((r) => r.code)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^(RECEIPT_INVALID|PEER_UNAVAILABLE)$/)]),
      );
      // Exactly one new event on this side: the verify event, carrying the outbound call.
      const events = await newEvents(zj(), before);
      expect(events.map((e) => `${e.action}:${e.outcome}:${e.traceId}`)).toEqual([
        `verify:success:${answer.traceId}`,
      ]);
      const call = (events[0]?.details ?? {}) as Record<string, unknown>;
      expect(call).toMatchObject({ direction: 'outbound', verdict: 'unverified' });
      expect(typeof call.jti).toBe('string');
      expect(typeof call.ms).toBe('number');
      expect(events[0]?.peer).toBe('310000');
      // An answer its receipt does not prove is no successful call, whatever its status: the
      // event names its failure, and keeps no receipt.
      if (answer.reasons.some((r) => r.code === 'RECEIPT_INVALID')) {
        expect(typeof call.error).toBe('string');
        expect(call.receipt).toBeNull();
      }
    },
  );
});
