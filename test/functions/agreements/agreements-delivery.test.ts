import { describe, expect, it, vi } from 'vitest';
import {
  type AgreementProposal,
  AgreementViewSchema,
  ProposalDeliverySchema,
} from '../../../contracts/agreement.ts';
import {
  backoffMs,
  type DeliveryDeps,
  deliverPending,
  startDeliveryLoop,
} from '../../../functions/agreements/delivery.ts';
import { deliveryDeps } from '../../../functions/agreements/function.ts';
import { PeerUnavailableError } from '../../../lib/errors.ts';
import type { PeerCallResult, PeerClient } from '../../../lib/interop/peer-client.ts';
import { JS, SH, verifyGrant, ZJ } from '../../lib/agreements/fixtures.ts';
import { agreementWorld } from '../../lib/agreements/gateway.ts';
import { get, post } from '../../support/gateway.ts';

const T0 = '2026-06-01T08:00:00.000Z';

const proposal = (parties = [SH, ZJ]): AgreementProposal => ({
  name: '沪浙电子证照互认协议',
  parties,
  grants: [verifyGrant()],
  validFrom: '2026-06-01',
  validUntil: '2027-05-31',
});

interface Call {
  peer: string;
  path: string;
  body: unknown;
  traceId: string;
}

/** A PeerClient that records each call and answers as told (the HTTP one needs live peers). */
function fakePeers(answer: (call: Call) => Promise<PeerCallResult> | PeerCallResult) {
  const calls: Call[] = [];
  const peers: PeerClient = {
    async call(peer, _method, path, body, ctx) {
      const call = { peer, path, body, traceId: ctx.traceId };
      calls.push(call);
      return answer(call);
    },
  };
  return { peers, calls };
}

const accepted = (status = 201): PeerCallResult => ({ status, body: {}, receipt: 'receipt' });

