import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import {
  NoticesPageSchema,
  ReportFiledSchema,
  ReportQueuedSchema,
  ReportQueuePageSchema,
  ReportViewSchema,
} from '../../contracts/reports.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { NO_HOLIDAYS, workingDaysAfter } from '../../lib/reports/working-days.ts';
import { call, mintToken, type TestFederation, testFederation } from '../support/federation.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import { storedEvents } from '../support/scan.ts';

/** A clock every province shares, which a test can move on (a report left open past its day). */
function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advanceDays(days: number) {
      offsetMs += days * 86_400_000;
    },
    reset() {
      offsetMs = 0;
    },
  };
}

const REPORT = (identifier: string) => ({
  identifier,
  fields: [{ path: 'holder.name', problem: '姓名错一字', suggested: '张珊' }],
  description: '窗口核验时发现持证人姓名与身份证不符',
});

describe('the error loop: a window in 330000 reports, Shanghai corrects, everyone who relied on it hears', () => {
  let f: TestFederation;
  const clock = movableClock();
  let identifier: string;

  beforeAll(async () => {
    f = await testFederation({
      name: 'rpt',
      provinces: ['310000', '320000', '330000', '510000'],
      clock,
    });
    const sh = f.province('310000');
    const issued = await call(sh, 'issuer', '/v1/licenses', sampleIssue());
    identifier = IssueResponseSchema.parse(issued.body).identifier;
    // Jiangsu relied on the license earlier: it will hear of every change.
    const verified = await call(f.province('320000'), 'platform', '/v1/verify', {
      identifier,
      matterCode: 'JS-0001',
      useCause: '办理建筑施工特种作业人员从业登记',
    });
    expect(verified.status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('files, corrects, resolves, tells the reporter and sends a change notice to 320000', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const js = f.province('320000');

    const filed = await call(zj, 'platform', '/v1/reports', REPORT(identifier));
    expect(filed.status).toBe(201);
    const { reportId, dueDate, state } = ReportFiledSchema.parse(filed.body);
    expect(state).toBe('open');
    expect(reportId).toMatch(/^310000-/);
    expect(dueDate).toBe(workingDaysAfter(clock.now(), 5, NO_HOLIDAYS));
    expect(filed.headers.get('location')).toBe(`/v1/reports/${reportId}`);

    // The Shanghai department sees it in its queue, with who reported it.
    const queue = ReportQueuePageSchema.parse((await call(sh, 'issuer', '/v1/reports')).body);
    const queued = queue.items.find((r) => r.reportId === reportId);
    expect(queued).toMatchObject({
      identifier,
      state: 'open',
      dueDate,
      overdue: false,
      reporter: { province: '330000', kind: 'platform', platform: '浙江省政务服务平台' },
      fields: REPORT(identifier).fields,
    });

    // A new version carries the correction and names the report; then the report is resolved.
    const version = await call(sh, 'issuer', `/v1/licenses/${identifier}/versions`, {
      holderName: '张珊',
      reason: '更正持证人姓名',
      reportId,
    });
    expect(version.status).toBe(201);
    const newIdentifier = IssueResponseSchema.parse(version.body).identifier;
    const resolved = await call(sh, 'issuer', `/v1/reports/${reportId}/resolution`, {
      outcome: 'corrected',
      reason: '已核实并更正姓名',
      newIdentifier,
    });
    expect(resolved.status).toBe(200);
    expect(ReportViewSchema.parse(resolved.body)).toMatchObject({ state: 'resolved', outcome: 'corrected' });

    // 330000 sees the outcome with the new identifier, delivered by signed call.
    await vi.waitFor(
      async () => {
        const seen = ReportViewSchema.parse((await call(zj, 'platform', `/v1/reports/${reportId}`)).body);
        expect(seen).toMatchObject({
          reportId,
          issuer: '310000',
          state: 'resolved',
          outcome: 'corrected',
          reason: '已核实并更正姓名',
          newIdentifier,
        });
      },
      { timeout: 20_000, interval: 200 },
    );

    // 320000, which verified the license, receives a change notice; 330000, which never verified
    // it, does not.
    await vi.waitFor(
      async () => {
        const notices = NoticesPageSchema.parse((await call(js, 'platform', '/v1/notices')).body);
        expect(notices.items).toContainEqual(
          expect.objectContaining({
            from: '310000',
            identifier,
            change: 'version',
            newIdentifier,
            status: '01',
          }),
        );
      },
      { timeout: 20_000, interval: 200 },
    );
    const zjNotices = NoticesPageSchema.parse((await call(zj, 'platform', '/v1/notices')).body);
    expect(zjNotices.items.filter((n) => n.identifier === identifier)).toEqual([]);

    // Audited on both sides: filed and outcome at 330000, received and resolved at 310000,
    // the notice sent at 310000 and received at 320000.
    const events = (p: RunningProvince) => storedEvents(p.storage.doc, p.storage.tables.audit);
    const zjEvents = await events(zj);
    expect(zjEvents.filter((e) => e.action === 'report.file' && e.peer === '310000')).toHaveLength(1);
    expect(
      zjEvents.filter((e) => e.action === 'report.outcome' && e.details.reportId === reportId),
    ).toHaveLength(1);
    const shEvents = await events(sh);
    expect(
      shEvents.filter(
        (e) => e.action === 'report.receive' && e.peer === '330000' && e.details.reportId === reportId,
      ),
    ).toHaveLength(1);
    expect(
      shEvents.filter(
        (e) => e.action === 'report.resolve' && e.peer === '330000' && e.details.reportId === reportId,
      ),
    ).toHaveLength(1);
    const sent = shEvents.filter((e) => e.action === 'notice.send');
    expect(sent.map((e) => e.peer)).toEqual(['320000']);
    const got = (await events(js)).filter((e) => e.action === 'notice.receive');
    expect(got).toMatchObject([{ peer: '310000', outcome: 'success', identifier }]);
  }, 60_000);

  it('shows a report left open past its due date as overdue', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const filed = ReportFiledSchema.parse(
      (await call(zj, 'platform', '/v1/reports', REPORT(identifier))).body,
    );
    try {
      clock.advanceDays(10);
      const overdue = ReportQueuePageSchema.parse(
        (await call(sh, 'issuer', '/v1/reports?state=overdue')).body,
      );
      expect(overdue.items.map((r) => r.reportId)).toContain(filed.reportId);
      expect(overdue.items.find((r) => r.reportId === filed.reportId)?.overdue).toBe(true);
      const seen = ReportViewSchema.parse((await call(zj, 'platform', `/v1/reports/${filed.reportId}`)).body);
      expect(seen.overdue).toBe(true);
      expect(todayCst(clock.now()) > filed.dueDate).toBe(true);
    } finally {
      clock.reset();
    }
    const onTime = ReportQueuePageSchema.parse((await call(sh, 'issuer', '/v1/reports?state=overdue')).body);
    expect(onTime.items.map((r) => r.reportId)).not.toContain(filed.reportId);
  });

  it('refuses a report from a province that may not verify the type, alike for a license that does not exist', async () => {
    const sc = f.province('510000');
    const real = await call(sc, 'platform', '/v1/reports', REPORT(identifier));
    const none = await call(sc, 'platform', '/v1/reports', REPORT(unknownIdentifier()));
    expect([real.status, none.status]).toEqual([403, 403]);
    const codes = [real, none].map((r) => ErrorBodySchema.parse(r.body).error.code);
    expect(codes).toEqual(['AGREEMENT_REQUIRED', 'AGREEMENT_REQUIRED']);
    // Nothing reached the Shanghai queue.
    const queue = ReportQueuePageSchema.parse(
      (await call(f.province('310000'), 'issuer', '/v1/reports')).body,
    );
    expect(queue.items.filter((r) => r.reporter.province === '510000')).toEqual([]);
  });

  it('answers a report on a license that does not exist 404 to a province that may verify', async () => {
    const res = await call(f.province('330000'), 'platform', '/v1/reports', REPORT(unknownIdentifier()));
    expect(res.status).toBe(404);
    expect(ErrorBodySchema.parse(res.body).error.code).toBe('NOT_FOUND');
  });

  it("takes a holder's own report from anywhere, and answers another holder's license as none", async () => {
    const sc = f.province('510000');
    // The dev holder token names the holder of the sample license.
    const own = await call(sc, 'holder', '/v1/reports', REPORT(identifier));
    expect(own.status).toBe(201);
    const { reportId } = ReportFiledSchema.parse(own.body);
    const seen = await call(sc, 'holder', `/v1/reports/${reportId}`);
    expect(ReportViewSchema.parse(seen.body)).toMatchObject({
      reporter: { province: '510000', kind: 'holder' },
    });

    const sh = f.province('310000');
    const theirs = IssueResponseSchema.parse(
      (
        await call(
          sh,
          'issuer',
          '/v1/licenses',
          sampleIssue({ holder: { name: '李四', typeCode: '111', code: '110105199003071239' } }),
        )
      ).body,
    ).identifier;
    const other = await call(sc, 'holder', '/v1/reports', REPORT(theirs));
    const none = await call(sc, 'holder', '/v1/reports', REPORT(unknownIdentifier()));
    expect([other.status, none.status]).toEqual([404, 404]);
    expect(ErrorBodySchema.parse(other.body).error.message).toBe(
      ErrorBodySchema.parse(none.body).error.message,
    );
  });

  it('refuses a resolution by another department, and a correction that is not a newer version of the license', async () => {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const current = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    ).identifier;
    const { reportId } = ReportFiledSchema.parse(
      (await call(zj, 'platform', '/v1/reports', REPORT(current))).body,
    );
    const market = sh.departments[1];
    if (!market) throw new Error('310000 has a second department');
    const otherDept = await mintToken(f, sh, {
      sub: 'other-dept@310000',
      roles: ['issuer'],
      uscc: market.uscc,
      name: market.name,
      ttlSeconds: 600,
    });
    const byOther = await call(
      sh,
      'issuer',
      `/v1/reports/${reportId}/resolution`,
      { outcome: 'rejected', reason: '不是本部门' },
      { headers: { authorization: `Bearer ${otherDept}` } },
    );
    expect(byOther.status).toBe(403);
    // Nor does the other department see it in its queue, or read it.
    const theirQueue = await call(sh, 'issuer', '/v1/reports', undefined, {
      headers: { authorization: `Bearer ${otherDept}` },
    });
    expect(ReportQueuePageSchema.parse(theirQueue.body).items).toEqual([]);
    const theirRead = await call(sh, 'issuer', `/v1/reports/${reportId}`, undefined, {
      headers: { authorization: `Bearer ${otherDept}` },
    });
    expect(theirRead.status).toBe(404);

    // The reported version itself, another license, and a newer version issued for no report.
    const unrelated = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    );
    const plain = await call(sh, 'issuer', `/v1/licenses/${current}/versions`, {
      number: 'A-0002',
      reason: '换证',
    });
    expect(plain.status).toBe(201);
    const plainNext = IssueResponseSchema.parse(plain.body).identifier;
    for (const newIdentifier of [current, unrelated.identifier, plainNext]) {
      const res = await call(sh, 'issuer', `/v1/reports/${reportId}/resolution`, {
        outcome: 'corrected',
        reason: '已更正',
        newIdentifier,
      });
      expect(res.status, newIdentifier).toBe(400);
      expect(ErrorBodySchema.parse(res.body).error.issues?.[0]?.path).toEqual(['newIdentifier']);
    }
    // Still open: none of those changed it.
    const still = ReportViewSchema.parse((await call(sh, 'issuer', `/v1/reports/${reportId}`)).body);
    expect(still.state).toBe('open');
    const rejected = await call(sh, 'issuer', `/v1/reports/${reportId}/resolution`, {
      outcome: 'duplicate',
      reason: '与已处理的报告重复',
    });
    expect(rejected.status).toBe(200);
    const again = await call(sh, 'issuer', `/v1/reports/${reportId}/resolution`, {
      outcome: 'rejected',
      reason: '再次处理',
    });
    expect(again.status).toBe(409);
  });

  it('stores a delivered report once, however often it is delivered', async () => {
    const zj = f.province('330000');
    const filingId = '01JDQ6X8Z5S2W3E4R5T6Y7V8W9';
    const body = {
      filingId,
      identifier,
      fields: REPORT(identifier).fields,
      description: '重复投递',
      reporter: { kind: 'platform', platform: '浙江省政务服务平台' },
      filedAt: new Date().toISOString(),
    };
    const first = await zj.gateway.peers.call('310000', 'POST', '/v1/interop/reports', body, {
      traceId: 'ab'.repeat(16),
    });
    const second = await zj.gateway.peers.call('310000', 'POST', '/v1/interop/reports', body, {
      traceId: 'ab'.repeat(16),
    });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(ReportFiledSchema.parse(second.body).reportId).toBe(ReportFiledSchema.parse(first.body).reportId);
    const queue = ReportQueuePageSchema.parse(
      (await call(f.province('310000'), 'issuer', '/v1/reports')).body,
    );
    expect(queue.items.filter((r) => r.description === '重复投递')).toHaveLength(1);
  });

  it('takes a change notice only from the province that issued the license, once however often it comes', async () => {
    const js = f.province('320000');
    const notice = {
      noticeId: '310000-01JDQ6X8Z5S2W3E4R5T6Y7V8W9',
      identifier,
      change: 'status',
      status: '02',
      time: new Date().toISOString(),
    };
    const fromIssuer = () =>
      f.province('310000').gateway.peers.call('320000', 'POST', '/v1/interop/notices', notice, {
        traceId: 'cd'.repeat(16),
      });
    expect((await fromIssuer()).status).toBe(200);
    expect((await fromIssuer()).status).toBe(200);
    const items = NoticesPageSchema.parse((await call(js, 'platform', '/v1/notices')).body).items;
    expect(items.filter((n) => n.noticeId === notice.noticeId)).toHaveLength(1);

    const forged = await f
      .province('330000')
      .gateway.peers.call(
        '320000',
        'POST',
        '/v1/interop/notices',
        { ...notice, noticeId: '330000-01JDQ6X8Z5S2W3E4R5T6Y7V8W9' },
        { traceId: 'ef'.repeat(16) },
      );
    expect(forged.status).toBe(403);
    const after = NoticesPageSchema.parse((await call(js, 'platform', '/v1/notices')).body).items;
    expect(after.filter((n) => n.from === '330000')).toEqual([]);
  });
});

