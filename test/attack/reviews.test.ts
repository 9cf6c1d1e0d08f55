import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import {
  BreakersPageSchema,
  CallerReviewSchema,
  DEFAULT_BREAKER,
  HeldReviewSchema,
  ReviewPendingSchema,
  ReviewPolicyViewSchema,
} from '../../contracts/reviews.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { newTraceId, ulid } from '../../lib/ids.ts';
import { BREAKER_REUSE_MS } from '../../lib/interop/breakers.ts';
import { signRequest } from '../../lib/interop/request-signature.ts';
import { POLICY_REUSE_MS } from '../../lib/reviews/policy-cache.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing, Signer } from '../../lib/signing/signer.ts';
import { call, type TestFederation } from '../support/federation.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import {
  attackFederation,
  bearer,
  newEvents,
  type ProvinceSnapshot,
  type RawAnswer,
  send,
  snapshot,
} from './harness.ts';
import { expectNothingChanged, idpKeyOf, scanTable } from './kit.ts';

/**
 * Manual review and breakers under attack (docs/protocol.md §18): the signed delivery of a
 * decision at the calling province (POST /v1/interop/review-decisions at 330000), the reviewers'
 * routes, the review policy and the breakers at the granting province 310000, and the hold and
 * the breaker gate on POST /v1/interop/verify. Every refusal is checked for its answer and for
 * what it left behind: the reviews table item by item, the licenses, agreements and request ids,
 * and exactly the audit event it writes.
 *
 * 310000, 320000, 330000 and 340000 are the seeded Yangtze River Delta alliance (each may
 * `verify` every type of the others up to data level 2); 310000 also grants 330000 level 3 for
 * the sensitive matter (a bilateral agreement made in beforeAll), so a level-3 hold needs two
 * reviewers. 510000 has no agreement with anyone. 340000 is the serial walker and is used for
 * nothing else, so its breaker starts with no counts.
 *
 * The clock is real time moved by an offset: the breaker adds its counts and decides a trip at
 * most once a second on the calling path, so time must pass; the expiry case at the end of the
 * file jumps 72 h ahead.
 */

const SH = '310000';
const JS = '320000';
const ZJ = '330000';
const AH = '340000';
const SC = '510000';

const VERIFY = '/v1/interop/verify';
const DECISIONS = '/v1/interop/review-decisions';

/** The matter 310000 grants 330000 level 3 for. */
const SENSITIVE = 'ZJ-GA-01';
/** A matter of the alliance (level 2 at most). */
const PLAIN = 'ZJ-0001';

/** Every call from 330000 waits for a person. */
const HOLD_ZJ = { rules: [{ peers: [ZJ] }] };

type Item = Record<string, unknown>;

