import { describe, expect, it } from 'vitest';
import type { AgreementDocument, AuthorizationQuery } from '../../../contracts/agreement.ts';
import { authorize } from '../../../lib/agreements/policy.ts';
import type { AgreementRecord } from '../../../lib/agreements/state.ts';
import { AH, doc, grant, JS, OTHER_TYPE, SC, SH, TYPE, ZJ } from './fixtures.ts';

const NOW = new Date('2026-06-01T08:00:00Z');
const ALLIANCE = [SH, JS, ZJ, AH];

/** A fully signed record (the policy trusts the store to hold verified signatures only). */
function active(d: AgreementDocument, withdrawn: string[] = []): AgreementRecord {
  return {
    document: d,
    signatures: d.parties.map((party) => ({ party, kid: 'k', signature: 'A'.repeat(86) })),
    withdrawals: withdrawn.map((party) => ({
      agreementId: d.id,
      party,
      withdrawnAt: '2026-05-01T00:00:00.000Z',
      kid: 'k',
      signature: 'B'.repeat(86),
    })),
  };
}

const query = (overrides: Partial<AuthorizationQuery> = {}): AuthorizationQuery => ({
  grantor: SH,
  grantee: ZJ,
  action: 'verify',
  licenseType: TYPE,
  matterCode: 'DEMO0001',
  ...overrides,
});

describe('authorizing an inbound call by agreements', () => {
  const narrow = doc({
    parties: [SH, ZJ],
    grants: [grant({ grantor: SH, grantee: ZJ, licenseTypes: [TYPE], matterCodes: ['DEMO0001'] })],
  });

  it('grants a call an active agreement covers, with the agreement and its data level', () => {
    const result = authorize([active(narrow)], query(), NOW);

    expect(result).toEqual({ ok: true, agreementId: narrow.id, maxDataLevel: 2 });
  });

  it('requires an agreement when the caller shares none with this province', () => {
    const result = authorize([active(narrow)], query({ grantee: SC }), NOW);

    expect(result).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
    expect(result.ok || result.message).toBe(`no active agreement between ${SH} and ${SC}`);
  });

  it('requires an agreement when the only one is still proposed', () => {
    const proposed: AgreementRecord = {
      ...active(narrow),
      signatures: active(narrow).signatures.slice(0, 1),
    };

    expect(authorize([proposed], query(), NOW)).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
  });

  it('requires an agreement when the only one has expired', () => {
    const old = doc({ validFrom: '2020-01-01', validUntil: '2026-05-31' });

    expect(authorize([active(old)], query(), NOW)).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
  });

  it('denies the scope for another license type', () => {
    const result = authorize([active(narrow)], query({ licenseType: OTHER_TYPE }), NOW);

    expect(result).toMatchObject({ ok: false, code: 'SCOPE_DENIED' });
    expect(result.ok || result.message).toContain(OTHER_TYPE);
  });

  it('denies the scope for another matter', () => {
    expect(authorize([active(narrow)], query({ matterCode: 'OTHER' }), NOW)).toMatchObject({
      ok: false,
      code: 'SCOPE_DENIED',
    });
  });

  it('denies the scope for an action not granted', () => {
    expect(authorize([active(narrow)], query({ action: 'fetch' }), NOW)).toMatchObject({
      ok: false,
      code: 'SCOPE_DENIED',
    });
  });

  it('denies a data level above the grant, and allows the levels up to it', () => {
    const above = authorize([active(narrow)], query({ dataLevel: 3 }), NOW);

    expect(above).toMatchObject({ ok: false, code: 'SCOPE_DENIED' });
    expect(above.ok || above.message).toContain('up to level 2');
    expect(authorize([active(narrow)], query({ dataLevel: 2 }), NOW).ok).toBe(true);
    expect(authorize([active(narrow)], query({ dataLevel: 1 }), NOW).ok).toBe(true);
  });

  it('grants only in the direction a grant names', () => {
    const result = authorize([active(narrow)], query({ grantor: ZJ, grantee: SH }), NOW);

    expect(result).toMatchObject({ ok: false, code: 'SCOPE_DENIED' });
  });

  it('reads * as every party, every license type and every matter', () => {
    const open = doc({ parties: ALLIANCE, grants: [grant()] });

    for (const [grantor, grantee] of [
      [SH, AH],
      [AH, JS],
      [ZJ, SH],
    ] as const) {
      const result = authorize(
        [active(open)],
        query({ grantor, grantee, licenseType: OTHER_TYPE, matterCode: 'ANY.1' }),
        NOW,
      );
      expect(result).toEqual({ ok: true, agreementId: open.id, maxDataLevel: 2 });
    }
    expect(authorize([active(open)], query({ grantee: SC }), NOW)).toMatchObject({
      code: 'AGREEMENT_REQUIRED',
    });
  });

  it('requires an agreement for a party that withdrew from an alliance, and keeps serving the rest', () => {
    const open = doc({ parties: ALLIANCE });
    const record = active(open, [AH]);

    expect(authorize([record], query({ grantee: AH }), NOW)).toMatchObject({ code: 'AGREEMENT_REQUIRED' });
    expect(authorize([record], query({ grantor: AH, grantee: SH }), NOW)).toMatchObject({
      code: 'AGREEMENT_REQUIRED',
    });
    expect(authorize([record], query({ grantee: JS }), NOW).ok).toBe(true);
  });

  it('requires an agreement once a bilateral agreement is withdrawn', () => {
    expect(authorize([active(narrow, [ZJ])], query(), NOW)).toMatchObject({ code: 'AGREEMENT_REQUIRED' });
  });

  it('takes the highest data level among the grants that match, across agreements', () => {
    const low = doc({ parties: ALLIANCE, grants: [grant({ maxDataLevel: 1 })] });
    const high = doc({
      parties: [SH, ZJ],
      grants: [grant({ maxDataLevel: 1 }), grant({ grantor: SH, grantee: ZJ, maxDataLevel: 3 })],
    });

    const result = authorize([active(low), active(high)], query({ dataLevel: 3 }), NOW);

    expect(result).toEqual({ ok: true, agreementId: high.id, maxDataLevel: 3 });
    expect(authorize([active(low), active(high)], query({ grantor: ZJ, grantee: SH }), NOW)).toMatchObject({
      ok: true,
      maxDataLevel: 1,
    });
  });
});
