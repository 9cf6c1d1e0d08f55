import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type AgreementView, AgreementViewSchema } from '../../../contracts/agreement.ts';
import { AuditEventSchema } from '../../../contracts/audit.ts';
import type { RunningProvince } from '../../../federation/federation.ts';
import { YANGTZE_DELTA_PARTIES, yangtzeDeltaAgreementId } from '../../../federation/seed-alliance.ts';
import { verifyDocumentSignature } from '../../../lib/agreements/signatures.ts';
import { newTraceId, traceparentOf } from '../../../lib/ids.ts';
import { todayCst } from '../../../lib/license/validity.ts';
import { call, type TestFederation, testFederation } from '../../support/federation.ts';
import { storedEvents } from '../../support/scan.ts';

const ListSchema = z.object({ items: z.array(AgreementViewSchema) });

/** An operator's call, under a trace of its own. */
const operator = (p: RunningProvince, path: string, body?: unknown) =>
  call(p, 'operator', path, body, { headers: { traceparent: traceparentOf(newTraceId()) } });

const agreementsOf = async (p: RunningProvince) =>
  ListSchema.parse((await operator(p, '/v1/agreements')).body).items;

async function eventsOf(p: RunningProvince) {
  return (await storedEvents(p.storage.doc, p.storage.tables.audit)).map((e) => AuditEventSchema.parse(e));
}

const documentOf = (v: AgreementView) => {
  const {
    state: _s,
    signatures: _g,
    withdrawals: _w,
    activeParties: _a,
    pendingDeliveries: _p,
    ...document
  } = v;
  return document;
};

