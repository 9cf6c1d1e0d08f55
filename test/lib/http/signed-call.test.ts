import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { RECEIPT_HEADER, ReceiptClaimsSchema, SIGNATURE_HEADER } from '../../../contracts/interop.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { SignatureInvalidError } from '../../../lib/errors.ts';
import type { GatewayEnv } from '../../../lib/http/env.ts';
import { renderError } from '../../../lib/http/errors.ts';
import { signedCall } from '../../../lib/http/signed-call.ts';
import { bodyHash } from '../../../lib/interop/body-hash.ts';
import { HttpPeerClient } from '../../../lib/interop/peer-client.ts';
import { signRequest } from '../../../lib/interop/request-signature.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';

const SH = '310000';
const ZJ = '330000';
const NOW = '2026-06-01T08:00:00.000Z';
const TRACE = 'cd'.repeat(16);
/** What the route answers: multibyte text, so bytes and characters differ. */
const ANSWER = { status: '01', holder: { name: '张三' }, note: 'ε ✓ 😀' };

/**
 * The signed-call layer of 310000 in front of three routes, served over HTTP by the Node server
 * the gateways run on, and 330000's peer client calling it.
 */
describe('the receipt of a signed call', () => {
  let sh: KeyRing;
  let zj: KeyRing;
  let url: string;
  let registry: TrustRegistry;
  let close: () => Promise<void>;
  const events: AuditEvent[] = [];
  const clock = fixedClock(NOW);

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elg-signed-call-'));
    [sh, zj] = await Promise.all([loadLocalKeyRing(join(dir, SH)), loadLocalKeyRing(join(dir, ZJ))]);
    const seen = new Set<string>();
    const app = new Hono<GatewayEnv>();
    app.onError((err, c) => renderError(err, c));
    const registryAt = (baseUrl: string) =>
      TrustRegistry.fromClaims({
        iss: 'test-root',
        iat: 0,
        seq: 1,
        provinces: [SH, ZJ].map((id) => ({
          id,
          name: id,
          baseUrl,
          jwks: jwksOf(id === SH ? sh : zj),
          status: 'active' as const,
        })),
      });
    let callers = registryAt('http://127.0.0.1:1');
    app.use(
      '/v1/interop/*',
      signedCall({
        province: SH,
        registry: { keyByKid: (kid, purpose) => callers.keyByKid(kid, purpose) },
        nonces: {
          claim: async (key) => {
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          },
        },
        gatewaySigner: sh.gateway,
        auditStore: {
          write: async (e) => {
            events.push(e);
          },
        },
        clock,
      }),
    );
    app.post('/v1/interop/answer', (c) => {
      c.header('x-route', 'kept');
      return c.json(ANSWER);
    });
    app.post('/v1/interop/empty', (c) => c.body(null, 204));
    app.post('/v1/interop/refuse', () => {
      throw new SignatureInvalidError('refused by the route');
    });
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    registry = registryAt(url);
    callers = registry;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close?.();
  });

  async function raw(path: string, body = '{}') {
    const { header } = await signRequest(zj.gateway, {
      iss: ZJ,
      aud: SH,
      method: 'POST',
      pathWithQuery: path,
      body,
      traceId: TRACE,
      now: clock.now(),
    });
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: header },
      body,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const receipt = res.headers.get(RECEIPT_HEADER);
    const claims = receipt
      ? ReceiptClaimsSchema.parse(
          JSON.parse(Buffer.from(receipt.split('.')[1] ?? '', 'base64url').toString('utf8')),
        )
      : undefined;
    return { res, bytes, claims };
  }

  it('covers exactly the bytes sent, which are the bytes the route answered, its headers kept', async () => {
    const { res, bytes, claims } = await raw('/v1/interop/answer');

    expect(res.status).toBe(200);
    expect(Buffer.from(bytes).toString('utf8')).toBe(JSON.stringify(ANSWER));
    expect(claims).toMatchObject({ iss: SH, aud: ZJ, sts: 200, tid: TRACE, bsh: bodyHash(bytes) });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-length')).toBe(String(bytes.byteLength));
    expect(res.headers.get('x-route')).toBe('kept');
  });

  it('covers an empty answer and a refusal as sent', async () => {
    const empty = await raw('/v1/interop/empty');
    const refused = await raw('/v1/interop/refuse');

    expect(empty.res.status).toBe(204);
    expect(empty.bytes.byteLength).toBe(0);
    expect(empty.claims).toMatchObject({ sts: 204, bsh: bodyHash('') });
    expect(refused.res.status).toBe(401);
    expect(JSON.parse(Buffer.from(refused.bytes).toString('utf8'))).toMatchObject({
      error: { code: 'SIGNATURE_INVALID', traceId: TRACE },
    });
    expect(refused.claims).toMatchObject({ sts: 401, bsh: bodyHash(refused.bytes) });
  });

  it('gives no receipt to a call whose signature does not verify, and audits it', async () => {
    const before = events.length;
    const res = await fetch(`${url}/v1/interop/answer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: 'a.b.c' },
      body: '{}',
    });

    expect(res.status).toBe(401);
    expect(res.headers.get(RECEIPT_HEADER)).toBeNull();
    expect(events.slice(before)).toMatchObject([
      { outcome: 'refused', details: { callerVerified: false, jti: null } },
    ]);
  });

  it('is checked by the peer client over the bytes it read, multibyte text included', async () => {
    const client = new HttpPeerClient({
      self: ZJ,
      signer: zj.gateway,
      registry,
      auditStore: { write: async () => undefined },
      clock,
    });

    const answered = await client.call(SH, 'POST', '/v1/interop/answer', {}, { traceId: TRACE });
    const empty = await client.call(SH, 'POST', '/v1/interop/empty', {}, { traceId: TRACE });

    expect(answered).toMatchObject({ status: 200, body: ANSWER });
    expect(empty).toMatchObject({ status: 204, body: null });
  });
});
