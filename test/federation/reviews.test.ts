import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { IssueResponseSchema } from '../../contracts/license.ts';
import {
  BreakersPageSchema,
  CallerReviewSchema,
  HeldReviewSchema,
  ReviewPolicyViewSchema,
  ReviewQueuePageSchema,
} from '../../contracts/reviews.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { call, mintToken, type TestFederation, testFederation } from '../support/federation.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import { storedEvents } from '../support/scan.ts';

const SENSITIVE = 'ZJ-GA-01';
const use = (identifier: string, extra: Record<string, unknown> = {}) => ({
  identifier,
  matterCode: SENSITIVE,
  useCause: '公安机关办理案件核查身份',
  ...extra,
});

const AgreementSchema = z.object({ id: z.string(), state: z.string() });

/** A bilateral agreement granting 330000 data up to level 3 for the sensitive matter, made active. */
async function levelThreeAgreement(sh: RunningProvince, zj: RunningProvince) {
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const until = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
  const proposed = AgreementSchema.parse(
    (
      await call(sh, 'operator', '/v1/agreements', {
        name: '沪浙公安核查数据共享协议',
        parties: ['310000', '330000'],
        grants: [
          {
            grantor: '310000',
            grantee: '330000',
            actions: ['verify'],
            licenseTypes: ['*'],
            matterCodes: [SENSITIVE],
            maxDataLevel: 3,
          },
        ],
        validFrom: today,
        validUntil: until,
      })
    ).body,
  );
  await vi.waitFor(
    async () => expect((await call(zj, 'operator', `/v1/agreements/${proposed.id}`)).status).toBe(200),
    {
      timeout: 20_000,
      interval: 200,
    },
  );
  expect((await call(zj, 'operator', `/v1/agreements/${proposed.id}/signatures`, {})).status).toBeLessThan(
    300,
  );
  await vi.waitFor(
    async () =>
      expect(
        AgreementSchema.parse((await call(sh, 'operator', `/v1/agreements/${proposed.id}`)).body).state,
      ).toBe('active'),
    { timeout: 20_000, interval: 200 },
  );
}