/** Real time plus an offset the test moves forward. */
function movableClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(ms: number) {
      offset += ms;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface State extends ProvinceSnapshot {
  /** Every item of the reviews table (policy, reviews, queues, breakers, counters, waits, outbox), sorted. */
  reviews: string[];
}

/** An item as canonical JSON (RFC 8785: members sorted at every depth), for exact comparison. */
const canonical = (i: Item) => String(canonicalize(i));
const sortedItems = (items: Item[]) => items.map(canonical).sort();

async function state(p: RunningProvince): Promise<State> {
  const [base, reviews] = await Promise.all([snapshot(p), scanTable(p, p.storage.tables.reviews)]);
  return { ...base, reviews: sortedItems(reviews) };
}

const reviewItems = (p: RunningProvince) => scanTable(p, p.storage.tables.reviews);
const itemOf = async (p: RunningProvince, pk: string, sk = 'DOC') =>
  (await reviewItems(p)).find((i) => i.pk === pk && i.sk === sk);

/** What an audit event says, for exact comparison. */
const said = (e: Item) => ({
  action: e.action,
  outcome: e.outcome,
  errorCode: e.errorCode,
  peer: e.peer,
  callerVerified: (e.details as Item | undefined)?.callerVerified,
});

interface Refusal {
  action: string;
  errorCode: string;
  /** The verified caller of a signed call; absent for bearer calls and unverified signatures. */
  peer?: string;
  /** For signed calls: whether the signature verified. */
  callerVerified?: boolean;
  /** A verified call records its request id in the nonces table. */
  nonceRecorded?: boolean;
}

/**
 * Nothing but one refusal happened at `p` since `before`: the reviews table, licenses and
 * agreements item for item as they were (and the nonces, unless the call's id was recorded), and
 * the audit gained exactly the one refused event described.
 */
async function expectRefusedOnly(p: RunningProvince, before: State, r: Refusal): Promise<Item> {
  const after = await state(p);
  expect(after.reviews, 'the reviews table').toEqual(before.reviews);
  expect(after.licenses, 'the licenses').toEqual(before.licenses);
  expect(after.agreements, 'the agreements').toEqual(before.agreements);
  if (!r.nonceRecorded) expect(after.nonces, 'the nonces').toEqual(before.nonces);
  const events = await newEvents(p, before);
  expect(events.map(said)).toEqual([
    {
      action: r.action,
      outcome: 'refused',
      errorCode: r.errorCode,
      peer: r.peer,
      callerVerified: r.callerVerified,
    },
  ]);
  return events[0] as Item;
}

/** For unaudited reads: nothing changed at all, the reviews table included. */
async function expectUntouched(p: RunningProvince, before: State) {
  await expectNothingChanged(p, before);
  expect((await state(p)).reviews, 'the reviews table').toEqual(before.reviews);
}

/** The error body's trace id blanked out: two answers alike but for their trace are then equal. */
function withoutTrace(res: RawAnswer): string {
  const traceId = (res.json as { error?: { traceId?: string } } | undefined)?.error?.traceId;
  expect(traceId, res.text).toMatch(/^[0-9a-f]{32}$/);
  return res.text.split(String(traceId)).join('<trace>');
}

/** A 202 REVIEW_PENDING body with its review id and expiry blanked out. */
function withoutHold(res: RawAnswer): string {
  const pending = ReviewPendingSchema.parse(res.json);
  return res.text.split(pending.reviewId).join('<review>').split(pending.expiresAt).join('<expires>');
}

const statusOf = (res: RawAnswer) => ({ status: res.status, code: res.code });

const AgreementSchema = z.object({ id: z.string(), state: z.string() });

describe('manual review and breakers under attack', () => {
  let f: TestFederation;
  const clock = movableClock();
  let stranger: KeyRing;
  let license: string;
  let otherLicense: string;
  /** A second and third reviewer of 310000 (its own IdP), for four eyes. */
  let reviewer2: string;
  let reviewer3: string;
  const p = (id: string) => f.province(id);

  /** A JSON call with a bearer token of `p`'s role, or `token` instead. */
  const asRole = (
    at: RunningProvince,
    role: keyof RunningProvince['tokens'],
    path: string,
    body?: unknown,
    init: { method?: string; token?: string } = {},
  ) =>
    send(at.url, path, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: init.token
        ? { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' }
        : bearer(at, role),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** PUT /v1/review-policy as 310000's operator, then long enough for every instance to read it. */
  async function setPolicy(policy: unknown) {
    const res = await asRole(p(SH), 'operator', '/v1/review-policy', policy, { method: 'PUT' });
    expect(res.status, res.text).toBe(200);
    await sleep(POLICY_REUSE_MS + 150);
    return ReviewPolicyViewSchema.parse(res.json);
  }

  /**
   * One signed call `from` → `to`, signed over `payload` (JSON of it, or the very string) by
   * `from`'s gateway key or `signer`; `sent` replaces the bytes sent. `again` sends the same
   * signed request once more.
   */
  async function signedCall(
    from: string,
    to: string,
    path: string,
    payload: unknown,
    opts: { signer?: Signer; sent?: string } = {},
  ) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const signed = await signRequest(opts.signer ?? p(from).gateway.keys.gateway, {
      iss: from,
      aud: to,
      method: 'POST',
      pathWithQuery: path,
      body,
      traceId: newTraceId(),
      now: clock.now(),
    });
    const again = () =>
      send(p(to).url, path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signed.header },
        body: opts.sent ?? body,
      });
    return { res: await again(), again, header: signed.header, body };
  }

  const verifyBody = (identifier: string, extra: Item = {}) => ({
    identifier,
    matterCode: PLAIN,
    useCause: '办理从业登记',
    requester: { platform: '浙江省政务服务平台' },
    ...extra,
  });

  /** `from`'s signed POST /v1/interop/verify at 310000. */
  const verifyAtSh = (from: string, identifier: string, extra: Item = {}) =>
    signedCall(from, SH, VERIFY, verifyBody(identifier, extra));

  /**
   * A verification by 330000's platform that 310000 holds (the policy must hold it): 330000 keeps
   * the wait. Returns the review id.
   */
  async function waitAtZj(identifier = license, extra: Item = {}): Promise<string> {
    const res = await asRole(p(ZJ), 'platform', '/v1/verify', {
      identifier,
      matterCode: PLAIN,
      useCause: '办理从业登记',
      ...extra,
    });
    expect(res.status, res.text).toBe(200);
    const verdict = VerifyResponseSchema.parse(res.json);
    expect(
      verdict.reasons.map((r) => r.code),
      res.text,
    ).toEqual(['REVIEW_PENDING']);
    const reviewId = verdict.reviewId ?? '';
    expect(reviewId).toMatch(/^310000-/);
    return reviewId;
  }

  /** A level-3 verification of the sensitive matter by 330000's platform, held at 310000 for two reviewers. */
  const levelThreeWait = () =>
    waitAtZj(license, { matterCode: SENSITIVE, useCause: '公安机关办理案件核查身份', dataLevel: 3 });

  /** Waits until 310000's outbox of decision deliveries is empty (delivered to 330000). */
  async function delivered() {
    await vi.waitFor(
      async () => expect((await reviewItems(p(SH))).filter((i) => i.pk === 'DLV')).toEqual([]),
      { timeout: 20_000, interval: 200 },
    );
  }

  /** What 310000's interop answer to 320000 is for `identifier` (an answer a forged approval can carry). */
  async function answerOf(identifier: string): Promise<Item> {
    const { res } = await verifyAtSh(JS, identifier);
    expect(res.status, res.text).toBe(200);
    return res.json as Item;
  }

  /** A level-3 agreement 310000 → 330000 for the sensitive matter, made active at both. */
  async function levelThreeAgreement() {
    const sh = p(SH);
    const zj = p(ZJ);
    const today = new Date(clock.now().getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    const until = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
    const proposed = AgreementSchema.parse(
      (
        await call(sh, 'operator', '/v1/agreements', {
          name: '沪浙公安核查数据共享协议',
          parties: [SH, ZJ],
          grants: [
            {
              grantor: SH,
              grantee: ZJ,
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
      { timeout: 20_000, interval: 200 },
    );
    const signed = await call(zj, 'operator', `/v1/agreements/${proposed.id}/signatures`, {});
    expect(signed.status).toBeLessThan(300);
    for (const at of [sh, zj]) {
      await vi.waitFor(
        async () =>
          expect(
            AgreementSchema.parse((await call(at, 'operator', `/v1/agreements/${proposed.id}`)).body).state,
          ).toBe('active'),
        { timeout: 20_000, interval: 200 },
      );
    }
  }

  /** Waits until no audit event has been written at `ids` for two seconds (deliveries done). */
  async function quiet(ids: readonly string[]) {
    for (let round = 0; round < 20; round++) {
      const before = await Promise.all(ids.map((id) => snapshot(p(id))));
      await sleep(2000);
      const fresh = await Promise.all(ids.map((id, i) => newEvents(p(id), before[i] as ProvinceSnapshot)));
      if (fresh.every((e) => e.length === 0)) return;
    }
    throw new Error(`${ids.join(', ')} did not go quiet`);
  }

  beforeAll(async () => {
    f = await attackFederation([SH, JS, ZJ, AH, SC], 'rvw', { clock });
    stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-attack-rvw-stranger-')));
    const issue = async () => {
      const res = await asRole(p(SH), 'issuer', '/v1/licenses', sampleIssue());
      expect(res.status, res.text).toBe(201);
      return IssueResponseSchema.parse(res.json).identifier;
    };
    license = await issue();
    otherLicense = await issue();
    await levelThreeAgreement();
    const key = await idpKeyOf(f, p(SH));
    // Long-lived: the expiry case moves the clock 72 h ahead.
    const mint = (sub: string) =>
      key.idp.mint({
        sub,
        roles: ['reviewer'],
        name: sub,
        ttlSeconds: 30 * 24 * 3600,
        issuer: key.issuer,
        audience: key.audience,
      });
    reviewer2 = await mint('atk-reviewer-2@310000');
    reviewer3 = await mint('atk-reviewer-3@310000');
    await setPolicy(HOLD_ZJ);
    await quiet([SH, ZJ]);
  }, 180_000);

  afterAll(async () => {
    await f?.stop();
  });

  // ---------------------------------------------------------------------------------------------
  describe('POST /v1/interop/review-decisions at the calling province (330000)', () => {
    /** A wait no decision is ever delivered for: every refusal must leave it as it is. */
    let open: string;
    let answer: Item;
    let otherAnswer: Item;
    beforeAll(async () => {
      open = await waitAtZj();
      answer = await answerOf(license);
      otherAnswer = await answerOf(otherLicense);
    });

    const waitItem = (reviewId: string) => itemOf(p(ZJ), `WAIT#${reviewId}`);

    const decisionFor = (reviewId: string, extra: Item = {}): Item => ({
      reviewId,
      identifier: license,
      outcome: 'rejected',
      reason: '用途不明',
      decidedAt: clock.now().toISOString(),
      ...extra,
    });

    it('an unsigned call is 401 SIGNATURE_INVALID without a receipt, the wait unchanged', async () => {
      const wait = await waitItem(open);
      expect(wait).toMatchObject({ state: 'pending' });
      const before = await state(p(ZJ));
      const res = await send(p(ZJ).url, DECISIONS, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(decisionFor(open)),
      });
      expect(statusOf(res)).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeNull();
      await expectRefusedOnly(p(ZJ), before, {
        action: 'interop.inbound',
        errorCode: 'SIGNATURE_INVALID',
        callerVerified: false,
      });
      expect(await waitItem(open)).toEqual(wait);
    });

    it('a signature by a key the registry does not list is 401 without a receipt, the wait unchanged', async () => {
      const wait = await waitItem(open);
      const before = await state(p(ZJ));
      const { res } = await signedCall(SH, ZJ, DECISIONS, decisionFor(open), { signer: stranger.gateway });
      expect(statusOf(res)).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeNull();
      await expectRefusedOnly(p(ZJ), before, {
        action: 'interop.inbound',
        errorCode: 'SIGNATURE_INVALID',
        callerVerified: false,
      });
      expect(await waitItem(open)).toEqual(wait);
    });

    it('a body that is not the one signed (rejected turned approved) is 401 with a receipt, the wait unchanged', async () => {
      const wait = await waitItem(open);
      const signedText = JSON.stringify(decisionFor(open));
      const sent = JSON.stringify(decisionFor(open, { outcome: 'approved', reason: '同意', answer }));
      const before = await state(p(ZJ));
      const { res } = await signedCall(SH, ZJ, DECISIONS, signedText, { sent });
      expect(statusOf(res)).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeTruthy();
      await expectRefusedOnly(p(ZJ), before, {
        action: 'interop.inbound',
        errorCode: 'SIGNATURE_INVALID',
        peer: SH,
        callerVerified: true,
      });
      expect(await waitItem(open)).toEqual(wait);
    });

    it('a replayed delivery is 409 REPLAYED the second time, the decision stored once', async () => {
      const reviewId = await waitAtZj();
      const first = await signedCall(SH, ZJ, DECISIONS, decisionFor(reviewId));
      expect(first.res.status, first.res.text).toBe(200);
      expect(first.res.json).toEqual({ reviewId, state: 'rejected' });
      const decided = await waitItem(reviewId);
      expect(decided).toMatchObject({
        state: 'rejected',
        decisionBody: first.body,
        decisionSignature: first.header,
      });
      const before = await state(p(ZJ));

      const replay = await first.again();

      expect(statusOf(replay)).toEqual({ status: 409, code: 'REPLAYED' });
      await expectRefusedOnly(p(ZJ), before, {
        action: 'interop.inbound',
        errorCode: 'REPLAYED',
        peer: SH,
        callerVerified: true,
      });
      expect(await waitItem(reviewId)).toEqual(decided);
      const mentioning = (await reviewItems(p(ZJ))).filter((i) => JSON.stringify(i).includes(reviewId));
      expect(mentioning.map((i) => i.pk)).toEqual([`WAIT#${reviewId}`]);
    });

    it.each([
      ['320000 delivering a decision on a review 310000 holds', () => `${open}`],
      [
        '320000 delivering a decision under its own province with the same ULID',
        () => `${JS}${open.slice(6)}`,
      ],
    ])('refuses %s: 404 NOT_FOUND, the wait unchanged', async (_n, reviewIdOf) => {
      const reviewId = reviewIdOf();
      const wait = await waitItem(open);
      const before = await state(p(ZJ));
      const { res } = await signedCall(JS, ZJ, DECISIONS, decisionFor(reviewId));
      expect(statusOf(res), res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(res.receipt).toBeTruthy();
      await expectRefusedOnly(p(ZJ), before, {
        action: 'review.receive',
        errorCode: 'NOT_FOUND',
        peer: JS,
        callerVerified: true,
        nonceRecorded: true,
      });
      expect(await waitItem(open)).toEqual(wait);
      expect(await waitItem(reviewId)).toEqual(reviewId === open ? wait : undefined);
    });

    it('refuses a decision for a review id 330000 never waited for: 404 NOT_FOUND, nothing stored', async () => {
      const reviewId = `${SH}-${ulid(clock.now())}`;
      const before = await state(p(ZJ));
      const { res } = await signedCall(SH, ZJ, DECISIONS, decisionFor(reviewId));
      expect(statusOf(res), res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
      await expectRefusedOnly(p(ZJ), before, {
        action: 'review.receive',
        errorCode: 'NOT_FOUND',
        peer: SH,
        callerVerified: true,
        nonceRecorded: true,
      });
      expect(await waitItem(reviewId)).toBeUndefined();
    });

    /**
     * §18.5: the delivery is accepted only "for the identifier asked (else 400)". A well-formed
     * decision on a real wait of 310000, naming another license of 310000.
     */
    it('refuses a decision naming another identifier than the wait asked about: 404 as for no wait (§18.5), the wait unchanged', async () => {
      const wait = await waitItem(open);
      const before = await state(p(ZJ));
      const { res } = await signedCall(SH, ZJ, DECISIONS, decisionFor(open, { identifier: otherLicense }));
      // Refused and nothing stored, whatever the status.
      const after = await state(p(ZJ));
      expect(after.reviews).toEqual(before.reviews);
      expect(await waitItem(open)).toEqual(wait);
      expect((await newEvents(p(ZJ), before)).map((e) => e.outcome)).toEqual(['refused']);
      expect(statusOf(res), res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
    });

    it('refuses a second, different decision on a decided wait (409 CONFLICT); the same one again is 200 and changes nothing', async () => {
      const reviewId = await waitAtZj();
      const decision = decisionFor(reviewId);
      const first = await signedCall(SH, ZJ, DECISIONS, decision);
      expect(first.res.status, first.res.text).toBe(200);
      const decided = await waitItem(reviewId);
      expect(decided).toMatchObject({ state: 'rejected', decisionBody: first.body });

      for (const different of [
        { reason: '另一个理由' },
        { outcome: 'expired', reason: '超时' },
        { outcome: 'approved', reason: '同意', answer },
        { decidedAt: new Date(clock.now().getTime() + 1000).toISOString() },
      ]) {
        const before = await state(p(ZJ));
        const { res } = await signedCall(SH, ZJ, DECISIONS, { ...decision, ...different });
        expect(statusOf(res), `${JSON.stringify(different)}: ${res.text}`).toEqual({
          status: 409,
          code: 'CONFLICT',
        });
        await expectRefusedOnly(p(ZJ), before, {
          action: 'review.receive',
          errorCode: 'CONFLICT',
          peer: SH,
          callerVerified: true,
          nonceRecorded: true,
        });
        expect(await waitItem(reviewId)).toEqual(decided);
      }

      // The same decision again (a fresh signature, the same bytes; then its members reordered).
      const reordered = Object.fromEntries(Object.entries(decision).reverse());
      for (const same of [decision, reordered]) {
        const before = await state(p(ZJ));
        const { res } = await signedCall(SH, ZJ, DECISIONS, same);
        expect(res.status, res.text).toBe(200);
        expect(res.json).toEqual({ reviewId, state: 'rejected' });
        const after = await state(p(ZJ));
        expect(after.reviews).toEqual(before.reviews);
        expect(await waitItem(reviewId)).toEqual(decided);
        expect((await newEvents(p(ZJ), before)).map(said)).toEqual([
          { action: 'review.receive', outcome: 'success', peer: SH, callerVerified: true },
        ]);
      }
      // 330000's platform reads the first decision, with its exact bytes and signature.
      const seen = await asRole(p(ZJ), 'platform', `/v1/reviews/${reviewId}`);
      expect(CallerReviewSchema.parse(seen.json)).toMatchObject({
        state: 'rejected',
        decisionBody: first.body,
        decisionSignature: first.header,
        verdict: { verdict: 'unverified', reasons: [{ code: 'REVIEW_REJECTED' }] },
      });
    });

    const offContract: [string, () => Item][] = [
      ['approved without answer or error', () => decisionFor(open, { outcome: 'approved', reason: '同意' })],
      [
        'approved with both answer and error',
        () =>
          decisionFor(open, {
            outcome: 'approved',
            reason: '同意',
            answer,
            error: { status: 404, code: 'NOT_FOUND', message: 'no such license' },
          }),
      ],
      ['rejected with an answer', () => decisionFor(open, { answer })],
      [
        'expired with an error',
        () =>
          decisionFor(open, {
            outcome: 'expired',
            error: { status: 404, code: 'NOT_FOUND', message: 'no such license' },
          }),
      ],
      [
        'approved with the answer of another identifier',
        () => decisionFor(open, { outcome: 'approved', reason: '同意', answer: otherAnswer }),
      ],
      ['an unknown member', () => decisionFor(open, { state: 'rejected' })],
      [
        'an unknown member in the error',
        () =>
          decisionFor(open, {
            outcome: 'approved',
            reason: '同意',
            error: { status: 404, code: 'NOT_FOUND', message: 'x', license: 'none' },
          }),
      ],
      ['an outcome outside the contract', () => decisionFor(open, { outcome: 'pending' })],
      ['a review id that is not one', () => decisionFor(`${SH}-notaulid`)],
      [
        'a missing member (no decidedAt)',
        () => {
          const { decidedAt: _d, ...rest } = decisionFor(open);
          return rest;
        },
      ],
    ];

    it.each(offContract)('refuses %s: 400 INVALID_REQUEST, the wait unchanged', async (_n, make) => {
      const wait = await waitItem(open);
      const before = await state(p(ZJ));
      const { res } = await signedCall(SH, ZJ, DECISIONS, make());
      expect(statusOf(res), res.text).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      expect(res.receipt).toBeTruthy();
      await expectRefusedOnly(p(ZJ), before, {
        action: 'interop.inbound',
        errorCode: 'INVALID_REQUEST',
        peer: SH,
        callerVerified: true,
        nonceRecorded: true,
      });
      expect(await waitItem(open)).toEqual(wait);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('the reviewers’ routes at the granting province (310000)', () => {
    /** A level-3 hold (two approvals needed). */
    let r1: string;
    /** Another one, left pending. */
    let r2: string;
    const reviewItem = (reviewId: string) => itemOf(p(SH), `REV#${reviewId}`);
    const decide = (reviewId: string, body: unknown, token?: string) =>
      asRole(p(SH), 'reviewer', `/v1/reviews/${reviewId}/decisions`, body, token ? { token } : {});

    beforeAll(async () => {
      r1 = await levelThreeWait();
      r2 = await levelThreeWait();
      const held = HeldReviewSchema.parse((await asRole(p(SH), 'reviewer', `/v1/reviews/${r1}`)).json);
      expect(held).toMatchObject({ state: 'pending', approvalsNeeded: 2, dataLevel: 3, decisions: [] });
    });

    it.each(['platform', 'operator', 'auditor'] as const)(
      'a %s token is 403 FORBIDDEN, the review unchanged',
      async (role) => {
        const review = await reviewItem(r1);
        const before = await state(p(SH));
        const res = await asRole(p(SH), role, `/v1/reviews/${r1}/decisions`, {
          decision: 'approve',
          reason: '同意',
        });
        expect(statusOf(res), res.text).toEqual({ status: 403, code: 'FORBIDDEN' });
        await expectRefusedOnly(p(SH), before, { action: 'review.decide', errorCode: 'FORBIDDEN' });
        expect(await reviewItem(r1)).toEqual(review);
      },
    );

    it('a reviewer token of 330000’s identity provider is 401 UNAUTHENTICATED, the review unchanged', async () => {
      const review = await reviewItem(r1);
      const before = await state(p(SH));
      const res = await decide(r1, { decision: 'approve', reason: '同意' }, p(ZJ).tokens.reviewer);
      expect(statusOf(res), res.text).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      await expectRefusedOnly(p(SH), before, { action: 'review.decide', errorCode: 'UNAUTHENTICATED' });
      expect(await reviewItem(r1)).toEqual(review);
    });

    it('the same reviewer deciding twice is 409 CONFLICT, one decision stored; a second reviewer approves', async () => {
      const first = await decide(r1, { decision: 'approve', reason: '案件核查，手续齐全' });
      expect(first.status, first.text).toBe(200);
      expect(HeldReviewSchema.parse(first.json)).toMatchObject({
        state: 'pending',
        decisions: [{ decision: 'approve' }],
      });
      const review = await reviewItem(r1);
      for (const again of [
        { decision: 'approve', reason: '再次批准' },
        { decision: 'reject', reason: '改为驳回' },
      ]) {
        const before = await state(p(SH));
        const res = await decide(r1, again);
        expect(statusOf(res), res.text).toEqual({ status: 409, code: 'CONFLICT' });
        await expectRefusedOnly(p(SH), before, { action: 'review.decide', errorCode: 'CONFLICT' });
        expect(await reviewItem(r1)).toEqual(review);
      }
      expect(review).toMatchObject({ state: 'pending', decisions: [{ decision: 'approve' }] });

      const approved = await decide(r1, { decision: 'approve', reason: '复核同意' }, reviewer2);
      expect(approved.status, approved.text).toBe(200);
      expect(HeldReviewSchema.parse(approved.json)).toMatchObject({ state: 'approved' });
      expect(HeldReviewSchema.parse(approved.json).decisions).toHaveLength(2);
      await delivered();
    });

    it('a decision on a decided review is 409 CONFLICT, the review unchanged', async () => {
      const review = await reviewItem(r1);
      expect(review).toMatchObject({ state: 'approved' });
      for (const body of [
        { decision: 'approve', reason: '第三人同意' },
        { decision: 'reject', reason: '第三人驳回' },
      ]) {
        const before = await state(p(SH));
        const res = await decide(r1, body, reviewer3);
        expect(statusOf(res), res.text).toEqual({ status: 409, code: 'CONFLICT' });
        await expectRefusedOnly(p(SH), before, { action: 'review.decide', errorCode: 'CONFLICT' });
        expect(await reviewItem(r1)).toEqual(review);
      }
    });

    it.each([
      ['decision "maybe"', { decision: 'maybe', reason: '再看看' }],
      ['no reason', { decision: 'approve' }],
      ['an empty reason', { decision: 'approve', reason: '' }],
      ['a reason of 501 characters', { decision: 'approve', reason: '同'.repeat(501) }],
      ['an unknown member', { decision: 'approve', reason: '同意', approvals: 2 }],
      ['a reason with a control character', { decision: 'approve', reason: '同意\u001b[2J' }],
    ])('%s is 400 INVALID_REQUEST, the review unchanged', async (_n, body) => {
      const review = await reviewItem(r2);
      const before = await state(p(SH));
      const res = await decide(r2, body);
      expect(statusOf(res), res.text).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      await expectRefusedOnly(p(SH), before, { action: 'review.decide', errorCode: 'INVALID_REQUEST' });
      expect(await reviewItem(r2)).toEqual(review);
    });

    it('a review id that is not one of 310000’s reviews is 404 NOT_FOUND, nothing stored', async () => {
      const bodies: string[] = [];
      for (const id of [
        'not-a-review',
        `${SH}-01JDQ6X8Z5S2W3E4R5T6Y7V8WI`,
        r2.toLowerCase(),
        `${ZJ}-${r2.slice(7)}`,
        `${SH}-${ulid(clock.now())}`,
      ]) {
        const before = await state(p(SH));
        const res = await decide(id, { decision: 'approve', reason: '同意' });
        expect(statusOf(res), `${id}: ${res.text}`).toEqual({ status: 404, code: 'NOT_FOUND' });
        await expectRefusedOnly(p(SH), before, { action: 'review.decide', errorCode: 'NOT_FOUND' });
        bodies.push(withoutTrace(res).split(id).join('<id>'));
      }
      expect(new Set(bodies).size).toBe(1);
    });

    it('a platform of 310000 reading a held review is answered 404 exactly as for no review', async () => {
      const missing = `${SH}-${ulid(clock.now())}`;
      const before = await state(p(SH));
      const theirs = await asRole(p(SH), 'platform', `/v1/reviews/${r2}`);
      const none = await asRole(p(SH), 'platform', `/v1/reviews/${missing}`);
      expect(statusOf(theirs), theirs.text).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(withoutTrace(theirs).split(r2).join('<id>')).toBe(
        withoutTrace(none).split(missing).join('<id>'),
      );
      expect(theirs.text).not.toContain(license);
      await expectUntouched(p(SH), before);
      // (control) a reviewer reads it.
      expect((await asRole(p(SH), 'reviewer', `/v1/reviews/${r2}`)).status).toBe(200);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('the review policy (310000)', () => {
    const policyItem = () => itemOf(p(SH), 'POLICY');

    it.each(['platform', 'reviewer'] as const)(
      'a %s token can neither read (403) nor change (403, audited) the policy',
      async (role) => {
        const policy = await policyItem();
        expect(policy).toBeDefined();
        const before = await state(p(SH));
        const read = await asRole(p(SH), role, '/v1/review-policy');
        expect(statusOf(read), read.text).toEqual({ status: 403, code: 'FORBIDDEN' });
        await expectUntouched(p(SH), before);

        const change = await asRole(p(SH), role, '/v1/review-policy', { rules: [] }, { method: 'PUT' });
        expect(statusOf(change), change.text).toEqual({ status: 403, code: 'FORBIDDEN' });
        await expectRefusedOnly(p(SH), before, { action: 'review.policy', errorCode: 'FORBIDDEN' });
        expect(await policyItem()).toEqual(policy);
      },
    );

    it.each([
      ['101 rules', { rules: Array.from({ length: 101 }, () => ({ peers: [ZJ] })) }],
      ['an unknown member of a rule', { rules: [{ peers: [ZJ], peer: ZJ }] }],
      ['an unknown member of the policy', { rules: [], version: 7 }],
      ['minDataLevel 5', { rules: [{ minDataLevel: 5 }] }],
      ['minDataLevel 0', { rules: [{ minDataLevel: 0 }] }],
      ['no rules', {}],
      ['a peer that is no province id', { rules: [{ peers: ['abc'] }] }],
      ['an empty peers list', { rules: [{ peers: [] }] }],
      ['whenOpen "allow"', { rules: [], breaker: { ...DEFAULT_BREAKER, whenOpen: 'allow' } }],
      ['notFoundShare 1.5', { rules: [], breaker: { ...DEFAULT_BREAKER, notFoundShare: 1.5 } }],
      ['a breaker without minCalls', { rules: [], breaker: { ...DEFAULT_BREAKER, minCalls: undefined } }],
      ['callsPerMinute 0', { rules: [], breaker: { ...DEFAULT_BREAKER, callsPerMinute: 0 } }],
    ])('%s is 400 INVALID_REQUEST, the stored policy unchanged', async (_n, body) => {
      const policy = await policyItem();
      const before = await state(p(SH));
      const res = await asRole(p(SH), 'operator', '/v1/review-policy', body, { method: 'PUT' });
      expect(statusOf(res), res.text).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      await expectRefusedOnly(p(SH), before, { action: 'review.policy', errorCode: 'INVALID_REQUEST' });
      expect(await policyItem()).toEqual(policy);
      const view = ReviewPolicyViewSchema.parse((await asRole(p(SH), 'operator', '/v1/review-policy')).json);
      expect(view.rules).toEqual(HOLD_ZJ.rules);
    });

    it('racing changes never lose an audit event: every 200 has its review.policy event, every loser is 409', async () => {
      const statuses: number[] = [];
      const before = await state(p(SH));
      for (let round = 0; round < 5; round++) {
        const policies = Array.from({ length: 4 }, (_, i) => ({
          rules: [{ peers: [ZJ] }, { matterCodes: [`RACE-${round}-${i}`] }],
        }));
        const answers = await Promise.all(
          policies.map((policy) => asRole(p(SH), 'operator', '/v1/review-policy', policy, { method: 'PUT' })),
        );
        for (const a of answers) {
          expect([200, 409], a.text).toContain(a.status);
          if (a.status === 409) expect(a.code).toBe('CONFLICT');
          statuses.push(a.status);
        }
      }
      const events = (await newEvents(p(SH), before)).filter((e) => e.action === 'review.policy');
      const won = events.filter((e) => e.outcome === 'success');
      const lost = events.filter((e) => e.outcome === 'refused');
      expect(won).toHaveLength(statuses.filter((s) => s === 200).length);
      expect(lost).toHaveLength(statuses.filter((s) => s === 409).length);
      expect(lost.every((e) => e.errorCode === 'CONFLICT')).toBe(true);
      expect(events).toHaveLength(statuses.length);
      // Each stored version has exactly one event, and the policy in force is the last one's.
      const versions = won.map((e) => Number((e.details as Item).version)).sort((a, b) => a - b);
      expect(new Set(versions).size).toBe(versions.length);
      const stored = await policyItem();
      expect(stored?.version).toBe(versions[versions.length - 1]);
      const last = won.find((e) => Number((e.details as Item).version) === stored?.version);
      expect(JSON.parse(String((last?.details as Item | undefined)?.policy)).rules).toEqual(stored?.rules);
      // Versions follow one another: no change was written over another unseen.
      expect(versions).toEqual(versions.map((_, i) => (versions[0] ?? 0) + i));
      console.info(
        `policy race: ${statuses.filter((s) => s === 200).length} stored, ${statuses.filter((s) => s === 409).length} refused 409 of ${statuses.length}`,
      );
      await setPolicy(HOLD_ZJ);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('a held call tells nothing about the license', () => {
    it('holds an existing and a missing license alike: 202, the same body but for the review id and expiry', async () => {
      const answers: RawAnswer[] = [];
      const stored: Item[] = [];
      for (const identifier of [license, unknownIdentifier({ serial: 'HELD0001' })]) {
        const before = await state(p(SH));
        const { res } = await verifyAtSh(ZJ, identifier);
        expect(res.status, res.text).toBe(202);
        expect(res.receipt).toBeTruthy();
        const pending = ReviewPendingSchema.parse(res.json);
        expect(pending).toMatchObject({ code: 'REVIEW_PENDING', state: 'pending' });
        const events = await newEvents(p(SH), before);
        expect(
          events
            .map((e) => [e.action, e.outcome, (e.details as Item).held, (e.details as Item).reviewId])
            .sort(),
        ).toEqual(
          [
            ['interop.verify', 'success', 'policy', pending.reviewId],
            ['review.hold', 'success', undefined, pending.reviewId],
          ].sort(),
        );
        const after = await state(p(SH));
        expect(after.licenses).toEqual(before.licenses);
        // A held call counts towards its caller's rate (§18.4): the minute counters may move.
        const counter = (i: string) => i.includes('"pk":"CNT#');
        const added = (await reviewItems(p(SH)))
          .filter((i) => !before.reviews.includes(canonical(i)))
          .filter((i) => !String(i.pk).startsWith('CNT#'));
        expect(
          before.reviews.filter((i) => !counter(i)).every((i) => after.reviews.includes(i)),
          'nothing stored changed',
        ).toBe(true);
        expect(added.map((i) => String(i.pk)).sort()).toEqual(['PENDING', `REV#${pending.reviewId}`]);
        stored.push(added.find((i) => i.pk !== 'PENDING') as Item);
        answers.push(res);
      }
      const [real, none] = answers as [RawAnswer, RawAnswer];
      expect(withoutHold(none)).toBe(withoutHold(real));
      expect(none.headers.get('content-length')).toBe(real.headers.get('content-length'));
      // What was stored differs only in the identifier asked and the ids and times.
      const alike = (i: Item) => {
        const { pk: _pk, reviewId: _id, createdAt: _c, expiresAt: _e, traceId: _t, request, ...rest } = i;
        return {
          ...rest,
          request: { ...(request as Item), identifier: '<identifier>' },
          keys: Object.keys(i).sort(),
        };
      };
      expect(alike(stored[1] as Item)).toEqual(alike(stored[0] as Item));
    });

    it('refuses a province without an agreement 403 AGREEMENT_REQUIRED before any hold, even when every call is held', async () => {
      await setPolicy({ rules: [{}] });
      try {
        const answers: RawAnswer[] = [];
        for (const identifier of [license, unknownIdentifier({ serial: 'HELD0002' })]) {
          const before = await state(p(SH));
          const { res } = await verifyAtSh(SC, identifier);
          expect(statusOf(res), res.text).toEqual({ status: 403, code: 'AGREEMENT_REQUIRED' });
          const event = await expectRefusedOnly(p(SH), before, {
            action: 'interop.verify',
            errorCode: 'AGREEMENT_REQUIRED',
            peer: SC,
            callerVerified: true,
            nonceRecorded: true,
          });
          expect((event.details as Item).reviewId).toBeUndefined();
          answers.push(res);
        }
        const [real, none] = answers as [RawAnswer, RawAnswer];
        expect(withoutTrace(none)).toBe(withoutTrace(real));
      } finally {
        await setPolicy(HOLD_ZJ);
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('breakers (330000’s at 310000)', () => {
    const breakerItem = () => itemOf(p(SH), `BRK#${ZJ}`, 'STATE');
    const release = (role: keyof RunningProvince['tokens'], peer = ZJ, reason = '已与浙江核实') =>
      asRole(p(SH), role, `/v1/breakers/${peer}/release`, { reason });

    beforeAll(async () => {
      // A breaker that trips on a single NOT_FOUND: 330000 asks for one license that is not there.
      await setPolicy({
        rules: [],
        breaker: {
          callsPerMinute: 60_000,
          notFoundShare: 0,
          windowMinutes: 1,
          minCalls: 1,
          whenOpen: 'refuse',
        },
      });
      let tripped = false;
      for (let i = 0; i < 10 && !tripped; i++) {
        const { res } = await verifyAtSh(ZJ, unknownIdentifier({ serial: `TRIP${i}` }));
        tripped = res.code === 'CIRCUIT_OPEN';
        if (!tripped) {
          expect(statusOf(res), res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
          await sleep(BREAKER_REUSE_MS + 100);
        }
      }
      expect(tripped).toBe(true);
      // The defaults again (whenOpen: refuse): the breaker stays open until released.
      await setPolicy({ rules: [] });
      const listed = BreakersPageSchema.parse((await asRole(p(SH), 'operator', '/v1/breakers')).json);
      expect(listed.items).toContainEqual(
        expect.objectContaining({ peer: ZJ, state: 'open', trippedBecause: 'not-found-share' }),
      );
    }, 60_000);

    it('answers an existing and a missing license alike while open: 429 CIRCUIT_OPEN, the same body but for the trace id', async () => {
      const answers: RawAnswer[] = [];
      for (const identifier of [license, unknownIdentifier({ serial: 'OPEN0001' })]) {
        const before = await state(p(SH));
        const { res } = await verifyAtSh(ZJ, identifier);
        expect(statusOf(res), res.text).toEqual({ status: 429, code: 'CIRCUIT_OPEN' });
        expect(res.receipt).toBeTruthy();
        await expectRefusedOnly(p(SH), before, {
          action: 'interop.verify',
          errorCode: 'CIRCUIT_OPEN',
          peer: ZJ,
          callerVerified: true,
          nonceRecorded: true,
        });
        answers.push(res);
      }
      const [real, none] = answers as [RawAnswer, RawAnswer];
      expect(withoutTrace(none)).toBe(withoutTrace(real));
      expect(none.headers.get('content-length')).toBe(real.headers.get('content-length'));
    });

    it('holds an existing and a missing license alike while open with whenOpen "review": 202, held because of the breaker', async () => {
      await setPolicy({ rules: [], breaker: { ...DEFAULT_BREAKER, whenOpen: 'review' } });
      try {
        const answers: RawAnswer[] = [];
        for (const identifier of [license, unknownIdentifier({ serial: 'OPEN0002' })]) {
          const { res } = await verifyAtSh(ZJ, identifier);
          expect(res.status, res.text).toBe(202);
          const { reviewId } = ReviewPendingSchema.parse(res.json);
          expect(await itemOf(p(SH), `REV#${reviewId}`)).toMatchObject({
            heldBecause: 'breaker',
            state: 'pending',
          });
          answers.push(res);
        }
        const [real, none] = answers as [RawAnswer, RawAnswer];
        expect(withoutHold(none)).toBe(withoutHold(real));
      } finally {
        await setPolicy({ rules: [] });
      }
    });

    it('a peer cannot release it: its signed call to the bearer route is 401 without a receipt, the breaker still open', async () => {
      const breaker = await breakerItem();
      expect(breaker).toMatchObject({ state: 'open' });
      const before = await state(p(SH));
      const { res } = await signedCall(ZJ, SH, `/v1/breakers/${ZJ}/release`, { reason: '误判，请解除' });
      expect(statusOf(res), res.text).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      expect(res.receipt).toBeNull();
      await expectRefusedOnly(p(SH), before, { action: 'breaker.release', errorCode: 'UNAUTHENTICATED' });
      expect(await breakerItem()).toEqual(breaker);
    });

    it.each(['platform', 'reviewer', 'auditor'] as const)(
      'a %s token cannot release it (403), nor list the breakers (403)',
      async (role) => {
        const breaker = await breakerItem();
        const before = await state(p(SH));
        const listed = await asRole(p(SH), role, '/v1/breakers');
        expect(statusOf(listed), listed.text).toEqual({ status: 403, code: 'FORBIDDEN' });
        await expectUntouched(p(SH), before);
        const res = await release(role);
        expect(statusOf(res), res.text).toEqual({ status: 403, code: 'FORBIDDEN' });
        await expectRefusedOnly(p(SH), before, { action: 'breaker.release', errorCode: 'FORBIDDEN' });
        expect(await breakerItem()).toEqual(breaker);
      },
    );

    it('an operator releases it once; releasing a closed breaker, or one never tripped, is 409 CONFLICT', async () => {
      const released = await release('operator');
      expect(released.status, released.text).toBe(200);
      expect(released.json).toMatchObject({ peer: ZJ, state: 'closed', releasedBy: `dev-operator@${SH}` });
      const breaker = await breakerItem();
      expect(breaker).toMatchObject({ state: 'closed' });
      for (const peer of [ZJ, SC]) {
        const before = await state(p(SH));
        const res = await release('operator', peer, '再次解除');
        expect(statusOf(res), `${peer}: ${res.text}`).toEqual({ status: 409, code: 'CONFLICT' });
        await expectRefusedOnly(p(SH), before, { action: 'breaker.release', errorCode: 'CONFLICT' });
        expect(await breakerItem()).toEqual(breaker);
      }
      const before = await state(p(SH));
      const none = await release('operator', 'abc');
      expect(statusOf(none), none.text).toEqual({ status: 404, code: 'NOT_FOUND' });
      await expectRefusedOnly(p(SH), before, { action: 'breaker.release', errorCode: 'NOT_FOUND' });
      // 330000 is answered again (within a second of the release).
      await vi.waitFor(async () => expect((await verifyAtSh(ZJ, license)).res.status).toBe(200), {
        timeout: 5_000,
        interval: 300,
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('a province walking serials (340000) is cut off by the default breaker', () => {
    interface Walked {
      start: number;
      end: number;
      status: number;
      code: string | undefined;
    }

    /** How long the walker goes on after the first 429: past the gate's 1 s reuse of a state read. */
    const AFTER_TRIP_MS = 2.5 * BREAKER_REUSE_MS;

    /**
     * 340000 walks serials of 310000's sample type from `from` on, one call after another as fast
     * as it can, and goes on for AFTER_TRIP_MS after the first 429 (every fifth call then asks
     * for the existing license), or until `limit` calls. Every call with its timing.
     */
    async function walk(from: number, limit: number): Promise<Walked[]> {
      const walked: Walked[] = [];
      let trippedAt: number | undefined;
      for (let n = from; walked.length < limit; n++) {
        if (trippedAt !== undefined && Date.now() - trippedAt >= AFTER_TRIP_MS) break;
        const identifier =
          trippedAt !== undefined && n % 5 === 0
            ? license
            : unknownIdentifier({ serial: `2026${String(n).padStart(6, '0')}` });
        const start = Date.now();
        const { res } = await verifyAtSh(AH, identifier);
        walked.push({ start, end: Date.now(), status: res.status, code: res.code });
        expect([200, 404, 429], res.text).toContain(res.status);
        if (res.status === 429) trippedAt ??= start;
      }
      return walked;
    }

    /**
     * The bound, from the settings (DEFAULT_BREAKER: minCalls 50, notFoundShare 0.2) and the gate
     * (lib/interop/breakers.ts: counts added to storage and a trip decided at most once a second,
     * on the calling path, awaited by the call that flushes; the instance that trips holds the
     * open state at once). Let m be the call after which the calls answered meet the trip
     * condition (at least 50, more than 0.2 of them NOT_FOUND). The last flush before m started
     * no later than m's count, so the next one is due at most BREAKER_REUSE_MS (1 s) after m was
     * answered; the first call started after that instant flushes (unless one flushed earlier),
     * stores the trip and holds the open state before it answers, and every call after it is 429.
     * So at most m + K + 1 calls are answered before the first 429, K the number of calls the
     * walker starts in the second after m: minCalls plus one second of calls plus the one that
     * flushes (walking one call after another at r calls a second: about 50 + r + 1).
     */
    function bound(walked: Walked[], settings = DEFAULT_BREAKER) {
      let calls = 0;
      let notFound = 0;
      const m = walked.findIndex((w) => {
        calls++;
        if (w.status === 404) notFound++;
        return calls >= settings.minCalls && notFound / calls > settings.notFoundShare;
      });
      expect(m, 'the walk met the trip condition').toBeGreaterThanOrEqual(0);
      const atM = walked[m] as Walked;
      const k = walked.slice(m + 1).filter((w) => w.start <= atM.end + BREAKER_REUSE_MS).length;
      return { m: m + 1, k, bound: m + 1 + k + 1, atM };
    }

    /** Asserts the walk tripped within the bound and refused every call after; logs what it measured. */
    function expectTripWithinBound(label: string, walked: Walked[]) {
      const tripAt = walked.findIndex((w) => w.status === 429);
      const b = bound(walked);
      const first = walked[0] as Walked;
      const trip = walked[tripAt < 0 ? walked.length - 1 : tripAt] as Walked;
      const answered = tripAt < 0 ? walked.length : tripAt;
      const rate = Math.round((answered / Math.max(1, trip.start - first.start)) * 1000);
      console.info(
        tripAt < 0
          ? `${label}: no 429 in ${answered} calls over ${trip.end - first.start} ms (${rate} calls/s; bound ${b.bound} = m ${b.m} + K ${b.k} + 1)`
          : `${label}: ${answered} calls answered before the first 429 (bound ${b.bound} = m ${b.m} + K ${b.k} + 1), ` +
              `${rate} calls/s, first 429 ${trip.start - b.atM.end} ms after call m`,
      );
      expect(tripAt, `${walked.length} calls walked without a trip`).toBeGreaterThan(0);
      expect(tripAt).toBeLessThanOrEqual(b.bound);
      const after = walked.slice(tripAt);
      expect(after.filter((w) => w.status !== 429 || w.code !== 'CIRCUIT_OPEN')).toEqual([]);
      // However long the walker keeps on (how long is the loaded machine's, not the breaker's).
      expect(after.length).toBeGreaterThan(10);
    }

    it('trips within minCalls plus one second of calls, and answers every further call 429 until an operator releases it', async () => {
      await setPolicy({ rules: [] });
      const view = ReviewPolicyViewSchema.parse((await asRole(p(SH), 'operator', '/v1/review-policy')).json);
      expect(view.breaker).toEqual(DEFAULT_BREAKER);
      expect(await itemOf(p(SH), `BRK#${AH}`, 'STATE')).toBeUndefined();
      const before = await state(p(SH));

      const walked = await walk(1, 3000);
      expectTripWithinBound('walk', walked);

      const listed = BreakersPageSchema.parse((await asRole(p(SH), 'operator', '/v1/breakers')).json);
      const breaker = listed.items.find((i) => i.peer === AH);
      expect(breaker).toMatchObject({ state: 'open', trippedBecause: 'not-found-share' });
      expect(breaker?.counts?.calls).toBeGreaterThanOrEqual(DEFAULT_BREAKER.minCalls);
      // Nothing of the walk was held, and it tripped once.
      const events = await newEvents(p(SH), before);
      expect(events.filter((e) => e.action === 'review.hold')).toEqual([]);
      expect(events.filter((e) => e.action === 'breaker.trip').map((e) => e.peer)).toEqual([AH]);
      const refused = events.filter((e) => e.action === 'interop.verify' && e.errorCode === 'CIRCUIT_OPEN');
      expect(refused).toHaveLength(walked.filter((w) => w.status === 429).length);

      const released = await asRole(p(SH), 'operator', `/v1/breakers/${AH}/release`, {
        reason: '已与安徽核实',
      });
      expect(released.status, released.text).toBe(200);
      await vi.waitFor(async () => expect((await verifyAtSh(AH, license)).res.status).toBe(200), {
        timeout: 5_000,
        interval: 200,
      });
    }, 180_000);

    /**
     * §18.4: calls are refused "until an operator releases it", and after a release counting
     * starts afresh. A walker released at the start of a minute that resumes at once must be cut
     * off again within the same bound (50 calls counted afresh plus a second of calls). The gate
     * counts only from the minute after the release (lib/interop/breakers.ts evaluate(): "the
     * minute of the release ... and those before it count no more"; `from > nowMinute` decides
     * no trip at all, not even the rate one), so a released walker walks unchecked until that
     * minute ends.
     */
    it('trips again within the same bound when a released walker resumes at once', async () => {
      // In a fresh minute after the first release, it trips again as before.
      const nextMinute = Math.ceil(clock.now().getTime() / 60_000) * 60_000;
      clock.advance(nextMinute + 1_500 - clock.now().getTime());
      expectTripWithinBound('walk in the minute after a release', await walk(100_000, 3000));

      // Released one second into a minute, it walks on at once.
      const minute = Math.ceil(clock.now().getTime() / 60_000) * 60_000;
      clock.advance(minute + 1_000 - clock.now().getTime());
      const released = await asRole(p(SH), 'operator', `/v1/breakers/${AH}/release`, { reason: '再次核实' });
      expect(released.status, released.text).toBe(200);
      await vi.waitFor(
        async () =>
          expect((await verifyAtSh(AH, unknownIdentifier({ serial: 'RESUME0' }))).res.status).toBe(404),
        { timeout: 5_000, interval: 100 },
      );
      expectTripWithinBound('walk resumed at once after a release', await walk(200_000, 600));
    }, 180_000);
  });

  // ---------------------------------------------------------------------------------------------
  describe('a review past its 72 h (last: the clock jumps ahead)', () => {
    it('refuses a decision on an expired review 409 CONFLICT; the review keeps no decision', async () => {
      await setPolicy(HOLD_ZJ);
      const reviewId = await levelThreeWait();
      const review = await itemOf(p(SH), `REV#${reviewId}`);
      expect(review).toMatchObject({ state: 'pending', decisions: [] });
      const before = await state(p(SH));

      clock.advance(72 * 3600_000 + 60_000);
      const res = await asRole(p(SH), 'reviewer', `/v1/reviews/${reviewId}/decisions`, {
        decision: 'approve',
        reason: '迟到的同意',
      });

      expect(statusOf(res), res.text).toEqual({ status: 409, code: 'CONFLICT' });
      const after = await itemOf(p(SH), `REV#${reviewId}`);
      // The delivery round may have expired it meanwhile (its own review.expire); nothing else.
      expect(after?.decisions).toEqual([]);
      if (after?.state === 'pending') expect(after).toEqual(review);
      else expect(after).toMatchObject({ state: 'expired' });
      const events = await newEvents(p(SH), before);
      expect(events.filter((e) => e.action === 'review.decide').map(said)).toEqual([
        {
          action: 'review.decide',
          outcome: 'refused',
          errorCode: 'CONFLICT',
          peer: undefined,
          callerVerified: undefined,
        },
      ]);
      console.info(
        `expired review at the decision: ${after?.state === 'pending' ? 'not yet swept' : 'swept by the round'}`,
      );
    });
  });
});