async function setUp(parties?: string[]) {
  const w = await agreementWorld();
  const operator = await w.token('operator');
  const res = await w.app.request(
    post('/v1/agreements', proposal(parties), operator, {
      traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`,
    }),
  );
  expect(res.status).toBe(201);
  const { id } = AgreementViewSchema.parse(await res.json());
  const pending = async () =>
    AgreementViewSchema.parse(await (await w.app.request(get(`/v1/agreements/${id}`, operator))).json())
      .pendingDeliveries;
  const worker = (peers: PeerClient): DeliveryDeps => deliveryDeps(w.gateway.withParts({ peers }));
  return { w, operator, id, pending, worker };
}

const at = (ms: number) => new Date(Date.parse(T0) + ms);

describe('delivering agreement steps to the other parties', () => {
  it('sends a due proposal with its signature, continuing the proposal’s trace, and forgets it once accepted', async () => {
    const { id, pending, worker } = await setUp();
    const { peers, calls } = fakePeers(() => accepted());

    const report = await deliverPending(worker(peers), at(0));

    expect(report).toEqual({ attempted: 1, delivered: 1, failed: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ peer: ZJ, path: '/v1/interop/agreements', traceId: 'ab'.repeat(16) });
    const body = ProposalDeliverySchema.parse(calls[0]?.body);
    expect(body.document.id).toBe(id);
    expect(body.signatures.map((s) => s.party)).toEqual([SH]);
    expect(await pending()).toEqual([]);
  });

  it('sends one delivery per other party of an alliance', async () => {
    const { worker } = await setUp([SH, JS, ZJ]);
    const { peers, calls } = fakePeers(() => accepted());

    await deliverPending(worker(peers), at(0));

    expect(calls.map((c) => c.peer).sort()).toEqual([JS, ZJ]);
  });

  it('counts 409 as delivered: the peer already holds it, or never will', async () => {
    const { pending, worker } = await setUp();
    const { peers } = fakePeers(() => accepted(409));

    const report = await deliverPending(worker(peers), at(0));

    expect(report.delivered).toBe(1);
    expect(await pending()).toEqual([]);
  });

  it('keeps a delivery the peer could not take, with the error, and does not send it before its time', async () => {
    const { pending, worker } = await setUp();
    const { peers, calls } = fakePeers(() => {
      throw new PeerUnavailableError(ZJ, '330000 is unreachable');
    });

    const first = await deliverPending(worker(peers), at(0));
    const early = await deliverPending(worker(peers), at(999));

    expect(first).toEqual({ attempted: 1, delivered: 0, failed: 1 });
    expect(early.attempted).toBe(0);
    expect(calls).toHaveLength(1);
    expect(await pending()).toEqual([
      {
        to: ZJ,
        kind: 'proposal',
        party: SH,
        attempts: 1,
        nextAttemptAt: at(1000).toISOString(),
        lastError: '330000 is unreachable',
      },
    ]);
  });

  it('backs off exponentially from 1 s to at most 5 minutes, and delivers when the peer is back', async () => {
    const { pending, worker } = await setUp();
    let down = true;
    const { peers, calls } = fakePeers(() => {
      if (down) throw new PeerUnavailableError(ZJ, '330000 is unreachable');
      return accepted();
    });
    let now = 0;
    const gaps: number[] = [];

    for (let i = 0; i < 11; i++) {
      await deliverPending(worker(peers), at(now));
      const [next] = await pending();
      const due = Date.parse(next?.nextAttemptAt ?? T0) - Date.parse(T0);
      gaps.push((due - now) / 1000);
      now = due;
    }
    down = false;
    const last = await deliverPending(worker(peers), at(now));

    expect(gaps).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    expect(last.delivered).toBe(1);
    expect(calls).toHaveLength(12);
    expect(await pending()).toEqual([]);
  });

  it('keeps a delivery the peer refused, with the code and message it answered', async () => {
    const { pending, worker } = await setUp();
    const { peers } = fakePeers(() => ({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no agreement here', traceId: 'ab'.repeat(16) } },
      receipt: 'receipt',
    }));

    await deliverPending(worker(peers), at(0));

    expect(await pending()).toMatchObject([
      { attempts: 1, lastError: '330000 answered 404 NOT_FOUND: no agreement here' },
    ]);
  });

  it('delivers the steps of an agreement to a peer in the order they were taken', async () => {
    const { w, operator, id, worker } = await setUp();
    w.clock.set(at(10));
    await w.app.request(post(`/v1/agreements/${id}/withdrawal`, {}, operator));
    const { peers, calls } = fakePeers(() => accepted());

    await deliverPending(worker(peers), at(10));

    expect(calls.map((c) => c.path)).toEqual([
      '/v1/interop/agreements',
      `/v1/interop/agreements/${id}/withdrawal`,
    ]);
  });

  it('sends a delivery once when two workers run at the same time', async () => {
    const { worker } = await setUp();
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const { peers, calls } = fakePeers(async () => {
      await held;
      return accepted();
    });

    const both = Promise.all([deliverPending(worker(peers), at(0)), deliverPending(worker(peers), at(0))]);
    await vi.waitFor(() => expect(calls.length).toBeGreaterThan(0));
    release();
    const reports = await both;

    expect(calls).toHaveLength(1);
    expect(reports.map((r) => r.delivered).sort()).toEqual([0, 1]);
  });

  it('runs on an interval until stopped', async () => {
    const { pending, worker } = await setUp();
    const { peers, calls } = fakePeers(() => accepted());

    const deps = worker(peers);
    const stop = startDeliveryLoop(() => deliverPending(deps, deps.clock.now()), 20);
    await vi.waitFor(async () => expect(await pending()).toEqual([]));
    await stop();

    expect(calls).toHaveLength(1);
  });
});

describe('the backoff', () => {
  it('doubles from 1 s per failed attempt and stops growing at 5 minutes', () => {
    expect([1, 2, 3, 9, 10, 30].map(backoffMs)).toEqual([1000, 2000, 4000, 256_000, 300_000, 300_000]);
  });
});
