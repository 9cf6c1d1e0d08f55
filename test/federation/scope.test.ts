import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgreementViewSchema } from '../../contracts/agreement.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { Federation, RunningProvince } from '../../federation/federation.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { call, testFederation } from '../support/federation.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import { storedEvents } from '../support/scan.ts';

async function eventsOf(p: RunningProvince, traceId: string) {
  return (await storedEvents(p.storage.doc, p.storage.tables.audit)).filter((e) => e.traceId === traceId);
}

/** Polls a bounded number of times: deliveries between provinces run on a 1 s loop. */
async function until(what: string, check: () => Promise<boolean>) {
  for (let i = 0; i < 60; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within 15 s`);
}

describe('scopes of an agreement, enforced by the grantor over HTTP', () => {
  let f: Federation;
  let allowed: string;
  let otherType: string;
  const MATTER = 'SCJZ0001';

  beforeAll(async () => {
    f = await testFederation({ name: 'scp', provinces: ['310000', '510000'] });
    const sh = f.province('310000');
    const sc = f.province('510000');
    const today = todayCst(new Date());
    const proposed = await call(sh, 'operator', '/v1/agreements', {
      name: '沪川建筑类证照核验（限定事项）',
      parties: ['310000', '510000'],
      grants: [
        {
          grantor: '310000',
          grantee: '510000',
          actions: ['verify'],
          licenseTypes: ['11100000000013338W032'],
          matterCodes: [MATTER],
          maxDataLevel: 1,
        },
      ],
      validFrom: today,
      validUntil: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
    });
    expect(proposed.status).toBe(201);
    const id = AgreementViewSchema.parse(proposed.body).id;
    await until(
      'the proposal reaching 510000',
      async () => (await call(sc, 'operator', `/v1/agreements/${id}`)).status === 200,
    );
    expect((await call(sc, 'operator', `/v1/agreements/${id}/signatures`, {})).status).toBeLessThan(300);
    await until('the agreement becoming active in 310000', async () => {
      const got = await call(sh, 'operator', `/v1/agreements/${id}`);
      return AgreementViewSchema.safeParse(got.body).data?.state === 'active';
    });
    allowed = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    ).identifier;
    otherType = IssueResponseSchema.parse(
      (
        await call(
          sh,
          'issuer',
          '/v1/licenses',
          sampleIssue({ typeCode: '11100000000013338W009', typeName: '建筑业企业资质证书' }),
        )
      ).body,
    ).identifier;
  });
  afterAll(async () => {
    await f?.stop();
  });

  const verifyFromSichuan = async (identifier: string, matterCode: string) =>
    VerifyResponseSchema.parse(
      (
        await call(f.province('510000'), 'platform', '/v1/verify', {
          identifier,
          matterCode,
          useCause: '跨省核验',
        })
      ).body,
    );

  it('finds the granted type for the granted matter valid, sharing only level-1 data', async () => {
    const answer = await verifyFromSichuan(allowed, MATTER);
    expect(answer.verdict).toBe('valid');
    expect(answer.license).toMatchObject({ dataLevel: 1, status: '01' });
    expect(answer.license && 'holder' in answer.license ? answer.license.holder : undefined).toBeUndefined();
  });

  it('refuses another matter with SCOPE_DENIED, audited on both sides under one trace id', async () => {
    const answer = await verifyFromSichuan(allowed, 'OTHER0001');
    expect(answer.verdict).toBe('unverified');
    expect(answer.reasons.map((r) => r.code)).toEqual(['SCOPE_DENIED']);

    const grantee = await eventsOf(f.province('510000'), answer.traceId);
    const grantor = await eventsOf(f.province('310000'), answer.traceId);
    // The grantee's one event: its verify event, carrying the refused call and its error code.
    expect(grantee).toEqual([
      expect.objectContaining({
        action: 'verify',
        peer: '310000',
        details: expect.objectContaining({
          direction: 'outbound',
          status: 403,
          calleeErrorCode: 'SCOPE_DENIED',
          receipt: expect.any(String),
        }),
      }),
    ]);
    expect(grantor).toEqual([
      expect.objectContaining({
        action: 'interop.verify',
        outcome: 'refused',
        errorCode: 'SCOPE_DENIED',
        peer: '510000',
      }),
    ]);
  });

  it('refuses another license type with SCOPE_DENIED', async () => {
    const answer = await verifyFromSichuan(otherType, MATTER);
    expect(answer.verdict).toBe('unverified');
    expect(answer.reasons.map((r) => r.code)).toEqual(['SCOPE_DENIED']);
  });

  it('refuses a higher data level than granted with SCOPE_DENIED, signed and audited at the grantor', async () => {
    const sc = f.province('510000');
    const res = await sc.gateway.peers.call(
      '310000',
      'POST',
      '/v1/interop/verify',
      {
        identifier: allowed,
        matterCode: MATTER,
        useCause: '跨省核验',
        requester: { platform: 'test' },
        dataLevel: 2,
      },
      { traceId: randomBytes(16).toString('hex') },
    );
    expect(res.status).toBe(403);
    expect(ErrorBodySchema.parse(res.body).error.code).toBe('SCOPE_DENIED');
  });

  it('tells the grantee nothing about licenses outside its grant, not even whether they exist', async () => {
    const missing = unknownIdentifier();
    const outside = await verifyFromSichuan(missing, 'OTHER0001');
    expect(outside.reasons.map((r) => r.code)).toEqual(['SCOPE_DENIED']);
    const inside = await verifyFromSichuan(missing, MATTER);
    expect(inside.verdict).toBe('invalid');
    expect(inside.reasons.map((r) => r.code)).toEqual(['NOT_FOUND']);
  });
});
