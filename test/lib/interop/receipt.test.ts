import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyHash } from '../../../lib/interop/body-hash.ts';
import { ReceiptInvalidError, signReceipt, verifyReceipt } from '../../../lib/interop/receipt.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf, signCompactJws } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';

describe('receipts of cross-province answers', () => {
  let sh: KeyRing;
  let zj: KeyRing;
  let registry: TrustRegistry;
  const now = new Date('2026-06-01T00:00:00Z');
  const tid = 'ab'.repeat(16);
  const answer = '{"status":"01"}';

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elg-receipt-'));
    sh = await loadLocalKeyRing(join(dir, 'sh'));
    zj = await loadLocalKeyRing(join(dir, 'zj'));
    registry = TrustRegistry.fromClaims({
      iss: 'test',
      iat: 0,
      seq: 1,
      provinces: [
        { id: '310000', name: 'sh', baseUrl: 'http://127.0.0.1:1', jwks: jwksOf(sh), status: 'active' },
        { id: '330000', name: 'zj', baseUrl: 'http://127.0.0.1:2', jwks: jwksOf(zj), status: 'active' },
      ],
    });
  });

  const expected = (overrides: Partial<Parameters<typeof verifyReceipt>[1]> = {}) => ({
    peer: '310000',
    self: '330000',
    rjti: 'request-jti-0001',
    body: answer,
    status: 200,
    traceId: tid,
    registry,
    ...overrides,
  });

  const receipt = (signer = sh.gateway, iss = '310000') =>
    signReceipt(signer, {
      iss,
      aud: '330000',
      rjti: 'request-jti-0001',
      body: answer,
      status: 200,
      traceId: tid,
      now,
    });

  it('accepts the callee’s receipt over exactly the answer it gave', async () => {
    const claims = await verifyReceipt(await receipt(), expected());
    expect(claims).toMatchObject({ iss: '310000', aud: '330000', sts: 200, tid });
  });

  const mismatches: [string, () => Promise<[string | null, ReturnType<typeof expected>]>][] = [
    ['a missing receipt', async () => [null, expected()]],
    ['a receipt for another request', async () => [await receipt(), expected({ rjti: 'another-jti-00001' })]],
    ['a changed answer body', async () => [await receipt(), expected({ body: '{"status":"07"}' })]],
    ['another status', async () => [await receipt(), expected({ status: 403 })]],
    ['another trace', async () => [await receipt(), expected({ traceId: 'cd'.repeat(16) })]],
    ['a receipt by another province', async () => [await receipt(zj.gateway, '330000'), expected()]],
    [
      'a receipt by the wrong key purpose',
      async () => [
        await signCompactJws(
          sh.credential,
          { typ: 'elg-receipt+jwt' },
          {
            iss: '310000',
            aud: '330000',
            rjti: 'request-jti-0001',
            bsh: bodyHash(answer),
            sts: 200,
            iat: 0,
            tid,
          },
        ),
        expected(),
      ],
    ],
  ];

  it.each(mismatches)('refuses %s', async (_name, make) => {
    const [jws, e] = await make();
    await expect(verifyReceipt(jws, e)).rejects.toBeInstanceOf(ReceiptInvalidError);
  });
});
