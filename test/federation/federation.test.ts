import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JwksSchema } from '../../contracts/keys.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { call, type TestFederation, testFederation } from '../support/federation.ts';
import { EVERY_CHECK_PASSES, sampleIssue } from '../support/gateway.ts';
import { storedEvents } from '../support/scan.ts';

const FederationFileSchema = z.object({
  root: z.object({ jwk: z.object({ kty: z.literal('EC') }) }),
  provinces: z.array(
    z.object({
      id: z.string(),
      url: z.url(),
      departments: z.array(z.object({ name: z.string(), uscc: z.string() })),
      tokens: z.object({
        issuer: z.string(),
        platform: z.string(),
        operator: z.string(),
        auditor: z.string(),
      }),
    }),
  ),
});

const use = { matterCode: 'DEMO0001', useCause: '窗口核验' };

describe('the local federation over HTTP', () => {
  let f: TestFederation;

  beforeAll(async () => {
    f = await testFederation({ name: 'fed', provinces: ['310000', '330000', '510000'] });
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('writes federation.json with each province, its departments and a token per role', async () => {
    const file = FederationFileSchema.parse(
      JSON.parse(await readFile(join(f.dir, 'federation.json'), 'utf8')),
    );
    expect(file.provinces.map((p) => p.id)).toEqual(['310000', '330000', '510000']);
    expect(file.provinces[0]?.departments[0]?.uscc).toBe('113100000024601315');
    expect(((await stat(join(f.dir, 'federation.json'))).mode & 0o077) === 0).toBe(true);
  });

  it('publishes each province’s four keys with their purposes', async () => {
    for (const p of f.provinces) {
      const res = await fetch(`${p.url}/.well-known/jwks.json`);
      const jwks = JwksSchema.parse(await res.json());
      expect(jwks.keys.map((k) => k.purpose).sort()).toEqual(['audit', 'credential', 'gateway', 'witness']);
    }
  });

  it('reports health with storage and registry', async () => {
    const res = await fetch(`${f.province('330000').url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      province: '330000',
      dependencies: { storage: 'up' },
    });
  });

  it('issues in Shanghai; Zhejiang (alliance) finds it valid with Shanghai’s receipt, Sichuan (no agreement) unverified', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const sc = f.province('510000');
    const issued = await call(sh, 'issuer', '/v1/licenses', sampleIssue());
    expect(issued.status).toBe(201);
    const { identifier, credential } = IssueResponseSchema.parse(issued.body);

    const home = await call(sh, 'platform', '/v1/verify', { credential, ...use });
    expect(VerifyResponseSchema.parse(home.body).verdict).toBe('valid');

    const away = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', { credential, ...use })).body,
    );
    expect(away.verdict).toBe('valid');
    expect(away.checks).toEqual(EVERY_CHECK_PASSES);
    expect(away.issuerProvince).toBe('310000');
    expect(typeof away.receipt).toBe('string');
    expect(away.license?.holder?.code).toBe('110105********002X');

    const refused = VerifyResponseSchema.parse(
      (await call(sc, 'platform', '/v1/verify', { identifier, ...use })).body,
    );
    expect(refused.verdict).toBe('unverified');
    expect(refused.reasons.map((r) => r.code)).toContain('AGREEMENT_REQUIRED');
    expect(typeof refused.receipt).toBe('string');
  });

  it('records the same trace id on both sides of a cross-province call', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const { identifier } = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    );
    const answer = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', { identifier, ...use })).body,
    );
    const eventsOf = async (p: typeof sh) =>
      (await storedEvents(p.storage.doc, p.storage.tables.audit)).filter((e) => e.traceId === answer.traceId);
    const callerSide = await eventsOf(zj);
    const calleeSide = await eventsOf(sh);
    // One event on the calling side: the verify event carries its call to the issuer.
    expect(callerSide.map((e) => e.action)).toEqual(['verify']);
    expect(calleeSide.map((e) => e.action)).toEqual(['interop.verify']);
    expect(calleeSide[0]).toMatchObject({ peer: '330000', outcome: 'success', identifier });
    expect(callerSide[0]).toMatchObject({
      peer: '310000',
      details: {
        direction: 'outbound',
        jti: calleeSide[0]?.details?.jti,
        status: 200,
        receipt: answer.receipt,
      },
    });
    expect(typeof callerSide[0]?.details?.jti).toBe('string');
    expect(typeof callerSide[0]?.details?.ms).toBe('number');
    // The issuer learns the platform by name, not the officer's token subject.
    expect(calleeSide[0]?.details?.requester).toBe('浙江省政务服务平台');
    // What was shared and how it was answered, side by side: neither overwrites the other.
    expect(calleeSide[0]?.details).toMatchObject({ licenseStatus: '01', status: 200, dataLevel: 2 });
    expect(JSON.stringify(calleeSide)).not.toContain('dev-platform@330000');
  });

  it('finds a superseded version and a revoked license of another province invalid, per its issuer', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const first = IssueResponseSchema.parse((await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body);
    const second = IssueResponseSchema.parse(
      (
        await call(sh, 'issuer', `/v1/licenses/${first.identifier}/versions`, {
          number: 'N-2',
          reason: '变更',
        })
      ).body,
    );
    const old = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', { credential: first.credential, ...use })).body,
    );
    expect(old.verdict).toBe('invalid');
    expect(old.reasons.map((r) => r.code)).toEqual(['SUPERSEDED']);

    await call(sh, 'issuer', `/v1/licenses/${second.identifier}/status`, {
      status: '07',
      reason: '吊销',
    });
    const revoked = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', { credential: second.credential, ...use })).body,
    );
    expect(revoked.verdict).toBe('invalid');
    expect(revoked.status).toBe('07');
    expect(revoked.reasons.map((r) => r.code)).toEqual(['STATUS_NOT_VALID']);
    expect(typeof revoked.receipt).toBe('string');
  });

  it("refuses one province's token at another province", async () => {
    const res = await call(f.province('330000'), 'issuer', '/v1/licenses', sampleIssue(), {
      headers: { authorization: `Bearer ${f.province('310000').tokens.issuer}` },
    });
    expect(res.status).toBe(401);
  });

  it('reuses keys and data on a second start', async () => {
    const sh = f.province('310000');
    const issued = IssueResponseSchema.parse((await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body);
    const kidBefore = sh.gateway.keys.credential.kid;
    await f.restart();
    const again = f.province('310000');
    expect(again.gateway.keys.credential.kid).toBe(kidBefore);
    const verified = VerifyResponseSchema.parse(
      (await call(again, 'platform', '/v1/verify', { credential: issued.credential, ...use })).body,
    );
    expect(verified.verdict).toBe('valid');
  });
});
