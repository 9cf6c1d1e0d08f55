import { beforeAll, describe, expect, it } from 'vitest';
import { type AgreementProposal, AgreementViewSchema } from '../../../contracts/agreement.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { AGREEMENT_STAMP_REUSE_MS } from '../../../lib/agreements/enforcement.ts';
import { verifyDocumentSignature } from '../../../lib/agreements/signatures.ts';
import { ulid } from '../../../lib/ids.ts';
import { type AgreementWorld, agreementWorld } from '../../lib/agreements/gateway.ts';
import { get, post } from '../../support/gateway.ts';

const SH = '310000';
const ZJ = '330000';
const TYPE = '11100000000013338W032';

const proposal = (overrides: Partial<AgreementProposal> = {}): AgreementProposal => ({
  name: '沪浙电子证照互认协议',
  parties: [SH, ZJ],
  grants: [
    {
      grantor: '*',
      grantee: '*',
      actions: ['verify'],
      licenseTypes: [TYPE],
      matterCodes: ['*'],
      maxDataLevel: 2,
    },
  ],
  validFrom: '2026-06-01',
  validUntil: '2028-05-31',
  ...overrides,
});

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

describe('proposing an agreement', () => {
  let w: AgreementWorld;
  let operator: string;
  beforeAll(async () => {
    w = await agreementWorld();
    operator = await w.token('operator');
  });

  it('stores it signed by this province and queues its delivery to the other party', async () => {
    const res = await w.app.request(
      post('/v1/agreements', proposal(), operator, {
        traceparent: `00-${'ef'.repeat(16)}-${'01'.repeat(8)}-01`,
      }),
    );

    expect(res.status).toBe(201);
    const view = AgreementViewSchema.parse(await res.json());
    expect(view.id).toMatch(/^agr_[0-9A-Z]{26}$/);
    expect(res.headers.get('location')).toBe(`/v1/agreements/${view.id}`);
    expect(view).toMatchObject({
      state: 'proposed',
      proposer: SH,
      proposedAt: '2026-06-01T08:00:00.000Z',
      activeParties: [SH, ZJ],
      withdrawals: [],
    });
    expect(view.signatures.map((s) => s.party)).toEqual([SH]);
    const {
      state: _s,
      signatures,
      withdrawals: _w,
      activeParties: _a,
      pendingDeliveries,
      ...document
    } = view;
    await expect(
      verifyDocumentSignature(
        w.gateway.registry,
        document,
        signatures[0] ?? { party: '', kid: '', signature: '' },
      ),
    ).resolves.toBeUndefined();
    expect(pendingDeliveries).toEqual([
      { to: ZJ, kind: 'proposal', party: SH, attempts: 0, nextAttemptAt: '2026-06-01T08:00:00.000Z' },
    ]);
    const [event] = (await w.events('agreement.propose')).filter((e) => e.outcome === 'success');
    expect(event).toMatchObject({ traceId: 'ef'.repeat(16), details: { agreementId: view.id } });
  });

  it('lists and reads what it holds', async () => {
    const created = AgreementViewSchema.parse(
      await (await w.app.request(post('/v1/agreements', proposal({ name: '第二份' }), operator))).json(),
    );

    const list = await w.app.request(get('/v1/agreements', operator));
    const one = await w.app.request(get(`/v1/agreements/${created.id}`, operator));

    expect(list.status).toBe(200);
    const items = (await list.json()) as { items: unknown[] };
    expect(items.items.map((i) => AgreementViewSchema.parse(i).id)).toContain(created.id);
    expect(AgreementViewSchema.parse(await one.json())).toEqual(created);
  });

  it('answers 404 for an agreement it does not hold', async () => {
    const res = await w.app.request(get('/v1/agreements/agr_01K00000000000000000000000', operator));

    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('NOT_FOUND');
  });
});