describe('a person decides sensitive requests at the granting province (§18)', () => {
  let f: TestFederation;
  let identifier: string;
  let second: string;

  beforeAll(async () => {
    f = await testFederation({ name: 'rvw', provinces: ['310000', '320000', '330000'] });
    const sh = f.province('310000');
    identifier = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    ).identifier;
    await levelThreeAgreement(sh, f.province('330000'));
    const policy = await call(
      sh,
      'operator',
      '/v1/review-policy',
      { rules: [{ matterCodes: [SENSITIVE], minDataLevel: 3 }] },
      { method: 'PUT' },
    );
    expect(policy.status).toBe(200);
    second = await mintToken(f, sh, {
      sub: 'reviewer-2@310000',
      roles: ['reviewer'],
      name: 'reviewer-2@310000',
      ttlSeconds: 3600,
    });
  }, 90_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('holds a level-3 verification of a sensitive matter; two reviewers approve; 330000 reads valid', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');

    const asked = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', use(identifier, { dataLevel: 3 }))).body,
    );
    expect(asked.verdict).toBe('unverified');
    expect(asked.reasons.map((r) => r.code)).toEqual(['REVIEW_PENDING']);
    const reviewId = asked.reviewId ?? '';
    expect(reviewId).toMatch(/^310000-/);
    expect(asked.license).toBeUndefined();

    // The Shanghai reviewers see everything the request said.
    const queue = ReviewQueuePageSchema.parse((await call(sh, 'reviewer', '/v1/reviews')).body);
    const held = queue.items.find((r) => r.reviewId === reviewId);
    expect(held).toMatchObject({
      state: 'pending',
      caller: '330000',
      request: {
        identifier,
        matterCode: SENSITIVE,
        dataLevel: 3,
        requester: { platform: '浙江省政务服务平台' },
      },
      dataLevel: 3,
      approvalsNeeded: 2,
      heldBecause: 'policy',
    });

    // Four eyes: the first approval leaves it pending, the same reviewer cannot approve again.
    const first = await call(sh, 'reviewer', `/v1/reviews/${reviewId}/decisions`, {
      decision: 'approve',
      reason: '案件核查，手续齐全',
    });
    expect(HeldReviewSchema.parse(first.body)).toMatchObject({
      state: 'pending',
      decisions: [{ decision: 'approve' }],
    });
    const again = await call(sh, 'reviewer', `/v1/reviews/${reviewId}/decisions`, {
      decision: 'approve',
      reason: '再次批准',
    });
    expect(again.status).toBe(409);
    const approved = await call(
      sh,
      'reviewer',
      `/v1/reviews/${reviewId}/decisions`,
      { decision: 'approve', reason: '复核同意' },
      { headers: { authorization: `Bearer ${second}` } },
    );
    expect(HeldReviewSchema.parse(approved.body).state).toBe('approved');

    // 330000's platform reads a valid verdict, with the level-3 license and Shanghai's signature.
    await vi.waitFor(
      async () => {
        const seen = CallerReviewSchema.parse((await call(zj, 'platform', `/v1/reviews/${reviewId}`)).body);
        expect(seen.state).toBe('approved');
        expect(seen.verdict).toMatchObject({ verdict: 'valid', identifier, issuerProvince: '310000' });
        expect(seen.verdict.license).toMatchObject({ dataLevel: 3 });
        expect(seen.decisionSignature).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      },
      { timeout: 20_000, interval: 200 },
    );

    // Audited on both sides.
    const events = (p: RunningProvince) => storedEvents(p.storage.doc, p.storage.tables.audit);
    const shEvents = (await events(sh)).filter((e) => e.details.reviewId === reviewId);
    expect(shEvents.map((e) => e.action).sort()).toEqual(
      ['interop.verify', 'review.decide', 'review.decide', 'review.hold'].sort(),
    );
    const zjEvents = (await events(zj)).filter((e) => e.details.reviewId === reviewId);
    expect(zjEvents.map((e) => e.action).sort()).toEqual(['review.receive', 'verify']);
  }, 60_000);

  it('a rejected one reads unverified REVIEW_REJECTED', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const asked = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', use(identifier, { dataLevel: 3 }))).body,
    );
    const reviewId = asked.reviewId ?? '';
    expect(
      (
        await call(sh, 'reviewer', `/v1/reviews/${reviewId}/decisions`, {
          decision: 'reject',
          reason: '用途不明',
        })
      ).status,
    ).toBe(200);
    await vi.waitFor(
      async () => {
        const seen = CallerReviewSchema.parse((await call(zj, 'platform', `/v1/reviews/${reviewId}`)).body);
        expect(seen.state).toBe('rejected');
        expect(seen.verdict.verdict).toBe('unverified');
        expect(seen.verdict.reasons.map((r) => r.code)).toEqual(['REVIEW_REJECTED']);
        expect(seen.verdict.license).toBeUndefined();
      },
      { timeout: 20_000, interval: 200 },
    );
    // Decided: no more decisions.
    const late = await call(
      sh,
      'reviewer',
      `/v1/reviews/${reviewId}/decisions`,
      { decision: 'approve', reason: '改为同意' },
      {
        headers: { authorization: `Bearer ${second}` },
      },
    );
    expect(late.status).toBe(409);
  }, 60_000);

  it('lets only a reviewer of the granting province decide', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const asked = VerifyResponseSchema.parse(
      (await call(zj, 'platform', '/v1/verify', use(identifier, { dataLevel: 3 }))).body,
    );
    const reviewId = asked.reviewId ?? '';
    const decide = { decision: 'approve', reason: '同意' };
    const byPlatform = await call(sh, 'platform', `/v1/reviews/${reviewId}/decisions`, decide);
    const byOperator = await call(sh, 'operator', `/v1/reviews/${reviewId}/decisions`, decide);
    // 330000's reviewer, at its own gateway, holds no such review; at 310000 its token is not valid.
    const elsewhere = await call(zj, 'reviewer', `/v1/reviews/${reviewId}/decisions`, decide);
    const foreignToken = await call(sh, 'reviewer', `/v1/reviews/${reviewId}/decisions`, decide, {
      headers: { authorization: `Bearer ${zj.tokens.reviewer}` },
    });
    expect([byPlatform.status, byOperator.status, elsewhere.status, foreignToken.status]).toEqual([
      403, 403, 404, 401,
    ]);
    const still = HeldReviewSchema.parse((await call(sh, 'reviewer', `/v1/reviews/${reviewId}`)).body);
    expect(still).toMatchObject({ state: 'pending', decisions: [] });
  });

  it('answers calls the policy does not match at once', async () => {
    const zj = f.province('330000');
    const plain = VerifyResponseSchema.parse(
      (
        await call(zj, 'platform', '/v1/verify', {
          identifier,
          matterCode: 'ZJ-0001',
          useCause: '办理从业登记',
        })
      ).body,
    );
    expect(plain.verdict).toBe('valid');
    expect(plain.reviewId).toBeUndefined();
  });

  it('shows and audits policy changes to operators only', async () => {
    const sh = f.province('310000');
    const view = ReviewPolicyViewSchema.parse((await call(sh, 'operator', '/v1/review-policy')).body);
    expect(view.rules).toEqual([{ matterCodes: [SENSITIVE], minDataLevel: 3 }]);
    expect(view.breaker).toMatchObject({ callsPerMinute: 60_000, whenOpen: 'refuse' });
    expect((await call(sh, 'platform', '/v1/review-policy')).status).toBe(403);
    const bad = await call(
      sh,
      'operator',
      '/v1/review-policy',
      { rules: [{ matterCode: 'x' }] },
      { method: 'PUT' },
    );
    expect(bad.status).toBe(400);
    const events = await storedEvents(sh.storage.doc, sh.storage.tables.audit);
    expect(events.filter((e) => e.action === 'review.policy' && e.outcome === 'success')).toHaveLength(1);
  });
});

