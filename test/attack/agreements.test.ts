import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgreementDocument, Grant } from '../../contracts/agreement.ts';
import { AuditAction } from '../../contracts/audit.ts';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { Federation } from '../../federation/federation.ts';
import { documentBytes, withdrawalBytes } from '../../lib/agreements/canonical.ts';
import { signDocument, signWithdrawal } from '../../lib/agreements/signatures.ts';
import { auditEvent } from '../../lib/audit/events.ts';
import { newTraceId, ulid } from '../../lib/ids.ts';
import { signRequest } from '../../lib/interop/request-signature.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { derToJose } from '../../lib/signing/der.ts';
import type { Signer } from '../../lib/signing/signer.ts';
import { PROPOSALS, signaturesOf, verifyGrant, withdrawalOf } from '../lib/agreements/fixtures.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import { b64u, expectReceiptTo } from './forge.ts';
import { attackFederation, bearer, expectOnlyRefusal, send, snapshot } from './harness.ts';

/**
 * Agreements under attack (docs/protocol.md §8), every call correctly signed by a real gateway key of
 * its sender: forged, relayed and broadened deliveries to 310000, and calls reaching past what an
 * agreement grants. The signature of each call verifies, so its jti may be recorded; nothing else
 * may change but the refusal's audit event.
 */

// Local, not imported: the names of the escalation cases below print these calls' source.
const SH = '310000';
const ZJ = '330000';
const SC = '510000';
const T1 = '11100000000013338W032';
const T2 = '11100000000013338W009';
const MATTER = 'SCJZ0001';