describe('refusing bad proposals', () => {
  let w: AgreementWorld;
  let operator: string;
  beforeAll(async () => {
    w = await agreementWorld();
    operator = await w.token('operator');
  });

  const cases: [string, () => Promise<Request>, number, string][] = [
    ['malformed JSON', async () => post('/v1/agreements', '{"name":', operator), 400, 'INVALID_REQUEST'],
    [
      'an unknown member',
      async () => post('/v1/agreements', { ...proposal(), x: 1 }, operator),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a party listed twice',
      async () => post('/v1/agreements', proposal({ parties: [SH, ZJ, ZJ] }), operator),
      400,
      'INVALID_REQUEST',
    ],
    [
      'dates in the wrong order',
      async () =>
        post('/v1/agreements', proposal({ validFrom: '2027-01-01', validUntil: '2026-12-31' }), operator),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a grant naming a province that is no party',
      async () =>
        post(
          '/v1/agreements',
          proposal({
            grants: [{ ...proposal().grants[0], grantee: '320000' } as AgreementProposal['grants'][0]],
          }),
          operator,
        ),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a data level above 4',
      async () =>
        post(
          '/v1/agreements',
          { ...proposal(), grants: [{ ...proposal().grants[0], maxDataLevel: 5 }] },
          operator,
        ),
      400,
      'INVALID_REQUEST',
    ],
    [
      'this province missing from the parties',
      async () => post('/v1/agreements', proposal({ parties: ['320000', ZJ] }), operator),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a party the trust registry does not list',
      async () => post('/v1/agreements', proposal({ parties: [SH, '650000'] }), operator),
      400,
      'INVALID_REQUEST',
    ],
    [
      'an agreement that would already have ended',
      async () =>
        post('/v1/agreements', proposal({ validFrom: '2025-01-01', validUntil: '2026-05-31' }), operator),
      400,
      'INVALID_REQUEST',
    ],
    ['no token', async () => post('/v1/agreements', proposal()), 401, 'UNAUTHENTICATED'],
    [
      'an issuer token',
      async () => post('/v1/agreements', proposal(), await w.token('issuer')),
      403,
      'FORBIDDEN',
    ],
    [
      'a platform token',
      async () => post('/v1/agreements', proposal(), await w.token('platform')),
      403,
      'FORBIDDEN',
    ],
  ];

  it.each(cases)(
    'refuses %s, stores nothing and audits the refusal',
    async (_name, request, status, code) => {
      const refusalsBefore = (await w.events('agreement.propose')).length;

      const res = await w.app.request(await request());

      expect(res.status).toBe(status);
      expect((await errorOf(res)).code).toBe(code);
      expect(await w.agreementItems()).toEqual([]);
      const refusals = await w.events('agreement.propose');
      expect(refusals).toHaveLength(refusalsBefore + 1);
      expect(refusals.every((e) => e.outcome === 'refused')).toBe(true);
    },
  );

  it('names the field of a proposal this province cannot make', async () => {
    const res = await w.app.request(post('/v1/agreements', proposal({ parties: [SH, '650000'] }), operator));

    expect((await errorOf(res)).issues).toEqual([
      {
        path: ['parties', 1],
        code: 'custom',
        message: '650000 is not an active province in the trust registry',
      },
    ]);
  });

  it('lets only operators read agreements', async () => {
    const res = await w.app.request(get('/v1/agreements', await w.token('platform')));

    expect(res.status).toBe(403);
  });
});

/** A bilateral proposal of 330000 delivered to the world's gateway; its id. */
async function receivedProposal(w: AgreementWorld) {
  const d = {
    id: `agr_${ulid(w.clock.now())}`,
    ...proposal(),
    proposer: ZJ,
    proposedAt: '2026-06-01T07:00:00.000Z',
  };
  const res = await w.app.request(
    await w.signed(ZJ, '/v1/interop/agreements', { document: d, signatures: [await w.signature(ZJ, d)] }),
  );
  expect(res.status).toBe(201);
  return d.id;
}