describe('a report while the issuing province does not answer', () => {
  it('is answered 202, kept delivering with the error, and delivered once the issuer is back', async () => {
    // 330000 is told 310000 lives at a port nobody listens on; later it starts again on the same
    // data with the real address.
    const down = await testFederation({
      name: 'rptd',
      provinces: ['310000', '330000'],
      baseUrlOverrides: { '310000': 'http://127.0.0.1:9' },
    });
    let identifier: string;
    let filingId: string;
    try {
      const sh = down.province('310000');
      identifier = IssueResponseSchema.parse(
        (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
      ).identifier;
      const filed = await call(down.province('330000'), 'platform', '/v1/reports', REPORT(identifier));
      expect(filed.status).toBe(202);
      filingId = ReportQueuedSchema.parse(filed.body).filingId;
      const seen = ReportViewSchema.parse(
        (await call(down.province('330000'), 'platform', `/v1/reports/${filingId}`)).body,
      );
      expect(seen).toMatchObject({ filingId, state: 'delivering', issuer: '310000' });
      expect(seen.reportId).toBeUndefined();
      const queue = ReportQueuePageSchema.parse((await call(sh, 'issuer', '/v1/reports')).body);
      expect(queue.items).toEqual([]);
    } finally {
      await down.stop();
    }
    const back = await testFederation({
      name: 'rptd',
      provinces: ['310000', '330000'],
      dir: down.dir,
      tablePrefix: down.tablePrefix,
    });
    try {
      await vi.waitFor(
        async () => {
          const seen = ReportViewSchema.parse(
            (await call(back.province('330000'), 'platform', `/v1/reports/${filingId}`)).body,
          );
          expect(seen).toMatchObject({
            filingId,
            state: 'open',
            reportId: expect.stringMatching(/^310000-/),
          });
        },
        { timeout: 20_000, interval: 250 },
      );
      const queue = ReportQueuePageSchema.parse(
        (await call(back.province('310000'), 'issuer', '/v1/reports')).body,
      );
      expect(queue.items.map((r) => r.identifier)).toEqual([identifier]);
    } finally {
      await back.stop();
    }
  }, 90_000);
});
