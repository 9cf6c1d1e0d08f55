import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { PeerUnavailableError } from '../../../lib/errors.ts';
import { HttpPeerClient } from '../../../lib/interop/peer-client.ts';
import { ReceiptInvalidError } from '../../../lib/interop/receipt.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { signedServer } from './signed-server.ts';

const SH = '310000';
const ZJ = '330000';
const HANGS = '320000';
const LIES = '340000';
const TRACE = 'ef'.repeat(16);
const TEXT = 'old 0\n\nelg/330000/audit\n1\nAAAA\n\n— elg/330000/audit 中文\n';

/** 330000 calls 310000's signed routes with text bodies. */
describe('a signed call with a text body', () => {
  const clock = fixedClock('2026-06-01T08:00:00Z');
  const events: AuditEvent[] = [];
  let sh: KeyRing;
  let zj: KeyRing;
  let registry: TrustRegistry;
  let client: HttpPeerClient;
  const seen: { text: string; contentType: string | undefined }[] = [];
  let shServer: Awaited<ReturnType<typeof signedServer>>;
  const plain = createServer((req, res) => {
    req.resume();
    if (req.url?.startsWith('/hang')) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('no receipt\n');
  });

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elg-peer-text-'));
    [sh, zj] = await Promise.all([loadLocalKeyRing(join(dir, SH)), loadLocalKeyRing(join(dir, ZJ))]);
    const [hangs, lies] = await Promise.all([
      loadLocalKeyRing(join(dir, HANGS)),
      loadLocalKeyRing(join(dir, LIES)),
    ]);
    shServer = await signedServer({
      province: SH,
      gatewaySigner: sh.gateway,
      callers: () => registry,
      clock,
      routes: (app) => {
        app.post('/v1/echo', (c) => {
          seen.push({ text: c.get('rawBody') ?? '', contentType: c.req.header('content-type') });
          return c.body(c.get('rawBody') ?? '', 200, { 'content-type': 'text/plain; charset=utf-8' });
        });
        app.post('/v1/conflict', (c) => c.body('42\n', 409, { 'content-type': 'text/x.tlog.size' }));
        app.post('/v1/json', async (c) => {
          seen.push({ text: c.get('rawBody') ?? '', contentType: c.req.header('content-type') });
          return c.json({ ok: true });
        });
      },
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const entry = (id: string, baseUrl: string, keys: KeyRing) => ({
      id,
      name: id,
      baseUrl,
      jwks: jwksOf(keys),
      status: 'active' as const,
    });
    registry = TrustRegistry.fromClaims({
      iss: 'test',
      iat: 0,
      seq: 1,
      provinces: [
        entry(SH, shServer.url, sh),
        entry(ZJ, 'http://127.0.0.1:1', zj),
        entry(HANGS, plainUrl, hangs),
        entry(LIES, plainUrl, lies),
      ],
    });
    client = new HttpPeerClient({
      self: ZJ,
      signer: zj.gateway,
      registry,
      auditStore: { write: async (e) => void events.push(e) },
      clock,
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    await shServer?.close();
    plain.closeAllConnections();
    await new Promise<void>((r) => plain.close(() => r()));
  });

  const text = (peer: string, path: string, extra: { timeoutMs?: number } = {}) =>
    client.callText(
      peer,
      'POST',
      path,
      { text: TEXT, contentType: 'text/plain; charset=utf-8', ...extra },
      { traceId: TRACE },
    );

  it('sends the text as it is, with its content type, and gets back status, text and content type', async () => {
    const answer = await text(SH, '/v1/echo');

    expect(seen.at(-1)).toEqual({ text: TEXT, contentType: 'text/plain; charset=utf-8' });
    expect(answer).toMatchObject({ status: 200, text: TEXT, contentType: 'text/plain; charset=utf-8' });
    expect(answer.receipt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(events.at(-1)).toMatchObject({
      action: 'interop.outbound',
      outcome: 'success',
      peer: SH,
      path: '/v1/echo',
      traceId: TRACE,
      details: { status: 200, receipt: answer.receipt },
    });
  });

  it('resolves with a refusal, its text and content type, audited as refused', async () => {
    const answer = await text(SH, '/v1/conflict');

    expect(answer).toMatchObject({ status: 409, text: '42\n', contentType: 'text/x.tlog.size' });
    expect(events.at(-1)).toMatchObject({ outcome: 'refused', details: { status: 409 } });
  });

  it('refuses an answer without a receipt, as JSON calls do', async () => {
    await expect(text(LIES, '/v1/echo')).rejects.toBeInstanceOf(ReceiptInvalidError);
    expect(events.at(-1)).toMatchObject({ outcome: 'error', peer: LIES });
  });

  it('gives up at the bound of the call when it is below the client’s', async () => {
    await expect(text(HANGS, '/hang', { timeoutMs: 50 })).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(events.at(-1)).toMatchObject({
      outcome: 'error',
      peer: HANGS,
      details: { error: 'no answer within 50 ms' },
    });
  });

  it('hands the record to a caller that records the call itself', async () => {
    const before = events.length;
    const answer = await client.callText(
      SH,
      'POST',
      '/v1/echo',
      { text: 'x\n', contentType: 'text/plain' },
      { traceId: TRACE, recordedBy: 'caller' },
    );

    expect(events.length).toBe(before);
    expect(answer.outbound).toMatchObject({ peer: SH, outcome: 'success', details: { status: 200 } });
  });

  it('refuses a content type that is not one, before anything is sent', async () => {
    const before = seen.length;
    await expect(
      client.callText(SH, 'POST', '/v1/echo', { text: 'x', contentType: 'text\nplain' }, { traceId: TRACE }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(seen.length).toBe(before);
  });

  it('leaves JSON calls as they were: a JSON body sent as application/json, the answer parsed', async () => {
    const answer = await client.call(SH, 'POST', '/v1/json', { a: '中' }, { traceId: TRACE });

    expect(seen.at(-1)).toEqual({ text: '{"a":"中"}', contentType: 'application/json' });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    expect(answer).not.toHaveProperty('text');
  });
});