describe('signing and withdrawing', () => {
  let w: AgreementWorld;
  let operator: string;
  const received = () => receivedProposal(w);
  beforeAll(async () => {
    w = await agreementWorld();
    operator = await w.token('operator');
  });

  it('activates a received proposal when this province signs, and queues the signature for the proposer', async () => {
    const id = await received();

    const res = await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, operator));

    expect(res.status).toBe(201);
    const view = AgreementViewSchema.parse(await res.json());
    expect(view.state).toBe('active');
    expect(view.signatures.map((s) => s.party).sort()).toEqual([SH, ZJ]);
    expect(view.pendingDeliveries).toMatchObject([{ to: ZJ, kind: 'signature', party: SH }]);
    expect((await w.events('agreement.sign')).map((e) => e.outcome)).toContain('success');
  });

  it('signs once: a second signing changes nothing', async () => {
    const id = await received();
    await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, operator));
    const before = await w.agreementItems();

    const res = await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, operator));

    expect(res.status).toBe(200);
    expect(await w.agreementItems()).toEqual(before);
  });

  it('withdraws once, and refuses to sign a withdrawn agreement', async () => {
    const id = await received();
    await w.app.request(post(`/v1/agreements/${id}/withdrawal`, {}, operator));

    const again = await w.app.request(post(`/v1/agreements/${id}/withdrawal`, {}, operator));
    const sign = await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, operator));

    expect(again.status).toBe(200);
    expect(sign.status).toBe(409);
    expect((await errorOf(sign)).code).toBe('CONFLICT');
  });

  it('answers 404 when signing or withdrawing an agreement it does not hold, and audits the refusal', async () => {
    const id = 'agr_01K00000000000000000000000';

    const sign = await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, operator));
    const withdraw = await w.app.request(post(`/v1/agreements/${id}/withdrawal`, {}, operator));

    expect([sign.status, withdraw.status]).toEqual([404, 404]);
    expect(
      (await w.events('agreement.sign')).filter((e) => e.path === `/v1/agreements/${id}/signatures`),
    ).toMatchObject([{ outcome: 'refused', errorCode: 'NOT_FOUND' }]);
  });

  it('refuses signing to anyone but an operator', async () => {
    const id = await received();

    const res = await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, await w.token('issuer')));

    expect(res.status).toBe(403);
    const view = AgreementViewSchema.parse(
      await (await w.app.request(get(`/v1/agreements/${id}`, operator))).json(),
    );
    expect(view.state).toBe('proposed');
  });
});

describe('enforcing a signed agreement', () => {
  let w: AgreementWorld;
  let operator: string;
  beforeAll(async () => {
    w = await agreementWorld();
    operator = await w.token('operator');
  });

  it('starts granting calls once active, and stops once withdrawn', async () => {
    const id = await receivedProposal(w);
    const query = {
      grantor: SH,
      grantee: ZJ,
      action: 'verify',
      licenseType: TYPE,
      matterCode: 'DEMO0001',
    } as const;
    const before = await w.gateway.agreementPolicy.authorize(query);

    // A change takes effect once the stamp read before it is past its reuse bound.
    const later = () => w.clock.set(new Date(w.clock.now().getTime() + AGREEMENT_STAMP_REUSE_MS));
    await w.app.request(post(`/v1/agreements/${id}/signatures`, {}, operator));
    later();
    const during = await w.gateway.agreementPolicy.authorize(query);
    const withdrawal = await w.app.request(post(`/v1/agreements/${id}/withdrawal`, {}, operator));
    later();
    const after = await w.gateway.agreementPolicy.authorize(query);

    expect(during).toMatchObject({ ok: true, agreementId: id, maxDataLevel: 2 });
    expect(withdrawal.status).toBe(201);
    const view = AgreementViewSchema.parse(await withdrawal.json());
    expect(view.state).toBe('withdrawn');
    expect(view.withdrawals).toMatchObject([{ agreementId: id, party: SH }]);
    expect(view.pendingDeliveries.filter((d) => d.kind === 'withdrawal')).toMatchObject([{ to: ZJ }]);
    expect(before.ok || after.ok).toBe(false);
    expect(after).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
  });
});
