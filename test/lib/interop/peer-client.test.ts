import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { PeerUnavailableError } from '../../../lib/errors.ts';
import { CircuitBreaker } from '../../../lib/interop/circuit-breaker.ts';
import { HttpPeerClient } from '../../../lib/interop/peer-client.ts';
import { ReceiptInvalidError } from '../../../lib/interop/receipt.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { AuditStore } from '../../../lib/store/audit-store.ts';

/** A loopback peer that hangs, or answers without a receipt, and counts what reaches it. */
function peerServer(mode: 'hang' | 'no-receipt') {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    if (mode === 'no-receipt') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"01"}');
    }
  });
  return {
    server,
    hits: () => hits,
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

describe('calling a province that is down or misbehaves', () => {
  const hanging = peerServer('hang');
  const lying = peerServer('no-receipt');
  const clock = fixedClock('2026-06-01T00:00:00Z');
  const events: AuditEvent[] = [];
  const auditStore = { write: async (e: AuditEvent) => void events.push(e) } as unknown as AuditStore;
  let client: HttpPeerClient;

  beforeAll(async () => {
    const [hangUrl, lieUrl] = await Promise.all([hanging.listen(), lying.listen()]);
    const dir = await mkdtemp(join(tmpdir(), 'elg-peer-'));
    const self = await loadLocalKeyRing(join(dir, 'self'));
    const other = await loadLocalKeyRing(join(dir, 'other'));
    const registry = TrustRegistry.fromClaims({
      iss: 'test',
      iat: 0,
      seq: 1,
      provinces: [
        { id: '330000', name: 'self', baseUrl: 'http://127.0.0.1:1', jwks: jwksOf(self), status: 'active' },
        { id: '310000', name: 'hangs', baseUrl: hangUrl, jwks: jwksOf(other), status: 'active' },
        { id: '320000', name: 'lies', baseUrl: lieUrl, jwks: jwksOf(other), status: 'active' },
      ],
    });
    client = new HttpPeerClient({
      self: '330000',
      signer: self.gateway,
      registry,
      auditStore,
      clock,
      timeoutMs: 200,
      breaker: new CircuitBreaker({ clock, failureThreshold: 3, openMs: 30_000 }),
    });
  });
  afterAll(async () => {
    await Promise.all([hanging.close(), lying.close()]);
  });

  const call = (peer: string) =>
    client.call(peer, 'POST', '/v1/interop/verify', { x: 1 }, { traceId: 'ab'.repeat(16) });

  it('gives up on a peer that does not answer, with PEER_UNAVAILABLE, and audits the attempt', async () => {
    await expect(call('310000')).rejects.toBeInstanceOf(PeerUnavailableError);
    expect(events.at(-1)).toMatchObject({ action: 'interop.outbound', outcome: 'error', peer: '310000' });
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
});
