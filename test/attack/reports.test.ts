import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { NoticesPageSchema, ReportFiledSchema, ReportViewSchema } from '../../contracts/reports.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { fixedClock } from '../../lib/clock.ts';
import { newTraceId, ulid } from '../../lib/ids.ts';
import { signRequest } from '../../lib/interop/request-signature.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing, Signer } from '../../lib/signing/signer.ts';
import type { TestFederation } from '../support/federation.ts';
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
import { expectNothingChanged, idpKeyOf, mintAs, scanTable } from './kit.ts';

/**
 * The error loop under attack (docs/protocol.md §17): the signed routes POST /v1/interop/reports
 * (at the issuer 310000), /v1/interop/report-outcomes (at the reporter 330000) and
 * /v1/interop/notices (at 320000, which relied on a license), and the bearer routes of reports and
 * notices. Every refusal is checked for its answer and for what it left behind: the reports table
 * item by item, the licenses, agreements and request ids, and exactly the audit event it writes.
 *
 * 310000, 320000 and 330000 are the seeded Yangtze River Delta alliance (each may `verify`
 * every type of the others); 510000 has no agreement with anyone. The federation runs on a fixed
 * clock, so every call of the file falls into one rate-limit window until the rate-limit case
 * moves the clock to a fresh minute.
 */

const SH = '310000';
const JS = '320000';
const ZJ = '330000';
const SC = '510000';

const REPORTS = '/v1/interop/reports';
const OUTCOMES = '/v1/interop/report-outcomes';
const NOTICES = '/v1/interop/notices';

/** The holder of the sample license, whom the dev holder tokens name. */
const HOLDER = { typeCode: '111', code: '11010519491231002X' };
/** Another holder (a valid ID number of its own). */
const OTHER_HOLDER = { typeCode: '111', code: '110105199003071239' };

const FIELDS = [{ path: 'holder.name', problem: '姓名错一字', suggested: '张珊' }];

type Item = Record<string, unknown>;

interface State extends ProvinceSnapshot {
  /** Every item of the reports table (reports, queues, filings, notices, outbox), sorted. */
  reports: string[];
}

const sortedItems = (items: Item[]) => items.map((i) => JSON.stringify(i, Object.keys(i).sort())).sort();

async function state(p: RunningProvince): Promise<State> {
  const [base, reports] = await Promise.all([snapshot(p), scanTable(p, p.storage.tables.reports)]);
  return { ...base, reports: sortedItems(reports) };
}

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
  /** The verified caller; absent for a call whose signature did not verify. */
  peer?: string;
  /** For signed calls: whether the signature verified. */
  callerVerified?: boolean;
  /** A verified call records its request id (and a counted call its rate count) in the nonces table. */
  nonceRecorded?: boolean;
}

/**
 * Nothing but one refusal happened at `p` since `before`: the reports table, licenses and
 * agreements are item for item as they were (and the nonces, unless the call's id was recorded),
 * and the audit gained exactly the one refused event described.
 */
