import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgreementDocument } from '../../contracts/agreement.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { RECEIPT_HEADER, type RequestClaims, SIGNATURE_HEADER } from '../../contracts/interop.ts';
import type { Federation } from '../../federation/federation.ts';
import { signDocument } from '../../lib/agreements/signatures.ts';
import { ulid } from '../../lib/ids.ts';
import { bodyHash } from '../../lib/interop/body-hash.ts';
import { verifyReceipt } from '../../lib/interop/receipt.ts';
import { signCompactJws } from '../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { Signer } from '../../lib/signing/signer.ts';
import { testFederation } from '../support/federation.ts';

const PATH = '/v1/interop/verify';

describe('signed cross-province calls over HTTP', () => {
  let f: Federation;
  let body: string;

  beforeAll(async () => {
    f = await testFederation({ name: 'sig', provinces: ['310000', '330000'] });
    body = JSON.stringify({
      identifier: '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000001.001.8',
      matterCode: 'DEMO0001',
      useCause: '窗口核验',
      requester: { platform: 'zj-window' },
    });
  });
  afterAll(async () => {
    await f?.stop();
  });

  const zj = () => f.province('330000');
  const sh = () => f.province('310000');

  function claims(overrides: Partial<RequestClaims> = {}): RequestClaims {
    return {
      iss: '330000',
      aud: '310000',
      htm: 'POST',
      htu: PATH,
      bsh: bodyHash(body),
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(18).toString('base64url'),
      tid: randomBytes(16).toString('hex'),
      ...overrides,
    };
  }

  async function send(
    signature: string | undefined,
    options: { path?: string; body?: string; method?: string } = {},
  ) {
    const res = await fetch(`${sh().url}${options.path ?? PATH}`, {
      method: options.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { [SIGNATURE_HEADER]: signature } : {}),
      },
      body: options.body ?? body,
    });
    const text = await res.text();
    return { status: res.status, text, receipt: res.headers.get(RECEIPT_HEADER), code: code(text) };
  }

  function code(text: string) {
    try {
      return ErrorBodySchema.parse(JSON.parse(text)).error.code;
    } catch {
      return undefined;
    }
  }

  const sign = (c: RequestClaims, signer: Signer = zj().gateway.keys.gateway, typ = 'elg-request+jwt') =>
    signCompactJws(signer, { typ }, c);

  async function inboundRefusals() {
    const g = sh().storage;
    const out = await g.doc.send(new ScanCommand({ TableName: g.tables.audit, ConsistentRead: true }));
    return (out.Items ?? []).filter((e) => e.details?.direction === 'inbound' && e.outcome === 'refused');
  }

  it('answers a well-signed call with a receipt over exactly that answer', async () => {
    const c = claims();
    const res = await send(await sign(c));
    // No agreement yet grants 330000 anything on this identifier here, or the license is unknown:
    // either way the answer is a refusal the caller can prove with the receipt.
    expect([403, 404]).toContain(res.status);
    const verified = await verifyReceipt(res.receipt, {
      peer: '310000',
      self: '330000',
      rjti: c.jti,
      body: res.text,
      status: res.status,
      traceId: c.tid,
      registry: zj().gateway.registry,
    });
    expect(verified.iss).toBe('310000');
  });

  const attacks: [
    string,
    () => Promise<{ signature?: string; path?: string; body?: string; method?: string }>,
    string,
  ][] = [
    ['a missing signature', async () => ({}), 'SIGNATURE_INVALID'],
    [
      'a key the registry does not list',
      async () => {
        const stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-stranger-')));
        return { signature: await sign(claims(), stranger.gateway) };
      },
      'SIGNATURE_INVALID',
    ],
    [
      'a key of another purpose',
      async () => ({ signature: await sign(claims(), zj().gateway.keys.credential) }),
      'SIGNATURE_INVALID',
    ],
    [
      'another audience',
      async () => ({ signature: await sign(claims({ aud: '330000' })) }),
      'SIGNATURE_INVALID',
    ],
    [
      'another signed method',
      async () => ({ signature: await sign(claims({ htm: 'PUT' })) }),
      'SIGNATURE_INVALID',
    ],
    [
      'another path than signed',
      async () => ({ signature: await sign(claims({ htu: `${PATH}?level=4` })) }),
      'SIGNATURE_INVALID',
    ],
    [
      'a body changed by one byte',
      async () => ({ signature: await sign(claims()), body: body.replace('窗口核验', '窗口核检') }),
      'SIGNATURE_INVALID',
    ],
    [
      'an iat outside the 300 s window',
      async () => ({ signature: await sign(claims({ iat: Math.floor(Date.now() / 1000) - 301 })) }),
      'SIGNATURE_INVALID',
    ],
    [
      'alg none',
      async () => {
        const h = Buffer.from(
          JSON.stringify({ alg: 'none', typ: 'elg-request+jwt', kid: zj().gateway.keys.gateway.kid }),
        ).toString('base64url');
        const p = Buffer.from(JSON.stringify(claims())).toString('base64url');
        return { signature: `${h}.${p}.` };
      },
      'SIGNATURE_INVALID',
    ],
    ['a wrong typ', async () => ({ signature: await sign(claims(), undefined, 'JWT') }), 'SIGNATURE_INVALID'],
  ];

  it.each(attacks)('refuses %s with its code and audits it', async (_name, make, expected) => {
    const before = (await inboundRefusals()).length;
    const { signature, ...options } = await make();
    const res = await send(signature, options);
    expect(res.status).toBe(401);
    expect(res.code).toBe(expected);
    expect((await inboundRefusals()).length).toBe(before + 1);
  });

  it('refuses the same signed request the second time as REPLAYED', async () => {
    const signature = await sign(claims());
    const first = await send(signature);
    const second = await send(signature);
    expect(first.status).not.toBe(409);
    expect(second.status).toBe(409);
    expect(second.code).toBe('REPLAYED');
  });

  it('does not let a refused forgery burn the jti of a real call', async () => {
    const c = claims();
    const forged = await send(await sign(c), { body: body.replace('zj-window', 'zj-windo') });
    expect(forged.status).toBe(401);
    const real = await send(await sign(c));
    expect(real.status).not.toBe(409);
  });

  describe('agreement deliveries', () => {
    const doc = (overrides: Partial<AgreementDocument> = {}): AgreementDocument => ({
      id: `agr_${ulid()}`,
      name: '浙沪互认补充协议',
      parties: ['310000', '330000'],
      grants: [
        {
          grantor: '*',
          grantee: '*',
          actions: ['verify'],
          licenseTypes: ['*'],
          matterCodes: ['*'],
          maxDataLevel: 3,
        },
      ],
      validFrom: '2026-01-01',
      validUntil: '2030-12-31',
      proposer: '330000',
      proposedAt: new Date().toISOString(),
      ...overrides,
    });
    const deliver = (d: AgreementDocument, signatures: unknown[]) =>
      zj().gateway.peers.call(
        '310000',
        'POST',
        '/v1/interop/agreements',
        { document: d, signatures },
        {
          traceId: randomBytes(16).toString('hex'),
        },
      );
    const codeOf = (body: unknown) => ErrorBodySchema.parse(body).error.code;

    /** 310000's stored agreements, as its operator lists them. */
    const storedBy310000 = async () => {
      const list = await fetch(`${sh().url}/v1/agreements`, {
        headers: { authorization: `Bearer ${sh().tokens.operator}` },
      });
      expect(list.status).toBe(200);
      return ((await list.json()) as { items: { id: string; name: string }[] }).items;
    };

    /** Each refused delivery: what it sends, and the status and code it must get. */
    const refusals: [
      string,
      () => Promise<{ document: AgreementDocument; signatures: unknown[] }>,
      number,
      string,
    ][] = [
      [
        'a forged proposal whose signature covers another document',
        async () => {
          const signed = doc();
          const forged = {
            ...signed,
            grants: [{ ...signed.grants[0], maxDataLevel: 4 }],
          } as AgreementDocument;
          return {
            document: forged,
            signatures: [await signDocument(zj().gateway.keys.gateway, '330000', signed)],
          };
        },
        401,
        'SIGNATURE_INVALID',
      ],
      [
        'a signature by a province that is not a party',
        async () => {
          const d = doc();
          return {
            document: d,
            signatures: [
              await signDocument(zj().gateway.keys.gateway, '330000', d),
              await signDocument(zj().gateway.keys.gateway, '510000', d),
            ],
          };
        },
        403,
        'FORBIDDEN',
      ],
      [
        'an expired agreement',
        async () => {
          const d = doc({ validFrom: '2020-01-01', validUntil: '2021-12-31' });
          return { document: d, signatures: [await signDocument(zj().gateway.keys.gateway, '330000', d)] };
        },
        409,
        'CONFLICT',
      ],
    ];

    it.each(refusals)('refuses %s', async (_name, make, status, expected) => {
      const { document, signatures } = await make();
      const res = await deliver(document, signatures);
      expect(res.status).toBe(status);
      expect(codeOf(res.body)).toBe(expected);
    });

    it('stores none of the refused agreements', async () => {
      const sent: string[] = [];
      for (const [_name, make, status] of refusals) {
        const { document, signatures } = await make();
        const res = await deliver(document, signatures);
        expect(res.status).toBe(status);
        sent.push(document.id);
      }

      const items = await storedBy310000();
      expect(items.filter((a) => sent.includes(a.id))).toEqual([]);
      expect(items.filter((a) => a.name === '浙沪互认补充协议')).toEqual([]);
    });

    it('(control) stores a proposal that is properly signed, so the list would show a stored one', async () => {
      const d = doc({ name: '浙沪互认补充协议（对照）' });
      const res = await deliver(d, [await signDocument(zj().gateway.keys.gateway, '330000', d)]);
      expect(res.status).toBeLessThan(300);

      expect((await storedBy310000()).map((a) => a.id)).toContain(d.id);
    });
  });
});
