import { describe, expect, it } from 'vitest';
import { InteropRoute } from '../../../contracts/interop-routes.ts';
import { deliverDue, type Outbox, type OutboxEntry } from '../../../lib/delivery/deliver.ts';
import { PeerUnavailableError } from '../../../lib/errors.ts';
import type { PeerCallResult, PeerClient } from '../../../lib/interop/peer-client.ts';

const NOW = new Date('2026-06-01T08:00:00.000Z');

/** An outbox in memory: the round's logic alone (lib/store/outbox.ts is tested on DynamoDB Local). */
function memoryOutbox(entries: OutboxEntry[]) {
  const held = new Map(entries.map((e) => [e.deliveryId, e]));
  const outbox: Outbox<OutboxEntry> = {
    async due(now, limit) {
      return [...held.values()]
        .filter((e) => e.nextAttemptAt <= now.toISOString())
        .sort((a, b) => (a.nextAttemptAt + a.deliveryId < b.nextAttemptAt + b.deliveryId ? -1 : 1))
        .slice(0, limit);
    },
    async reschedule(from, next) {
      const current = held.get(from.deliveryId);
      if (!current || current.nextAttemptAt !== from.nextAttemptAt) return undefined;
      const { lastError: _e, ...rest } = from;
      const moved = { ...rest, ...next };
      held.set(from.deliveryId, moved);
      return moved;
    },
    async complete(d) {
      held.delete(d.deliveryId);
    },
  };
  return { outbox, held };
}

const notice = {
  noticeId: '310000-01JDQ6X8Z5S2W3E4R5T6Y7V8W9',
  identifier: '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000001.001.8',
  change: 'status',
  status: '07',
  time: NOW.toISOString(),
};

const entry = (id: string, to: string, path: string, body: unknown): OutboxEntry => ({
  deliveryId: id,
  to,
  path,
  body: JSON.stringify(body),
  traceId: 'ab'.repeat(16),
  attempts: 0,
  nextAttemptAt: NOW.toISOString(),
  createdAt: NOW.toISOString(),
});

function recordingPeers(answer: (peer: string) => PeerCallResult) {
  const calls: { peer: string; path: string }[] = [];
  const peers: Pick<PeerClient, 'call'> = {
    async call(peer, _method, path) {
      calls.push({ peer, path });
      return answer(peer);
    },
  };
  return { peers, calls };
}

describe('a delivery round', () => {
  it('sends only what its route takes: a stored path or body off the route is refused, not signed', async () => {
    const { outbox, held } = memoryOutbox([
      entry('A', '320000', '/v1/interop/notices', notice),
      entry('B', '330000', '/v1/interop/agreements', notice),
      entry('C', '340000', '/v1/interop/notices', { ...notice, status: 'revoked' }),
      entry('D', '510000', '/v1/interop/notices?x=1', notice),
    ]);
    const { peers, calls } = recordingPeers(() => ({ status: 200, body: {}, receipt: 'r' }));

    const report = await deliverDue({ outbox, peers, route: () => InteropRoute.notice }, NOW);

    expect(calls).toEqual([{ peer: '320000', path: '/v1/interop/notices' }]);
    expect(report).toEqual({ attempted: 4, delivered: 1, failed: 3 });
    expect([...held.keys()].sort()).toEqual(['B', 'C', 'D']);
    for (const id of ['B', 'C', 'D']) expect(held.get(id)?.lastError).toMatch(/^refused to send/);
  });

  it('takes a path parameter of its route as one segment, and no more', async () => {
    const signature = { party: '320000', signedAt: NOW.toISOString(), signature: 'x' };
    const { outbox, held } = memoryOutbox([
      entry('A', '320000', '/v1/interop/agreements/agr_1/signatures', signature),
      entry('B', '330000', '/v1/interop/agreements/a/b/signatures', signature),
    ]);
    const { peers, calls } = recordingPeers(() => ({ status: 200, body: {}, receipt: 'r' }));
    await deliverDue({ outbox, peers, route: () => InteropRoute.agreementSignature }, NOW);
    // A's body is checked against the signature contract too: what is refused is refused for that.
    expect(calls.map((c) => c.path)).not.toContain('/v1/interop/agreements/a/b/signatures');
    expect(held.get('B')?.lastError).toMatch(/is not a path of/);
  });

  it('stops sending to a peer at its first failure, so nothing overtakes it, and serves other peers', async () => {
    const { outbox, held } = memoryOutbox([
      entry('A', '320000', '/v1/interop/notices', notice),
      entry('B', '320000', '/v1/interop/notices', notice),
      entry('C', '330000', '/v1/interop/notices', notice),
    ]);
    const { peers, calls } = recordingPeers((peer) => {
      if (peer === '320000') throw new PeerUnavailableError(peer, `${peer}: connection refused`);
      return { status: 200, body: {}, receipt: 'r' };
    });

    const report = await deliverDue({ outbox, peers, route: () => InteropRoute.notice }, NOW);

    expect(calls.map((c) => c.peer).sort()).toEqual(['320000', '330000']);
    expect(report).toEqual({ attempted: 2, delivered: 1, failed: 1 });
    expect(held.get('A')?.lastError).toMatch(/connection refused/);
    expect(held.get('B')).toMatchObject({ attempts: 0, nextAttemptAt: NOW.toISOString() });
  });
});