describe('agreements across the local federation', () => {
  let f: TestFederation;

  beforeAll(async () => {
    f = await testFederation({ name: 'agr' });
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('starts with the Yangtze River Delta alliance active in its four provinces, signed by all four', async () => {
    const id = yangtzeDeltaAgreementId(YANGTZE_DELTA_PARTIES);
    expect(id).toBe('agr_0000000000YRDALLIANCE0000F');

    for (const party of YANGTZE_DELTA_PARTIES) {
      const p = f.province(party);
      const items = await agreementsOf(p);
      expect(items).toHaveLength(1);
      const [alliance] = items;
      expect(alliance).toMatchObject({
        id,
        state: 'active',
        parties: [...YANGTZE_DELTA_PARTIES],
        activeParties: [...YANGTZE_DELTA_PARTIES],
        grants: [
          {
            grantor: '*',
            grantee: '*',
            actions: ['verify', 'status'],
            licenseTypes: ['*'],
            matterCodes: ['*'],
            maxDataLevel: 2,
          },
        ],
        validFrom: todayCst(new Date()),
        pendingDeliveries: [],
      });
      if (!alliance) continue;
      expect(alliance.signatures.map((s) => s.party).sort()).toEqual([...YANGTZE_DELTA_PARTIES]);
      for (const s of alliance.signatures) {
        await verifyDocumentSignature(p.gateway.registry, documentOf(alliance), s);
      }
    }
  });

  it('gives Sichuan no agreement, so its calls need one', async () => {
    const sh = f.province('310000').gateway;
    const query = {
      grantor: '310000',
      action: 'verify',
      licenseType: '11100000000013338W032',
      matterCode: 'M1',
    } as const;

    expect(await agreementsOf(f.province('510000'))).toEqual([]);
    expect(await sh.agreementPolicy.authorize({ ...query, grantee: '340000' })).toMatchObject({
      ok: true,
      maxDataLevel: 2,
    });
    expect(await sh.agreementPolicy.authorize({ ...query, grantee: '340000', dataLevel: 3 })).toMatchObject({
      ok: false,
      code: 'SCOPE_DENIED',
    });
    expect(await sh.agreementPolicy.authorize({ ...query, grantee: '510000' })).toMatchObject({
      ok: false,
      code: 'AGREEMENT_REQUIRED',
    });
  });

  it('finds the alliance again on a second start instead of adding another', async () => {
    const before = await agreementsOf(f.province('320000'));
    await f.restart();

    const after = await agreementsOf(f.province('320000'));
    expect(after.map(documentOf)).toEqual(before.map(documentOf));
  });
});

/**
 * A federation of its own: the agreement it proposes would otherwise be on the lists the starting
 * state is read from above, whichever case runs first.
 */
describe('a bilateral agreement across the local federation', () => {
  let f: TestFederation;

  beforeAll(async () => {
    f = await testFederation({ name: 'agrbi', provinces: ['310000', '510000'] });
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('brings a bilateral agreement into force over signed calls, and ends it on both sides when one withdraws', async () => {
    const sh = f.province('310000');
    const sc = f.province('510000');
    // Sichuan starts with no agreement: what follows is this case's own.
    expect(await agreementsOf(sc)).toEqual([]);
    const today = todayCst(new Date());
    const proposed = await operator(sh, '/v1/agreements', {
      name: '沪川电子证照互认协议',
      parties: ['310000', '510000'],
      grants: [
        {
          grantor: '310000',
          grantee: '510000',
          actions: ['verify'],
          licenseTypes: ['*'],
          matterCodes: ['*'],
          maxDataLevel: 1,
        },
      ],
      validFrom: today,
      validUntil: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
    });
    expect(proposed.status).toBe(201);
    const { id } = AgreementViewSchema.parse(proposed.body);

    await vi.waitFor(async () => expect((await agreementsOf(sc)).map((a) => a.id)).toContain(id), {
      timeout: 10_000,
    });
    const signed = await operator(sc, `/v1/agreements/${id}/signatures`, {});
    expect(signed.status).toBe(201);
    expect(AgreementViewSchema.parse(signed.body).state).toBe('active');
    await vi.waitFor(
      async () => {
        const [mine] = (await agreementsOf(sh)).filter((a) => a.id === id);
        expect(mine).toMatchObject({ state: 'active', pendingDeliveries: [] });
      },
      { timeout: 10_000 },
    );
    expect(
      await sh.gateway.agreementPolicy.authorize({
        grantor: '310000',
        grantee: '510000',
        action: 'verify',
        licenseType: '11100000000013338W032',
        matterCode: 'M1',
      }),
    ).toEqual({ ok: true, agreementId: id, maxDataLevel: 1 });

    const withdrawn = await operator(sc, `/v1/agreements/${id}/withdrawal`, {});
    expect(withdrawn.status).toBe(201);
    await vi.waitFor(
      async () => {
        const [mine] = (await agreementsOf(sh)).filter((a) => a.id === id);
        expect(mine?.state).toBe('withdrawn');
      },
      { timeout: 10_000 },
    );

    const proposeEvent = (await eventsOf(sh)).find(
      (e) => e.action === 'agreement.propose' && e.details.agreementId === id,
    );
    const outbound = (await eventsOf(sh)).filter(
      (e) => e.action === 'interop.outbound' && e.traceId === proposeEvent?.traceId,
    );
    const received = (await eventsOf(sc)).filter(
      (e) => e.action === 'agreement.receive' && e.traceId === proposeEvent?.traceId,
    );
    // A delivery keeps its own interop.outbound event (only a verification's call is recorded by
    // its verify event), with the call's jti, status, receipt and time taken.
    expect(outbound).toMatchObject([
      { peer: '510000', outcome: 'success', details: { status: expect.any(Number) } },
    ]);
    expect(typeof outbound[0]?.details.receipt).toBe('string');
    expect(typeof outbound[0]?.details.jti).toBe('string');
    expect(typeof outbound[0]?.details.ms).toBe('number');
    expect(outbound[0]?.details.direction).toBeUndefined();
    expect(received).toMatchObject([{ peer: '310000', details: { kind: 'proposal', agreementId: id } }]);
  });
});