describe('a province walking serials is cut off by its breaker and released by an operator (§18.4)', () => {
  let f: TestFederation;

  beforeAll(async () => {
    f = await testFederation({ name: 'brk', provinces: ['310000', '330000'] });
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('trips on the share of NOT_FOUND answers, answers 429 CIRCUIT_OPEN, and closes on release', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const issued: string[] = [];
    for (let i = 0; i < 5; i++) {
      issued.push(
        IssueResponseSchema.parse((await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body).identifier,
      );
    }
    // Walk serials 2026000001 upwards (a real walker computes check digits; the suite's helper does).
    let learned = 0;
    let tripped = -1;
    for (let n = 1; n <= 400 && tripped < 0; n++) {
      const identifier =
        n <= issued.length
          ? (issued[n - 1] ?? '')
          : unknownIdentifier({ serial: `2026${String(n).padStart(6, '0')}` });
      const res = VerifyResponseSchema.parse(
        (
          await call(zj, 'platform', '/v1/verify', {
            identifier,
            matterCode: 'ZJ-0001',
            useCause: '批量核验',
          })
        ).body,
      );
      if (res.verdict === 'valid') learned++;
      if (res.reasons.some((r) => r.code === 'CIRCUIT_OPEN')) tripped = n;
      // The gate adds its counts and decides a trip at most once a second.
      if (n % 20 === 0) await new Promise((r) => setTimeout(r, 1100));
    }
    expect(tripped).toBeGreaterThan(0);
    expect(learned).toBe(5);

    const breakers = BreakersPageSchema.parse((await call(sh, 'operator', '/v1/breakers')).body);
    expect(breakers.items).toContainEqual(
      expect.objectContaining({ peer: '330000', state: 'open', trippedBecause: 'not-found-share' }),
    );

    // A peer cannot release it; an operator can, and calls are answered again.
    // A signed call from the peer is no operator: the bearer route refuses it (no receipt: 401).
    await expect(
      zj.gateway.peers.call(
        '310000',
        'POST',
        '/v1/breakers/330000/release',
        { reason: 'x' },
        { traceId: 'ab'.repeat(16) },
      ),
    ).rejects.toThrow(/no ELG-Receipt/);
    const byPlatform = await call(sh, 'platform', '/v1/breakers/330000/release', { reason: '误判' });
    expect(byPlatform.status).toBe(403);
    const released = await call(sh, 'operator', '/v1/breakers/330000/release', {
      reason: '已与浙江核实，系测试',
    });
    expect(released.status).toBe(200);
    expect((await call(sh, 'operator', '/v1/breakers/330000/release', { reason: '再次' })).status).toBe(409);
    await vi.waitFor(
      async () => {
        const res = VerifyResponseSchema.parse(
          (
            await call(zj, 'platform', '/v1/verify', {
              identifier: issued[0],
              matterCode: 'ZJ-0001',
              useCause: '办理从业登记',
            })
          ).body,
        );
        expect(res.verdict).toBe('valid');
      },
      { timeout: 10_000, interval: 300 },
    );
    const events = await storedEvents(sh.storage.doc, sh.storage.tables.audit);
    expect(events.filter((e) => e.action === 'breaker.trip' && e.peer === '330000')).toHaveLength(1);
    expect(events.filter((e) => e.action === 'breaker.release' && e.peer === '330000')).toHaveLength(1);
    const refused = events.filter((e) => e.action === 'interop.verify' && e.errorCode === 'CIRCUIT_OPEN');
    expect(refused.length).toBeGreaterThan(0);
  }, 120_000);
});
