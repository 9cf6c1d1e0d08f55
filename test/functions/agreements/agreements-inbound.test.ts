import { beforeAll, describe, expect, it } from 'vitest';
import type { AgreementDocument } from '../../../contracts/agreement.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { RECEIPT_HEADER } from '../../../contracts/interop.ts';
import { documentBytes } from '../../../lib/agreements/canonical.ts';
import { signWithdrawal } from '../../../lib/agreements/signatures.ts';
import { ulid } from '../../../lib/ids.ts';
import { derToJose } from '../../../lib/signing/der.ts';
import {
  AH,
  grant,
  JS,
  PROPOSALS,
  SC,
  SH,
  signaturesOf,
  withdrawalOf,
  ZJ,
} from '../../lib/agreements/fixtures.ts';
import { type AgreementWorld, agreementWorld } from '../../lib/agreements/gateway.ts';
import { get } from '../../support/gateway.ts';

function document(w: AgreementWorld, overrides: Partial<AgreementDocument> = {}): AgreementDocument {
  return {
    id: `agr_${ulid(w.clock.now())}`,
    name: '长三角互认',
    parties: [SH, JS, ZJ, AH],
    grants: [grant()],
    validFrom: '2026-06-01',
    validUntil: '2031-05-31',
    proposer: ZJ,
    proposedAt: '2026-06-01T07:00:00.000Z',
    ...overrides,
  };
}

async function codeOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error.code;
}

describe('receiving deliveries from other provinces', () => {
  let w: AgreementWorld;
  let operator: string;
  beforeAll(async () => {
    w = await agreementWorld();
    operator = await w.token('operator');
  });

  async function deliverProposal(d: AgreementDocument, from = ZJ) {
    return w.app.request(
      await w.signed(from, PROPOSALS, { document: d, signatures: [await w.signature(d.proposer, d)] }),
    );
  }

  it("stores a proposal carrying its proposer's signature, audits it, and proves the answer with a receipt", async () => {
    const d = document(w);

    const res = await deliverProposal(d);

    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      id: d.id,
      state: 'proposed',
      activeParties: [SH, JS, ZJ, AH],
      changed: true,
    });
    expect(res.headers.get(RECEIPT_HEADER)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const [event] = (await w.events('agreement.receive')).filter((e) => e.details?.agreementId === d.id);
    expect(event).toMatchObject({
      outcome: 'success',
      peer: ZJ,
      actor: { gateway: ZJ },
      details: { kind: 'proposal', party: ZJ },
    });
    const view = await w.app.request(get(`/v1/agreements/${d.id}`, operator));
    expect(await view.json()).toMatchObject({ id: d.id, state: 'proposed', pendingDeliveries: [] });
  });

  it('answers 200 and stores nothing new when the same proposal arrives again', async () => {
    const d = document(w);
    await deliverProposal(d);
    const before = await w.agreementItems();

    const res = await deliverProposal(d);

    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ changed: false });
    expect(await w.agreementItems()).toEqual(before);
  });

  it('activates an alliance as the signatures of every party arrive, relayed ones included', async () => {
    const d = document(w);
    await deliverProposal(d);
    await w.app.request(await w.signed('320000', signaturesOf(d.id), await w.signature(JS, d)));
    // 330000 relays 340000's signature: it proves itself, whoever carries it.
    const relayed = await w.app.request(await w.signed(ZJ, signaturesOf(d.id), await w.signature(AH, d)));
    const own = await w.app.request(await w.signed(SH, signaturesOf(d.id), await w.signature(SH, d)));

    expect(relayed.status).toBe(201);
    expect(own.status).toBe(201);
    expect(await own.json()).toMatchObject({ state: 'active' });
  });

  it('keeps an alliance active without a party whose withdrawal arrives', async () => {
    const d = document(w);
    await w.app.request(
      await w.signed(ZJ, PROPOSALS, {
        document: d,
        signatures: await Promise.all([SH, JS, ZJ, AH].map((p) => w.signature(p, d))),
      }),
    );
    const withdrawal = await signWithdrawal(w.ring(AH).gateway, {
      agreementId: d.id,
      party: AH,
      withdrawnAt: '2026-06-01T07:30:00.000Z',
    });

    const res = await w.app.request(await w.signed(AH, withdrawalOf(d.id), withdrawal));
    const again = await w.app.request(await w.signed(AH, withdrawalOf(d.id), withdrawal));

    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ state: 'active', activeParties: [SH, JS, ZJ] });
    expect(again.status).toBe(200);
  });
});

