import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { DependencyUnavailableError, PeerUnavailableError } from '../../../lib/errors.ts';
import { CircuitBreaker } from '../../../lib/interop/circuit-breaker.ts';
import { type AuditSink, HttpPeerClient, outboundOf } from '../../../lib/interop/peer-client.ts';
import { ReceiptInvalidError } from '../../../lib/interop/receipt.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { Signer } from '../../../lib/signing/signer.ts';

type Mode =
  | 'hang'
  | 'no-receipt'
  | 'flood'
  | 'multibyte'
  | 'not-utf8'
  | 'stall-body'
  | 'redirect'
  | 'declared-large';

/** A loopback peer that misbehaves in one way, and counts what reaches it. */
function peerServer(mode: Mode) {
  let hits = 0;
  let sent = 0;
  let cutOff = false;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    if (mode === 'hang') return;
    if (mode === 'no-receipt') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"01"}');
      return;
    }
    if (mode === 'stall-body') {
      // The headers and the start of the body at once, then silence.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      return;
    }
    if (mode === 'redirect') {
      res.writeHead(307, { location: `http://127.0.0.1:1${req.url ?? '/'}` });
      res.end();
      return;
    }
    if (mode === 'declared-large') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
      res.write('{"status":');
      return;
    }
    if (mode === 'not-utf8') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
      return;
    }
    // Chunked, no content-length: 64 KiB of three-byte characters at a time.
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.from('中'.repeat((64 * 1024) / 4));
    res.on('close', () => {
      cutOff = !res.writableFinished;
    });
    const pump = () => {
      // 'multibyte': 1.2 MB in bytes but only 0.4 M characters, then the end.
      while (!res.destroyed && (mode === 'flood' || sent < 1_200_000)) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  return {
    server,
    hits: () => hits,
    sent: () => sent,
    cutOff: () => cutOff,
    listen: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A loopback URL where nothing listens: the port was just freed. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** The gateway key, failing like a throttled KMS while `failing` is set. */
function flakySigner(signer: Signer) {
  const state = { failing: false, calls: 0 };
  const flaky: Signer = {
    purpose: signer.purpose,
    kid: signer.kid,
    publicJwk: signer.publicJwk,
    async signDer(message) {
      state.calls++;
      if (state.failing) {
        throw new DependencyUnavailableError(
          'KMS signing with the gateway key',
          Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
        );
      }
      return signer.signDer(message);
    },
  };
  return { signer: flaky, state };
}

describe('calling a province that is down or misbehaves', () => {
  const hanging = peerServer('hang');
  const lying = peerServer('no-receipt');
  const flooding = peerServer('flood');
  const multibyte = peerServer('multibyte');
  const garbled = peerServer('not-utf8');
  const stalling = peerServer('stall-body');
  const redirecting = peerServer('redirect');
  const declaring = peerServer('declared-large');
  const clock = fixedClock('2026-06-01T00:00:00Z');
  const events: AuditEvent[] = [];
  const auditStore: AuditSink = { write: async (e: AuditEvent) => void events.push(e) };
  let client: HttpPeerClient;
  let flaky: ReturnType<typeof flakySigner>;
  let flakyClient: HttpPeerClient;

  beforeAll(async () => {
    const servers = [hanging, lying, flooding, multibyte, garbled, stalling, redirecting, declaring];
    const [hangUrl, lieUrl, floodUrl, multibyteUrl, garbledUrl, stallUrl, redirectUrl, declareUrl] =
      await Promise.all(servers.map((s) => s.listen()));
    const dir = await mkdtemp(join(tmpdir(), 'elg-peer-'));
    const ring = (id: string) => loadLocalKeyRing(join(dir, id));
    const self = await ring('330000');
    const peer = async (id: string, name: string, baseUrl: string | undefined) => ({
      id,
      name,
      baseUrl: baseUrl ?? '',
      jwks: jwksOf(await ring(id)),
      status: 'active' as const,
    });
    const registry = TrustRegistry.fromClaims({
      iss: 'test',
      iat: 0,
      seq: 1,
      provinces: [
        { id: '330000', name: 'self', baseUrl: 'http://127.0.0.1:1', jwks: jwksOf(self), status: 'active' },
        await peer('310000', 'hangs', hangUrl),
        await peer('320000', 'lies', lieUrl),
        await peer('340000', 'floods', floodUrl),
        await peer('350000', 'multibyte', multibyteUrl),
        await peer('360000', 'garbled', garbledUrl),
        await peer('370000', 'down', await closedPortUrl()),
        await peer('410000', 'stalls its body', stallUrl),
        await peer('420000', 'redirects', redirectUrl),
        await peer('430000', 'declares too much', declareUrl),
      ],
    });
    const options = { self: '330000', registry, auditStore, clock, timeoutMs: 200 };
    client = new HttpPeerClient({
      ...options,
      signer: self.gateway,
      breaker: new CircuitBreaker({ clock, failureThreshold: 3, openMs: 30_000 }),
    });
    flaky = flakySigner(self.gateway);
    flakyClient = new HttpPeerClient({
      ...options,
      signer: flaky.signer,
      breaker: new CircuitBreaker({ clock, failureThreshold: 1, openMs: 30_000 }),
    });
  });
  afterAll(async () => {
    await Promise.all(
      [hanging, lying, flooding, multibyte, garbled, stalling, redirecting, declaring].map((s) => s.close()),
    );
  });

  const call = (peer: string, via = client) =>
    via.call(peer, 'POST', '/v1/interop/verify', { x: 1 }, { traceId: 'ab'.repeat(16) });
  const lastEvent = () => events.at(-1);

  it('gives up on a peer that does not answer, with PEER_UNAVAILABLE, and audits the attempt', async () => {
    await expect(call('310000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(lastEvent()).toMatchObject({
      action: 'interop.outbound',
      outcome: 'error',
      peer: '310000',
      details: { error: 'no answer within 200 ms' },
    });
  });

  it('opens the circuit after repeated failures so the dead peer is no longer called', async () => {
    await expect(call('310000')).rejects.toBeInstanceOf(PeerUnavailableError);
    await expect(call('310000')).rejects.toBeInstanceOf(PeerUnavailableError);
    const reached = hanging.hits();
    await expect(call('310000')).rejects.toThrow(/circuit open/);
    expect(hanging.hits()).toBe(reached);
    expect(client.breaker.state('310000')).toBe('open');
  });

  it('lets one trial call through once the pause is over', async () => {
    clock.set('2026-06-01T00:00:31Z');
    const reached = hanging.hits();
    await expect(call('310000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(hanging.hits()).toBe(reached + 1);
    expect(client.breaker.state('310000')).toBe('open');
  });

  it('refuses an answer that carries no receipt', async () => {
    await expect(call('320000')).rejects.toBeInstanceOf(ReceiptInvalidError);
  });

  it('refuses to call a province the registry does not list', async () => {
    await expect(call('650000')).rejects.toBeInstanceOf(PeerUnavailableError);
  });

  it('names a refused connection as the cause', async () => {
    await expect(call('370000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(lastEvent()).toMatchObject({
      peer: '370000',
      outcome: 'error',
      details: { error: 'unreachable (connection refused)' },
    });
  });

  it('writes no event for a call its caller records, and hands the record over on the error', async () => {
    const written = events.length;
    const recorded = (peer: string) =>
      client
        .call(
          peer,
          'POST',
          '/v1/interop/verify',
          { x: 1 },
          { traceId: 'ab'.repeat(16), recordedBy: 'caller' },
        )
        .catch((e: unknown) => e);

    const down = await recorded('370000');
    const unknown = await recorded('650000');

    expect(events).toHaveLength(written);
    expect(down).toBeInstanceOf(PeerUnavailableError);
    expect(outboundOf(down)).toMatchObject({
      peer: '370000',
      method: 'POST',
      path: '/v1/interop/verify',
      outcome: 'error',
      details: { jti: expect.any(String), error: 'unreachable (connection refused)', ms: expect.any(Number) },
    });
    expect(outboundOf(unknown)).toMatchObject({
      peer: '650000',
      details: { error: 'not an active province in the trust registry' },
    });
    expect(outboundOf(new Error('no call'))).toBeUndefined();
  });

  it('cuts off a chunked answer without end as soon as it passes 1 MB', async () => {
    // Act
    const attempt = call('340000');

    // Assess
    await expect(attempt).rejects.toThrow(/answer larger than 1048576 bytes/);
    await expect.poll(() => flooding.cutOff()).toBe(true);
    expect(flooding.sent()).toBeLessThan(8 * 1024 * 1024);
    expect(lastEvent()).toMatchObject({
      peer: '340000',
      details: { error: 'answer larger than 1048576 bytes' },
    });
  });

  it('counts the bytes of an answer, not its characters', async () => {
    // 1.2 MB of three-byte characters is 0.4 M characters: under the cap only if counted wrong.
    await expect(call('350000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(lastEvent()).toMatchObject({
      peer: '350000',
      details: { error: 'answer larger than 1048576 bytes' },
    });
  });

  it('refuses an answer that is not valid UTF-8 instead of reading it with replacement characters', async () => {
    await expect(call('360000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(lastEvent()).toMatchObject({ peer: '360000', details: { error: 'answer is not valid UTF-8' } });
  });

  it('holds one deadline over the whole answer: headers at once, then a body that stalls', async () => {
    const started = Date.now();

    await expect(call('410000')).rejects.toBeInstanceOf(PeerUnavailableError);

    expect(Date.now() - started).toBeLessThan(2000);
    expect(lastEvent()).toMatchObject({ peer: '410000', details: { error: 'no answer within 200 ms' } });
  });

  it('follows no redirect: the answer is no answer', async () => {
    const reached = redirecting.hits();

    await expect(call('420000')).rejects.toBeInstanceOf(PeerUnavailableError);

    expect(redirecting.hits()).toBe(reached + 1);
    expect(lastEvent()).toMatchObject({
      peer: '420000',
      outcome: 'error',
      details: { error: 'unreachable' },
    });
  });

  it('refuses an answer that declares more than 1 MB before reading it', async () => {
    await expect(call('430000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(lastEvent()).toMatchObject({
      peer: '430000',
      details: { error: 'answer larger than 1048576 bytes' },
    });
  });

  it('blames its own key, not the peer, when the request cannot be signed, and audits the attempt', async () => {
    // Prepare
    flaky.state.failing = true;
    const reached = lying.hits();

    // Act
    const attempt = call('320000', flakyClient);

    // Assess
    const err = await attempt.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
    expect(lying.hits()).toBe(reached);
    expect(lastEvent()).toMatchObject({
      action: 'interop.outbound',
      outcome: 'error',
      peer: '320000',
      details: { error: 'signing failed', cause: 'ThrottlingException: Rate exceeded' },
    });
    expect(flakyClient.breaker.state('320000')).toBe('closed');
  });

  it('does not leave a half-open circuit stuck when its trial call cannot be signed', async () => {
    // Prepare: the circuit to 320000 opened (threshold 1) and its pause is over.
    flaky.state.failing = false;
    await expect(call('320000', flakyClient)).rejects.toBeInstanceOf(ReceiptInvalidError);
    expect(flakyClient.breaker.state('320000')).toBe('open');
    clock.set(new Date(clock.now().getTime() + 30_000));
    flaky.state.failing = true;
    await expect(call('320000', flakyClient)).rejects.toBeInstanceOf(DependencyUnavailableError);
    const reached = lying.hits();

    // Act: signing works again.
    flaky.state.failing = false;
    const next = call('320000', flakyClient);

    // Assess: the next call is the trial, and it reaches the peer.
    await expect(next).rejects.toBeInstanceOf(ReceiptInvalidError);
    expect(lying.hits()).toBe(reached + 1);
  });
});