async function expectRefusedOnly(p: RunningProvince, before: State, r: Refusal): Promise<Item> {
  const after = await state(p);
  expect(after.reports, 'the reports table').toEqual(before.reports);
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

/** The error body's trace id blanked out: two answers alike but for their trace are then equal. */
function withoutTrace(res: RawAnswer): string {
  const traceId = (res.json as { error?: { traceId?: string } } | undefined)?.error?.traceId;
  expect(traceId, res.text).toMatch(/^[0-9a-f]{32}$/);
  return res.text.split(String(traceId)).join('<trace>');
}

const messageOf = (res: RawAnswer) => (res.json as { error: { message: string } }).error.message;

describe('error reports and change notices under attack', () => {
  let f: TestFederation;
  const clock = fixedClock(new Date());
  let stranger: KeyRing;
  /** A license 310000 issued to HOLDER, and a second one (another license, same department). */
  let license: string;
  let otherLicense: string;
  const p = (id: string) => f.province(id);

  beforeAll(async () => {
    f = await attackFederation([SH, JS, ZJ, SC], 'rpt', { clock });
    stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-attack-rpt-stranger-')));
    const issue = async () => {
      const res = await send(p(SH).url, '/v1/licenses', {
        headers: bearer(p(SH), 'issuer'),
        body: JSON.stringify(sampleIssue()),
      });
      expect(res.status, res.text).toBe(201);
      return IssueResponseSchema.parse(res.json).identifier;
    };
    license = await issue();
    otherLicense = await issue();
  }, 90_000);

  afterAll(async () => {
    await f?.stop();
  });

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
    const traceId = newTraceId();
    const signed = await signRequest(opts.signer ?? p(from).gateway.keys.gateway, {
      iss: from,
      aud: to,
      method: 'POST',
      pathWithQuery: path,
      body,
      traceId,
      now: clock.now(),
    });
    const again = () =>
      send(p(to).url, path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signed.header },
        body: opts.sent ?? body,
      });
    return { res: await again(), again, jti: signed.jti, traceId };
  }

  const platformReport = (identifier: string, extra: Item = {}) => ({
    filingId: ulid(clock.now()),
    identifier,
    fields: FIELDS,
    description: '窗口核验时发现持证人姓名与身份证不符',
    reporter: { kind: 'platform', platform: '浙江省政务服务平台' },
    filedAt: clock.now().toISOString(),
    ...extra,
  });

  const holderReport = (identifier: string, holder: { typeCode: string; code: string } = HOLDER) =>
    platformReport(identifier, { reporter: { kind: 'holder', holder } });

  const statusNotice = (extra: Item = {}) => ({
    noticeId: `${SH}-${ulid(clock.now())}`,
    identifier: license,
    change: 'status',
    status: '01',
    time: clock.now().toISOString(),
    ...extra,
  });

  /** A report a 330000 platform files on `identifier` through its own gateway: 330000 keeps the filing. */
  async function fileAtZj(identifier = license): Promise<{ reportId: string; filingId: string }> {
    const res = await send(p(ZJ).url, '/v1/reports', {
      headers: bearer(p(ZJ), 'platform'),
      body: JSON.stringify({ identifier, fields: FIELDS, description: '窗口核验时发现持证人姓名有误' }),
    });
    expect(res.status, res.text).toBe(201);
    const { reportId } = ReportFiledSchema.parse(res.json);
    const view = await send(p(ZJ).url, `/v1/reports/${reportId}`, { headers: bearer(p(ZJ), 'platform') });
    expect(view.status, view.text).toBe(200);
    const filingId = ReportViewSchema.parse(view.json).filingId;
    if (!filingId) throw new Error(`330000's view of ${reportId} names no filing`);
    return { reportId, filingId };
  }

  const outcomeFor = (filed: { reportId: string; filingId: string }, extra: Item = {}) => ({
    reportId: filed.reportId,
    filingId: filed.filingId,
    identifier: license,
    outcome: 'rejected',
    reason: '经核实信息无误',
    resolvedAt: clock.now().toISOString(),
    ...extra,
  });

  const filingItem = async (filingId: string) =>
    (await scanTable(p(ZJ), p(ZJ).storage.tables.reports)).find((i) => i.pk === `FIL#${filingId}`);

  /** The three signed routes, each with its caller, its callee and a fresh body it would accept. */
  interface SignedRoute {
    path: string;
    from: string;
    to: string;
    action: string;
    body: () => Promise<Item>;
  }
  const ROUTES: [string, SignedRoute][] = [
    [
      'POST /v1/interop/reports',
      {
        path: REPORTS,
        from: ZJ,
        to: SH,
        action: 'report.receive',
        body: async () => platformReport(license),
      },
    ],
    [
      'POST /v1/interop/report-outcomes',
      {
        path: OUTCOMES,
        from: SH,
        to: ZJ,
        action: 'report.outcome',
        body: async () => outcomeFor(await fileAtZj()),
      },
    ],
    [
      'POST /v1/interop/notices',
      { path: NOTICES, from: SH, to: JS, action: 'notice.receive', body: async () => statusNotice() },
    ],
  ];

  describe('the signed routes refuse what is not a correctly signed call', () => {
    it.each(ROUTES)('%s: an unsigned call is 401 SIGNATURE_INVALID, nothing stored', async (_n, route) => {
      const body = await route.body();
      const before = await state(p(route.to));
      const res = await send(p(route.to).url, route.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeNull();
      await expectRefusedOnly(p(route.to), before, {
        action: 'interop.inbound',
        errorCode: 'SIGNATURE_INVALID',
        callerVerified: false,
      });
    });

    it.each(ROUTES)(
      '%s: a signature by a key the registry does not list is 401, nothing stored',
      async (_n, route) => {
        const body = await route.body();
        const before = await state(p(route.to));
        const { res } = await signedCall(route.from, route.to, route.path, body, {
          signer: stranger.gateway,
        });
        expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
        expect(res.receipt).toBeNull();
        await expectRefusedOnly(p(route.to), before, {
          action: 'interop.inbound',
          errorCode: 'SIGNATURE_INVALID',
          callerVerified: false,
        });
      },
    );

    it.each(ROUTES)(
      '%s: a body that is not the one signed is 401 (with a receipt), nothing stored',
      async (_n, route) => {
        const body = await route.body();
        const signedText = JSON.stringify(body);
        // The same body naming the other license: what a man in the middle would send instead.
        const sent = signedText.replace(license, otherLicense);
        expect(sent).not.toBe(signedText);
        const before = await state(p(route.to));
        const { res } = await signedCall(route.from, route.to, route.path, signedText, { sent });
        expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
        expect(res.receipt).toBeTruthy();
        await expectRefusedOnly(p(route.to), before, {
          action: 'interop.inbound',
          errorCode: 'SIGNATURE_INVALID',
          peer: route.from,
          callerVerified: true,
        });
      },
    );

    it.each(ROUTES)(
      '%s: a replayed request is 409 REPLAYED the second time, stored once',
      async (_n, route) => {
        const body = await route.body();
        const first = await signedCall(route.from, route.to, route.path, body);
        expect(first.res.status, first.res.text).toBeLessThan(300);
        const before = await state(p(route.to));

        const replay = await first.again();

        expect({ status: replay.status, code: replay.code }).toEqual({ status: 409, code: 'REPLAYED' });
        await expectRefusedOnly(p(route.to), before, {
          action: 'interop.inbound',
          errorCode: 'REPLAYED',
          peer: route.from,
          callerVerified: true,
        });
        // What the first call stored is there exactly once.
        const items = await scanTable(p(route.to), p(route.to).storage.tables.reports);
        const id = String(body.filingId ?? body.noticeId);
        const mentioning = items.filter((i) => JSON.stringify(i).includes(id));
        if (route.path === REPORTS) {
          expect(mentioning.filter((i) => String(i.pk).startsWith('RPT#'))).toHaveLength(1);
          expect(mentioning.filter((i) => String(i.pk).startsWith('RCV#'))).toHaveLength(1);
        } else if (route.path === NOTICES) {
          expect(mentioning.filter((i) => i.pk === 'NOTICES')).toHaveLength(1);
        } else {
          expect(mentioning.filter((i) => String(i.pk).startsWith('FIL#'))).toMatchObject([
            { state: 'resolved', outcome: 'rejected' },
          ]);
        }
      },
    );
  });

  describe('bodies outside the contract are 400 INVALID_REQUEST, nothing stored, audited once', () => {
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ path: `field${i}`, problem: '有误' }));
    const reportCases: [string, () => Item][] = [
      [
        'an unknown member',
        () => ({ ...platformReport(license), reportId: '310000-01JDQ6X8Z5S2W3E4R5T6Y7V8W9' }),
      ],
      [
        'a missing member (no description)',
        () => {
          const { description: _d, ...rest } = platformReport(license);
          return rest;
        },
      ],
      ['fields empty', () => platformReport(license, { fields: [] })],
      ['21 fields', () => platformReport(license, { fields: tooMany })],
      [
        'suggested with a control character (BEL)',
        () =>
          platformReport(license, {
            fields: [{ path: 'holder.name', problem: '有误', suggested: '张\u0007珊' }],
          }),
      ],
      [
        'suggested with a NUL',
        () =>
          platformReport(license, {
            fields: [{ path: 'holder.name', problem: '有误', suggested: '张珊\u0000' }],
          }),
      ],
      [
        'a filingId that is not a ULID (I is not Crockford)',
        () => platformReport(license, { filingId: '01JDQ6X8Z5S2W3E4R5T6Y7V8WI' }),
      ],
      [
        'a filingId that is not a ULID (a UUID)',
        () => platformReport(license, { filingId: '3f1c1f5e-8a4b-4c5d-9e6f-0a1b2c3d4e5f' }),
      ],
      [
        'a holder code with a wrong check digit',
        () => holderReport(license, { typeCode: '111', code: '110105194912310021' }),
      ],
      [
        'an unknown member in the reporter',
        () => platformReport(license, { reporter: { kind: 'platform', platform: 'x', province: SH } }),
      ],
    ];

    it.each(reportCases)('POST /v1/interop/reports: %s', async (_n, make) => {
      const before = await state(p(SH));
      const { res } = await signedCall(ZJ, SH, REPORTS, make());
      expect({ status: res.status, code: res.code }, res.text).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      expect(res.receipt).toBeTruthy();
      await expectRefusedOnly(p(SH), before, {
        action: 'interop.inbound',
        errorCode: 'INVALID_REQUEST',
        peer: ZJ,
        callerVerified: true,
        nonceRecorded: true,
      });
    });

    let filed: { reportId: string; filingId: string };
    beforeAll(async () => {
      filed = await fileAtZj();
    });

    const outcomeCases: [string, () => Item][] = [
      ['an unknown member', () => ({ ...outcomeFor(filed), state: 'resolved' })],
      [
        'a missing member (no reason)',
        () => {
          const { reason: _r, ...rest } = outcomeFor(filed);
          return rest;
        },
      ],
      ['a filingId that is not a ULID', () => outcomeFor(filed, { filingId: 'not-a-ulid' })],
      ['a corrected outcome without newIdentifier', () => outcomeFor(filed, { outcome: 'corrected' })],
      ['a rejected outcome with newIdentifier', () => outcomeFor(filed, { newIdentifier: otherLicense })],
      ['a reason with a control character', () => outcomeFor(filed, { reason: '无误\u001b[2J' })],
    ];

    it.each(outcomeCases)('POST /v1/interop/report-outcomes: %s', async (_n, make) => {
      const before = await state(p(ZJ));
      const { res } = await signedCall(SH, ZJ, OUTCOMES, make());
      expect({ status: res.status, code: res.code }, res.text).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      await expectRefusedOnly(p(ZJ), before, {
        action: 'interop.inbound',
        errorCode: 'INVALID_REQUEST',
        peer: SH,
        callerVerified: true,
        nonceRecorded: true,
      });
      expect(await filingItem(filed.filingId)).toMatchObject({ state: 'open', reportId: filed.reportId });
    });

    const noticeCases: [string, () => Item][] = [
      ['an unknown member', () => ({ ...statusNotice(), from: SH })],
      [
        'a missing member (no status)',
        () => {
          const { status: _s, ...rest } = statusNotice();
          return rest;
        },
      ],
      ['a version change without newIdentifier', () => statusNotice({ change: 'version' })],
      ['a status change with newIdentifier', () => statusNotice({ newIdentifier: otherLicense })],
      ['a noticeId that is no ULID', () => statusNotice({ noticeId: `${SH}-notaulid` })],
    ];

    it.each(noticeCases)('POST /v1/interop/notices: %s', async (_n, make) => {
      const before = await state(p(JS));
      const { res } = await signedCall(SH, JS, NOTICES, make());
      expect({ status: res.status, code: res.code }, res.text).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      await expectRefusedOnly(p(JS), before, {
        action: 'interop.inbound',
        errorCode: 'INVALID_REQUEST',
        peer: SH,
        callerVerified: true,
        nonceRecorded: true,
      });
    });
  });

  describe('POST /v1/interop/reports: who may report what', () => {
    it('answers 510000 (no agreement) 403 AGREEMENT_REQUIRED for an existing and a missing license, byte for byte alike', async () => {
      const answers: RawAnswer[] = [];
      for (const identifier of [license, unknownIdentifier()]) {
        const before = await state(p(SH));
        const { res } = await signedCall(SC, SH, REPORTS, platformReport(identifier));
        expect({ status: res.status, code: res.code }, res.text).toEqual({
          status: 403,
          code: 'AGREEMENT_REQUIRED',
        });
        const event = await expectRefusedOnly(p(SH), before, {
          action: 'report.receive',
          errorCode: 'AGREEMENT_REQUIRED',
          peer: SC,
          callerVerified: true,
          nonceRecorded: true,
        });
        expect(event.identifier).toBe(identifier);
        answers.push(res);
      }
      const [real, none] = answers as [RawAnswer, RawAnswer];
      expect(withoutTrace(none)).toBe(withoutTrace(real));
      expect(none.headers.get('content-type')).toBe(real.headers.get('content-type'));
      expect(none.headers.get('content-length')).toBe(real.headers.get('content-length'));
    });

    it("answers 510000's POST /v1/reports alike for an existing and a missing license, and keeps both filings refused alike", async () => {
      const answers: RawAnswer[] = [];
      for (const identifier of [license, unknownIdentifier()]) {
        const beforeSh = await state(p(SH));
        const res = await send(p(SC).url, '/v1/reports', {
          headers: bearer(p(SC), 'platform'),
          body: JSON.stringify({ identifier, fields: FIELDS, description: '窗口核验时发现持证人姓名有误' }),
        });
        expect({ status: res.status, code: res.code }, res.text).toEqual({
          status: 403,
          code: 'AGREEMENT_REQUIRED',
        });
        // 310000 stored nothing: the refusal is its only trace there.
        await expectRefusedOnly(p(SH), beforeSh, {
          action: 'report.receive',
          errorCode: 'AGREEMENT_REQUIRED',
          peer: SC,
          callerVerified: true,
          nonceRecorded: true,
        });
        answers.push(res);
      }
      const [real, none] = answers as [RawAnswer, RawAnswer];
      expect(withoutTrace(none)).toBe(withoutTrace(real));
      // 510000 keeps each filing as refused, with the same refusal.
      const filings = (await scanTable(p(SC), p(SC).storage.tables.reports)).filter((i) =>
        String(i.pk).startsWith('FIL#'),
      );
      const refusalOf = (identifier: string) => filings.find((i) => i.identifier === identifier)?.refusal;
      expect(filings.filter((i) => i.state === 'refused').length).toBeGreaterThanOrEqual(2);
      expect(refusalOf(license)).toBeDefined();
      expect(refusalOf(unknownIdentifier())).toEqual(refusalOf(license));
    });

    it("answers a holder's report naming another holder exactly as one on no license: 404, one message", async () => {
      const answers: RawAnswer[] = [];
      for (const body of [holderReport(license, OTHER_HOLDER), holderReport(unknownIdentifier(), HOLDER)]) {
        const before = await state(p(SH));
        const { res } = await signedCall(SC, SH, REPORTS, body);
        expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
        await expectRefusedOnly(p(SH), before, {
          action: 'report.receive',
          errorCode: 'NOT_FOUND',
          peer: SC,
          callerVerified: true,
          nonceRecorded: true,
        });
        answers.push(res);
      }
      const [other, none] = answers as [RawAnswer, RawAnswer];
      expect(messageOf(other)).toBe(messageOf(none));
      expect(withoutTrace(other)).toBe(withoutTrace(none));
      // (control) the holder's own report from the same province is taken.
      const own = await signedCall(SC, SH, REPORTS, holderReport(license, HOLDER));
      expect(own.res.status, own.res.text).toBe(201);
    });
  });

  describe('POST /v1/interop/report-outcomes: only the issuer, of its own report, once', () => {
    it('refuses an outcome from a province the filing did not go to: 404, the filing unchanged', async () => {
      const filed = await fileAtZj();
      const filing = await filingItem(filed.filingId);
      const before = await state(p(ZJ));
      const { res } = await signedCall(JS, ZJ, OUTCOMES, outcomeFor(filed));
      expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
      await expectRefusedOnly(p(ZJ), before, {
        action: 'report.outcome',
        errorCode: 'NOT_FOUND',
        peer: JS,
        callerVerified: true,
        nonceRecorded: true,
      });
      expect(await filingItem(filed.filingId)).toEqual(filing);
      expect(filing).toMatchObject({ state: 'open' });
    });

    it('refuses an outcome naming another report id for a known filing: 404, the filing unchanged', async () => {
      const filed = await fileAtZj();
      const filing = await filingItem(filed.filingId);
      const before = await state(p(ZJ));
      const { res } = await signedCall(
        SH,
        ZJ,
        OUTCOMES,
        outcomeFor(filed, { reportId: `${SH}-${ulid(clock.now())}` }),
      );
      expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 404, code: 'NOT_FOUND' });
      await expectRefusedOnly(p(ZJ), before, {
        action: 'report.outcome',
        errorCode: 'NOT_FOUND',
        peer: SH,
        callerVerified: true,
        nonceRecorded: true,
      });
      expect(await filingItem(filed.filingId)).toEqual(filing);
    });

    it('refuses a second, different outcome for a resolved filing: 409 CONFLICT, unchanged', async () => {
      const filed = await fileAtZj();
      const outcome = outcomeFor(filed);
      const first = await signedCall(SH, ZJ, OUTCOMES, outcome);
      expect(first.res.status, first.res.text).toBe(200);
      const resolved = await filingItem(filed.filingId);
      expect(resolved).toMatchObject({ state: 'resolved', outcome: 'rejected' });

      for (const different of [
        { outcome: 'duplicate' },
        { reason: '另一个理由' },
        { outcome: 'corrected', newIdentifier: otherLicense },
      ]) {
        const before = await state(p(ZJ));
        const { res } = await signedCall(SH, ZJ, OUTCOMES, { ...outcome, ...different });
        expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 409, code: 'CONFLICT' });
        await expectRefusedOnly(p(ZJ), before, {
          action: 'report.outcome',
          errorCode: 'CONFLICT',
          peer: SH,
          callerVerified: true,
          nonceRecorded: true,
        });
        expect(await filingItem(filed.filingId)).toEqual(resolved);
      }
      // (control) the same outcome again is answered 200, and changes nothing either.
      const again = await signedCall(SH, ZJ, OUTCOMES, outcome);
      expect(again.res.status, again.res.text).toBe(200);
      expect(await filingItem(filed.filingId)).toEqual(resolved);
    });
  });

  describe('POST /v1/interop/notices: only from the license’s issuer', () => {
    const zjLicense = () => unknownIdentifier({ issuerCode: '11330000002502880R' });
    const cases: [string, () => { from: string; body: Item }][] = [
      [
        'a notice about a 310000 license sent by 330000 (under its own notice id)',
        () => ({ from: ZJ, body: statusNotice({ noticeId: `${ZJ}-${ulid(clock.now())}` }) }),
      ],
      [
        'a notice about a 310000 license sent by 330000 (under a 310000 notice id)',
        () => ({ from: ZJ, body: statusNotice() }),
      ],
      [
        'a notice by 310000 about a license of 330000',
        () => ({ from: SH, body: statusNotice({ identifier: zjLicense() }) }),
      ],
      [
        'a notice by 310000 under a notice id of 330000',
        () => ({ from: SH, body: statusNotice({ noticeId: `${ZJ}-${ulid(clock.now())}` }) }),
      ],
    ];

    it.each(cases)('refuses %s: 403 FORBIDDEN, nothing stored', async (_n, make) => {
      const { from, body } = make();
      const before = await state(p(JS));
      const { res } = await signedCall(from, JS, NOTICES, body);
      expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 403, code: 'FORBIDDEN' });
      await expectRefusedOnly(p(JS), before, {
        action: 'notice.receive',
        errorCode: 'FORBIDDEN',
        peer: from,
        callerVerified: true,
        nonceRecorded: true,
      });
      const inbox = await send(p(JS).url, '/v1/notices', { headers: bearer(p(JS), 'platform') });
      expect(inbox.status).toBe(200);
      expect(NoticesPageSchema.parse(inbox.json).items.map((n) => n.noticeId)).not.toContain(body.noticeId);
    });
    /**
     * A version notice whose new version is not a version of the license the notice is about. The
     * brief asked for 403; §17.7 does not say, and the route answers 400 on `newIdentifier` (a
     * body that contradicts itself). Either way: refused, nothing stored, audited once.
     */
    it.each([
      ['another license of 310000', () => otherLicense],
      ['a license of 330000', () => zjLicense()],
    ])(
      'refuses a version notice whose newIdentifier is %s: 400 on newIdentifier, nothing stored',
      async (_n, other) => {
        const body = statusNotice({ change: 'version', newIdentifier: other() });
        const before = await state(p(JS));
        const { res } = await signedCall(SH, JS, NOTICES, body);
        expect({ status: res.status, code: res.code }, res.text).toEqual({
          status: 400,
          code: 'INVALID_REQUEST',
        });
        expect((res.json as { error: { issues?: { path: unknown[] }[] } }).error.issues?.[0]?.path).toEqual([
          'newIdentifier',
        ]);
        await expectRefusedOnly(p(JS), before, {
          action: 'notice.receive',
          errorCode: 'INVALID_REQUEST',
          peer: SH,
          callerVerified: true,
          nonceRecorded: true,
        });
      },
    );
  });

  describe('the bearer routes', () => {
    it.each(['issuer', 'auditor', 'operator'] as const)(
      'POST /v1/reports with a %s token is 403, nothing stored here or at the issuer',
      async (role) => {
        const [beforeZj, beforeSh] = await Promise.all([state(p(ZJ)), state(p(SH))]);
        const res = await send(p(ZJ).url, '/v1/reports', {
          headers: bearer(p(ZJ), role),
          body: JSON.stringify({ identifier: license, fields: FIELDS, description: '冒充平台' }),
        });
        expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 403, code: 'FORBIDDEN' });
        await expectRefusedOnly(p(ZJ), beforeZj, { action: 'report.file', errorCode: 'FORBIDDEN' });
        expect((await state(p(SH))).reports).toEqual(beforeSh.reports);
        expect(await newEvents(p(SH), beforeSh)).toEqual([]);
      },
    );

    /** POST /v1/reports at 510000 with `token`: nothing stored at 510000 or 310000, one refusal at 510000. */
    async function fileWith(token: string, description: string) {
      const [beforeSc, beforeSh] = await Promise.all([state(p(SC)), state(p(SH))]);
      const res = await send(p(SC).url, '/v1/reports', {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: license, fields: FIELDS, description }),
      });
      const after = await state(p(SC));
      expect(after.reports, 'the reports table of 510000').toEqual(beforeSc.reports);
      expect(after.nonces, 'the nonces of 510000').toEqual(beforeSc.nonces);
      const events = await newEvents(p(SC), beforeSc);
      expect(events.map((e) => [e.action, e.outcome, e.errorCode])).toEqual([
        ['report.file', 'refused', res.code],
      ]);
      expect((await state(p(SH))).reports).toEqual(beforeSh.reports);
      expect(await newEvents(p(SH), beforeSh)).toEqual([]);
      return res;
    }

    it('POST /v1/reports with a holder token that names no holder is 401 (docs/errors.md), nothing stored', async () => {
      const key = await idpKeyOf(f, p(SC));
      const token = await mintAs(key, ['holder'], undefined, 'atk-holder-without-claims');
      const res = await fileWith(token, '没有持证人声明的令牌');
      // The bearer verifier refuses a holder token without its claims before any route (§12).
      expect({ status: res.status, code: res.code }, res.text).toEqual({
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    });

    it('POST /v1/reports with a holder token whose claims name no valid holder is 403, nothing stored', async () => {
      const key = await idpKeyOf(f, p(SC));
      const token = await key.idp.mint({
        sub: 'atk-holder-bad-code',
        roles: ['holder'],
        holder: { typeCode: '111', code: '110105194912310021' },
        ttlSeconds: 3600,
        issuer: key.issuer,
        audience: key.audience,
        now: clock.now(),
      });
      const res = await fileWith(token, '持证人代码校验位错误的令牌');
      expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 403, code: 'FORBIDDEN' });
    });

    it('GET /v1/reports (the department queue) with a platform token is 403, nothing changed', async () => {
      const before = await state(p(SH));
      const res = await send(p(SH).url, '/v1/reports', { headers: bearer(p(SH), 'platform') });
      expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 403, code: 'FORBIDDEN' });
      await expectNothingChanged(p(SH), before);
      expect((await state(p(SH))).reports).toEqual(before.reports);
    });

    it("GET /v1/reports/{id} of one holder's report with another holder's token is 404, as for no report", async () => {
      // The dev holder token of 510000 names HOLDER, the holder of the license.
      const filed = await send(p(SC).url, '/v1/reports', {
        headers: bearer(p(SC), 'holder'),
        body: JSON.stringify({ identifier: license, fields: FIELDS, description: '本人证照姓名有误' }),
      });
      expect(filed.status, filed.text).toBe(201);
      const { reportId } = ReportFiledSchema.parse(filed.json);
      const own = await send(p(SC).url, `/v1/reports/${reportId}`, { headers: bearer(p(SC), 'holder') });
      expect(own.status, own.text).toBe(200);
      const filingId = ReportViewSchema.parse(own.json).filingId;
      expect(filingId).toBeDefined();

      const key = await idpKeyOf(f, p(SC));
      const other = await key.idp.mint({
        sub: 'atk-other-holder',
        roles: ['holder'],
        holder: OTHER_HOLDER,
        ttlSeconds: 3600,
        issuer: key.issuer,
        audience: key.audience,
        now: clock.now(),
      });
      const asOther = { authorization: `Bearer ${other}`, 'content-type': 'application/json' };
      const missingReport = `${SH}-${ulid(clock.now())}`;
      const missingFiling = ulid(clock.now());
      for (const [id, missing] of [
        [reportId, missingReport],
        [String(filingId), missingFiling],
      ] as const) {
        const before = await state(p(SC));
        const theirs = await send(p(SC).url, `/v1/reports/${id}`, { headers: asOther });
        const none = await send(p(SC).url, `/v1/reports/${missing}`, { headers: asOther });
        expect({ status: theirs.status, code: theirs.code }, theirs.text).toEqual({
          status: 404,
          code: 'NOT_FOUND',
        });
        expect(withoutTrace(theirs).split(id).join('<id>')).toBe(
          withoutTrace(none).split(missing).join('<id>'),
        );
        expect(theirs.text).not.toContain(license);
        await expectNothingChanged(p(SC), before);
      }
    });

    it("GET /v1/reports/{id} of a platform's filing with a holder token is 404, as for no filing", async () => {
      // 510000's platform filings were refused by 310000 (no agreement), and are kept at 510000.
      const filing = (await scanTable(p(SC), p(SC).storage.tables.reports)).find(
        (i) => String(i.pk).startsWith('FIL#') && (i.filedBy as Item | undefined)?.kind === 'platform',
      );
      if (!filing) throw new Error('510000 keeps a platform filing');
      const id = String(filing.filingId);
      const missing = ulid(clock.now());
      const before = await state(p(SC));
      const theirs = await send(p(SC).url, `/v1/reports/${id}`, { headers: bearer(p(SC), 'holder') });
      const none = await send(p(SC).url, `/v1/reports/${missing}`, { headers: bearer(p(SC), 'holder') });
      expect({ status: theirs.status, code: theirs.code }, theirs.text).toEqual({
        status: 404,
        code: 'NOT_FOUND',
      });
      expect(withoutTrace(theirs).split(id).join('<id>')).toBe(
        withoutTrace(none).split(missing).join('<id>'),
      );
      await expectNothingChanged(p(SC), before);
      // (control) its platforms read it.
      const own = await send(p(SC).url, `/v1/reports/${id}`, { headers: bearer(p(SC), 'platform') });
      expect(own.status, own.text).toBe(200);
    });

    it.each([
      ['an issuer token', 'issuer', ''],
      ['a holder token', 'holder', ''],
      ['a bogus cursor', 'platform', '?cursor=AAAA'],
      ['limit=0', 'platform', '?limit=0'],
      ['a repeated limit', 'platform', '?limit=1&limit=1'],
      ['an unknown parameter', 'platform', '?from=310000'],
    ] as const)('GET /v1/notices with %s is refused, nothing changed', async (_n, role, query) => {
      const before = await state(p(JS));
      const res = await send(p(JS).url, `/v1/notices${query}`, { headers: bearer(p(JS), role) });
      expect({ status: res.status, code: res.code }, res.text).toEqual(
        role === 'platform' ? { status: 400, code: 'INVALID_REQUEST' } : { status: 403, code: 'FORBIDDEN' },
      );
      await expectNothingChanged(p(JS), before);
      expect((await state(p(JS))).reports).toEqual(before.reports);
    });

    it('POST /v1/reports/{id}/resolution naming a newIdentifier on a rejected outcome is 400, the report still open', async () => {
      const { reportId } = await fileAtZj();
      const before = await state(p(SH));
      const res = await send(p(SH).url, `/v1/reports/${reportId}/resolution`, {
        headers: bearer(p(SH), 'issuer'),
        body: JSON.stringify({ outcome: 'rejected', reason: '信息无误', newIdentifier: otherLicense }),
      });
      expect({ status: res.status, code: res.code }, res.text).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      expect((res.json as { error: { issues?: { path: unknown[] }[] } }).error.issues?.[0]?.path).toEqual([
        'newIdentifier',
      ]);
      await expectRefusedOnly(p(SH), before, { action: 'report.resolve', errorCode: 'INVALID_REQUEST' });
      const view = await send(p(SH).url, `/v1/reports/${reportId}`, { headers: bearer(p(SH), 'issuer') });
      expect(ReportViewSchema.parse(view.json).state).toBe('open');
      // Nothing went on its way to 330000 either: the outbox holds no delivery.
      const outbox = (await scanTable(p(SH), p(SH).storage.tables.reports)).filter((i) => i.pk === 'DLV');
      expect(outbox).toEqual([]);
    });

    it.each([
      '?state=bogus',
      '?state=open&state=open',
      '?state=open&state=resolved',
      '?limit=0',
      '?limit=101',
      '?issuer=113100000024601315',
    ])('GET /v1/reports%s is 400, nothing changed', async (query) => {
      const before = await state(p(SH));
      const res = await send(p(SH).url, `/v1/reports${query}`, { headers: bearer(p(SH), 'issuer') });
      expect({ status: res.status, code: res.code }, res.text).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      await expectNothingChanged(p(SH), before);
      expect((await state(p(SH))).reports).toEqual(before.reports);
    });
  });

  describe('POST /v1/interop/reports: the rate limit', () => {
    it('answers the 61st report of a minute from 320000 429 RATE_LIMITED, stores nothing of it, and leaves 330000 unaffected', async () => {
      // A fresh minute, well inside it: no call of this file counted in this window yet.
      const minute = Math.floor(clock.now().getTime() / 60_000) + 2;
      clock.set(new Date(minute * 60_000 + 5_000));

      for (let i = 1; i <= 60; i++) {
        const { res } = await signedCall(JS, SH, REPORTS, platformReport(license));
        expect(res.status, `report ${i}: ${res.text}`).toBe(201);
      }
      const before = await state(p(SH));
      const body = platformReport(license);
      const { res } = await signedCall(JS, SH, REPORTS, body);

      expect({ status: res.status, code: res.code }, res.text).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect(res.receipt).toBeTruthy();
      await expectRefusedOnly(p(SH), before, {
        action: 'report.receive',
        errorCode: 'RATE_LIMITED',
        peer: JS,
        callerVerified: true,
        nonceRecorded: true,
      });
      const items = await scanTable(p(SH), p(SH).storage.tables.reports);
      expect(items.filter((i) => JSON.stringify(i).includes(body.filingId))).toEqual([]);

      // Another province in the same minute is not limited by 320000's reports.
      const other = await signedCall(ZJ, SH, REPORTS, platformReport(license));
      expect(other.res.status, other.res.text).toBe(201);
    }, 90_000);
  });
});