describe('agreements and scopes under attack', () => {
  let f: Federation;
  /** A proposal 330000 made to 310000, held there, not yet signed by 310000. */
  let held: AgreementDocument;

  const p = (id: string) => f.province(id);
  const gatewayKey = (id: string) => p(id).gateway.keys.gateway;

  const document = (overrides: Partial<AgreementDocument> = {}): AgreementDocument => {
    const today = todayCst(new Date());
    return {
      id: `agr_${ulid()}`,
      name: '沪浙电子证照互认（攻击测试）',
      parties: [SH, ZJ],
      grants: [verifyGrant({ licenseTypes: [T1], matterCodes: [MATTER] })],
      validFrom: today,
      validUntil: `${Number(today.slice(0, 4)) + 2}${today.slice(4)}`,
      proposer: ZJ,
      proposedAt: new Date().toISOString(),
      ...overrides,
    };
  };
  const widened = (d: AgreementDocument, grant: Partial<Grant>): AgreementDocument => ({
    ...d,
    grants: [{ ...(d.grants[0] as Grant), ...grant }],
  });
  const signature = (who: string, d: AgreementDocument, signer: Signer = gatewayKey(who)) =>
    signDocument(signer, who, d);
  /** A document signature made with a key of any purpose, which signDocument would refuse. */
  const signatureWith = async (party: string, signer: Signer, d: AgreementDocument) => ({
    party,
    kid: signer.kid,
    signature: b64u(derToJose(await signer.signDer(documentBytes(d)))),
  });
  const withdrawal = (party: string, d: AgreementDocument, signer: Signer = gatewayKey(party)) =>
    signWithdrawal(signer, { agreementId: d.id, party, withdrawnAt: new Date().toISOString() });
  const withdrawalWith = async (party: string, signer: Signer, d: AgreementDocument) => {
    const statement = { agreementId: d.id, party, withdrawnAt: new Date().toISOString() };
    return {
      ...statement,
      kid: signer.kid,
      signature: b64u(derToJose(await signer.signDer(withdrawalBytes(statement)))),
    };
  };

  /** A call from `from` to `to`, correctly signed with `from`'s real gateway key. */
  async function signedCall(from: string, to: string, path: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const { header, jti } = await signRequest(gatewayKey(from), {
      iss: from,
      aud: to,
      method: 'POST',
      pathWithQuery: path,
      body,
      traceId: newTraceId(),
      now: new Date(),
    });
    const res = await send(p(to).url, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: header },
      body,
    });
    return { res, jti };
  }

  /** Stores an agreement complete in each party's store, as the federation seeds its alliance. */
  async function seedAgreement(d: AgreementDocument) {
    const signatures = await Promise.all(d.parties.map((party) => signature(party, d)));
    for (const party of d.parties) {
      const g = p(party).gateway;
      const outcome = await g.agreements.create({
        record: { document: d, signatures, withdrawals: [] },
        deliveries: [],
        audit: auditEvent(
          {
            province: party,
            traceId: newTraceId(),
            action: AuditAction.agreementSeed,
            outcome: 'success',
            details: { agreementId: d.id, parties: d.parties.join(',') },
          },
          new Date(),
        ),
      });
      expect(outcome).toBe('created');
    }
  }

  let licenseT1: string;
  let licenseT2: string;

  beforeAll(async () => {
    f = await attackFederation([SH, ZJ, SC], 'agr');
    held = document();
    const proposed = await signedCall(ZJ, SH, PROPOSALS, {
      document: held,
      signatures: [await signature(ZJ, held)],
    });
    expect(proposed.res.status).toBe(201);
    // 310000 grants 510000 verify on one type for one matter at level 1, and only status on another.
    await seedAgreement(
      document({
        name: '沪川建筑类证照核验（限定事项）',
        parties: [SH, SC],
        proposer: SH,
        grants: [
          {
            grantor: SH,
            grantee: SC,
            actions: ['verify'],
            licenseTypes: [T1],
            matterCodes: [MATTER],
            maxDataLevel: 1,
          },
          {
            grantor: SH,
            grantee: SC,
            actions: ['status'],
            licenseTypes: [T2],
            matterCodes: ['*'],
            maxDataLevel: 2,
          },
        ],
      }),
    );
    const issue = async (overrides: Record<string, unknown>) => {
      const res = await send(p(SH).url, '/v1/licenses', {
        headers: bearer(p(SH), 'issuer'),
        body: JSON.stringify(sampleIssue(overrides)),
      });
      expect(res.status).toBe(201);
      return IssueResponseSchema.parse(res.json).identifier;
    };
    licenseT1 = await issue({});
    licenseT2 = await issue({ typeCode: T2, typeName: '建筑业企业资质证书' });
  });
  afterAll(async () => {
    await f?.stop();
  });

  type Delivery = () => Promise<{ from: string; path: string; payload: unknown }>;
  const proposal =
    (from: string, make: () => Promise<{ document: AgreementDocument; signatures: unknown[] }>): Delivery =>
    async () => ({ from, path: PROPOSALS, payload: await make() });

  const deliveries: [string, Delivery, number, string][] = [
    [
      'a proposal relayed by a province that is no party (510000 delivering 330000’s signed proposal)',
      proposal(SC, async () => {
        const d = document();
        return { document: d, signatures: [await signature(ZJ, d)] };
      }),
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal carrying the signature of a province that is no party',
      proposal(ZJ, async () => {
        const d = document();
        return { document: d, signatures: [await signature(ZJ, d), await signature(SC, d)] };
      }),
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal whose proposer signature is made with a non-party’s key',
      proposal(ZJ, async () => {
        const d = document();
        return { document: d, signatures: [await signatureWith(ZJ, gatewayKey(SC), d)] };
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal signed with the proposer’s credential key',
      proposal(ZJ, async () => {
        const d = document();
        return { document: d, signatures: [await signatureWith(ZJ, p(ZJ).gateway.keys.credential, d)] };
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal signed with the proposer’s audit key',
      proposal(ZJ, async () => {
        const d = document();
        return { document: d, signatures: [await signatureWith(ZJ, p(ZJ).gateway.keys.audit, d)] };
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal carrying 310000’s own signature forged with 330000’s key',
      proposal(ZJ, async () => {
        const d = document();
        return {
          document: d,
          signatures: [await signature(ZJ, d), await signatureWith(SH, gatewayKey(ZJ), d)],
        };
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a proposal whose parties exclude the sender',
      proposal(ZJ, async () => {
        const d = document({ parties: [SH, SC], proposer: SC });
        return { document: d, signatures: [await signature(SC, d)] };
      }),
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal whose parties exclude this province',
      proposal(ZJ, async () => {
        const d = document({ parties: [ZJ, SC] });
        return { document: d, signatures: [await signature(ZJ, d)] };
      }),
      403,
      'FORBIDDEN',
    ],
    [
      'a proposal whose proposer is no party',
      proposal(ZJ, async () => {
        const d = document({ proposer: SC });
        return { document: d, signatures: [await signature(SC, d)] };
      }),
      403,
      'FORBIDDEN',
    ],
    ...(
      [
        ['to data level 4', { maxDataLevel: 4 }],
        ['to every license type', { licenseTypes: ['*'] }],
        ['to every matter', { matterCodes: ['*'] }],
        ['to the fetch action', { actions: ['verify', 'fetch'] }],
      ] as [string, Partial<Grant>][]
    ).map(([name, grant]): [string, Delivery, number, string] => [
      `a proposal broadened ${name} after signing`,
      proposal(ZJ, async () => {
        const d = document();
        return { document: widened(d, grant), signatures: [await signature(ZJ, d)] };
      }),
      401,
      'SIGNATURE_INVALID',
    ]),
    [
      'a proposal whose validity was extended after signing',
      proposal(ZJ, async () => {
        const d = document();
        return { document: { ...d, validUntil: '2099-12-31' }, signatures: [await signature(ZJ, d)] };
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'another document under the id of one already held',
      proposal(ZJ, async () => {
        const d = widened(held, { maxDataLevel: 3 });
        return { document: d, signatures: [await signature(ZJ, d)] };
      }),
      409,
      'CONFLICT',
    ],
    // signatures of the held proposal
    [
      'a signature by a province that is no party',
      async () => ({ from: ZJ, path: signaturesOf(held.id), payload: await signature(SC, held) }),
      403,
      'FORBIDDEN',
    ],
    [
      'a party’s signature relayed by a province that is no party',
      async () => ({ from: SC, path: signaturesOf(held.id), payload: await signature(ZJ, held) }),
      403,
      'FORBIDDEN',
    ],
    [
      'a signature over a changed document',
      async () => ({
        from: ZJ,
        path: signaturesOf(held.id),
        payload: await signature(ZJ, widened(held, { maxDataLevel: 4 })),
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a signature naming 310000 made with 330000’s key',
      async () => ({
        from: ZJ,
        path: signaturesOf(held.id),
        payload: await signatureWith(SH, gatewayKey(ZJ), held),
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a signature made with the party’s credential key',
      async () => ({
        from: ZJ,
        path: signaturesOf(held.id),
        payload: await signatureWith(ZJ, p(ZJ).gateway.keys.credential, held),
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a signature for an agreement not held here',
      async () => {
        const other = document();
        return { from: ZJ, path: signaturesOf(other.id), payload: await signature(ZJ, other) };
      },
      404,
      'NOT_FOUND',
    ],
    // withdrawals of the held proposal
    [
      'a withdrawal naming 310000 signed by 330000',
      async () => ({
        from: ZJ,
        path: withdrawalOf(held.id),
        payload: await withdrawalWith(SH, gatewayKey(ZJ), held),
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a withdrawal naming 330000 signed by 510000',
      async () => ({
        from: ZJ,
        path: withdrawalOf(held.id),
        payload: await withdrawalWith(ZJ, gatewayKey(SC), held),
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a withdrawal made with the party’s credential key',
      async () => ({
        from: ZJ,
        path: withdrawalOf(held.id),
        payload: await withdrawalWith(ZJ, p(ZJ).gateway.keys.credential, held),
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a withdrawal by a province that is no party',
      async () => ({ from: SC, path: withdrawalOf(held.id), payload: await withdrawal(SC, held) }),
      403,
      'FORBIDDEN',
    ],
    [
      'a party’s withdrawal relayed by a province that is no party',
      async () => ({ from: SC, path: withdrawalOf(held.id), payload: await withdrawal(ZJ, held) }),
      403,
      'FORBIDDEN',
    ],
    [
      'a withdrawal whose time was changed after signing',
      async () => ({
        from: ZJ,
        path: withdrawalOf(held.id),
        payload: { ...(await withdrawal(ZJ, held)), withdrawnAt: '2030-01-01T00:00:00.000Z' },
      }),
      401,
      'SIGNATURE_INVALID',
    ],
    [
      'a withdrawal naming another agreement than its path',
      async () => ({ from: ZJ, path: withdrawalOf(held.id), payload: await withdrawal(ZJ, document()) }),
      400,
      'INVALID_REQUEST',
    ],
  ];

  it.each(deliveries.map(([name, make, status, code]) => [name, status, code, make] as const))(
    'refuses %s with %i %s, and changes no agreement',
    async (_name, status, code, make) => {
      const { from, path, payload } = await make();
      const before = await snapshot(p(SH));

      const { res, jti } = await signedCall(from, SH, path, payload);

      expect({ status: res.status, code: res.code }).toEqual({ status, code });
      await expectReceiptTo(res, { callee: SH, caller: from, jti, registry: p(from).gateway.registry });
      const events = await expectOnlyRefusal(p(SH), before, { nonceRecorded: true });
      expect(events.map((e) => e.errorCode)).toContain(code);
    },
  );

  it('still holds the proposal as 330000 delivered it, unsigned by 310000', async () => {
    const res = await send(p(SH).url, `/v1/agreements/${held.id}`, { headers: bearer(p(SH), 'operator') });
    expect(res.json).toMatchObject({ state: 'proposed', withdrawals: [], signatures: [{ party: ZJ }] });
  });

  describe('scope at the grantor', () => {
    const verifyCall = (from: string, to: string, identifier: string, extra: Record<string, unknown> = {}) =>
      signedCall(from, to, '/v1/interop/verify', {
        identifier,
        matterCode: MATTER,
        useCause: '跨省核验',
        requester: { platform: 'attack' },
        ...extra,
      });
    const otherType = () => unknownIdentifier({ typeCode: '11100000000013338W010' });

    it('answers the granted call: 510000 verifying the granted type for the granted matter at level 1', async () => {
      const { res } = await verifyCall(SC, SH, licenseT1, { dataLevel: 1 });
      expect(res.status).toBe(200);
    });

    const escalations: [string, () => Promise<Awaited<ReturnType<typeof verifyCall>>>, string, string][] = [
      [
        '330000 asking the alliance for data level 3',
        () => verifyCall(ZJ, SH, licenseT1, { dataLevel: 3 }),
        SH,
        'SCOPE_DENIED',
      ],
      [
        '330000 asking the alliance for data level 4',
        () => verifyCall(ZJ, SH, licenseT1, { dataLevel: 4 }),
        SH,
        'SCOPE_DENIED',
      ],
      [
        '510000 asking 330000, with which it has no agreement',
        () => verifyCall(SC, ZJ, licenseT1),
        ZJ,
        'AGREEMENT_REQUIRED',
      ],
      [
        '510000 verifying a license type it was not granted',
        () => verifyCall(SC, SH, otherType()),
        SH,
        'SCOPE_DENIED',
      ],
      [
        '510000 verifying for a matter it was not granted',
        () => verifyCall(SC, SH, licenseT1, { matterCode: 'OTHER0001' }),
        SH,
        'SCOPE_DENIED',
      ],
      [
        '510000 asking for data level 2 above its maxDataLevel 1',
        () => verifyCall(SC, SH, licenseT1, { dataLevel: 2 }),
        SH,
        'SCOPE_DENIED',
      ],
      [
        '510000 asking for data level 4',
        () => verifyCall(SC, SH, licenseT1, { dataLevel: 4 }),
        SH,
        'SCOPE_DENIED',
      ],
      [
        '510000 verifying a type granted only the status action',
        () => verifyCall(SC, SH, licenseT2),
        SH,
        'SCOPE_DENIED',
      ],
    ];

    it.each(escalations)('refuses %s with 403 %s', async (_name, call, callee, code) => {
      const before = await snapshot(p(callee));

      const { res } = await call();

      expect({ status: res.status, code: res.code }).toEqual({ status: 403, code });
      const events = await expectOnlyRefusal(p(callee), before, { nonceRecorded: true });
      expect(events.map((e) => e.errorCode)).toContain(code);
    });

    it('does not take a matter code of "*" as the wildcard of a grant', async () => {
      const before = await snapshot(p(SH));
      const { res } = await verifyCall(SC, SH, licenseT1, { matterCode: '*' });
      expect([400, 403]).toContain(res.status);
      expect(res.code).toBe(res.status === 400 ? 'INVALID_REQUEST' : 'SCOPE_DENIED');
      await expectOnlyRefusal(p(SH), before, { nonceRecorded: true });
    });
  });
});