describe('refusing forged, tampered, foreign and expired deliveries', () => {
  let w: AgreementWorld;
  let held: AgreementDocument;
  beforeAll(async () => {
    w = await agreementWorld();
    held = document(w);
    const res = await w.app.request(
      await w.signed(ZJ, PROPOSALS, { document: held, signatures: [await w.signature(ZJ, held)] }),
    );
    expect(res.status).toBe(201);
  });

  const proposalBy = async (from: string, d: AgreementDocument, signer = d.proposer) =>
    w.signed(from, PROPOSALS, { document: d, signatures: [await w.signature(signer, d)] });

  const cases: [string, () => Promise<Request>, number, string][] = [
    [
      'a proposal whose document was changed after signing',
      async () => {
        const d = document(w);
        const sig = await w.signature(ZJ, d);
        const tampered = {
          ...d,
          grants: [{ ...(d.grants[0] as AgreementDocument['grants'][0]), maxDataLevel: 4 }],
        };
        return w.signed(ZJ, PROPOSALS, { document: tampered, signatures: [sig] });
      },
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal without its proposer’s signature',
      async () => proposalBy(ZJ, document(w), JS),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal whose signature names the proposer but is another province’s',
      async () => {
        const d = document(w);
        const forged = { ...(await w.signature(JS, d)), party: ZJ };
        return w.signed(ZJ, PROPOSALS, { document: d, signatures: [forged] });
      },
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal signed with the proposer’s credential key (wrong purpose)',
      async () => {
        const d = document(w);
        const key = w.ring(ZJ).credential;
        const signature = Buffer.from(derToJose(await key.signDer(documentBytes(d)))).toString('base64url');
        return w.signed(ZJ, PROPOSALS, { document: d, signatures: [{ party: ZJ, kid: key.kid, signature }] });
      },
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal that does not name this province',
      async () => proposalBy(ZJ, document(w, { parties: [JS, ZJ] })),
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal delivered by a province that is no party',
      async () => proposalBy(SC, document(w, { parties: [SH, ZJ] })),
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal carrying the signature of a province that is no party',
      async () => {
        const d = document(w, { parties: [SH, ZJ] });
        return w.signed(ZJ, PROPOSALS, {
          document: d,
          signatures: [await w.signature(ZJ, d), await w.signature(SC, d)],
        });
      },
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal that has already expired',
      async () => proposalBy(ZJ, document(w, { validFrom: '2024-01-01', validUntil: '2026-05-31' })),
      409,
      'CONFLICT',
    ],
    [
      'another document under an id already held',
      async () => proposalBy(ZJ, { ...held, name: '改过的名字' }),
      409,
      'CONFLICT',
    ],
    [
      'a proposal whose grant names a province that is no party',
      async () =>
        proposalBy(
          ZJ,
          document(w, {
            parties: [SH, ZJ],
            grants: [{ ...(document(w).grants[0] as AgreementDocument['grants'][0]), grantee: SC }],
          }),
        ),
      400,
      'INVALID_REQUEST',
    ],
    ['malformed JSON', async () => w.signed(ZJ, PROPOSALS, '{"document":'), 400, 'INVALID_REQUEST'],
    [
      'an unsigned call',
      async () =>
        new Request(`http://gateway.test${PROPOSALS}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ document: document(w), signatures: [] }),
        }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a call signed with a key that is not the caller’s gateway key',
      async () =>
        w.signed(ZJ, PROPOSALS, { document: document(w), signatures: [] }, { signer: w.ring(JS).gateway }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a signature by a province that is no party',
      async () => w.signed(ZJ, signaturesOf(held.id), await w.signature(SC, held)),
      403,
      'FORBIDDEN',
    ],
    [
      'a signature delivered by a province that is no party',
      async () => w.signed(SC, signaturesOf(held.id), await w.signature(ZJ, held)),
      403,
      'FORBIDDEN',
    ],
    [
      'a signature over another document',
      async () => w.signed(ZJ, signaturesOf(held.id), await w.signature(JS, document(w))),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a signature for an agreement not held here',
      async () => {
        const other = document(w);
        return w.signed(ZJ, signaturesOf(other.id), await w.signature(ZJ, other));
      },
      404,
      'NOT_FOUND',
    ],
    [
      'a withdrawal whose time was changed after signing',
      async () => {
        const wd = await signWithdrawal(w.ring(JS).gateway, {
          agreementId: held.id,
          party: JS,
          withdrawnAt: '2026-06-01T07:30:00.000Z',
        });
        return w.signed(JS, withdrawalOf(held.id), { ...wd, withdrawnAt: '2026-06-01T07:31:00.000Z' });
      },
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a withdrawal that names another agreement than its path',
      async () => {
        const wd = await signWithdrawal(w.ring(JS).gateway, {
          agreementId: 'agr_01K00000000000000000000000',
          party: JS,
          withdrawnAt: '2026-06-01T07:30:00.000Z',
        });
        return w.signed(JS, withdrawalOf(held.id), wd);
      },
      400,
      'INVALID_REQUEST',
    ],
  ];

  it.each(cases)(
    'refuses %s, stores nothing and audits the refusal',
    async (_name, request, status, code) => {
      const itemsBefore = await w.agreementItems();
      const refusedBefore = (await w.events('interop.inbound')).filter((e) => e.outcome === 'refused').length;

      const res = await w.app.request(await request());

      expect(res.status).toBe(status);
      expect(await codeOf(res)).toBe(code);
      expect(await w.agreementItems()).toEqual(itemsBefore);
      const refused = (await w.events('interop.inbound')).filter((e) => e.outcome === 'refused');
      expect(refused).toHaveLength(refusedBefore + 1);
      expect(refused.map((e) => e.errorCode)).toContain(code);
    },
  );
});
