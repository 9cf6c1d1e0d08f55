import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IssueResponseSchema } from '../../contracts/license.ts';
import {
  NoticesPageSchema,
  ReportFiledSchema,
  ReportQueuePageSchema,
  ReportViewSchema,
} from '../../contracts/reports.ts';
import { type TestFederation, testFederation } from '../support/federation.ts';
import { unknownIdentifier } from '../support/gateway.ts';
import { elg } from './run-elg.ts';

/** The holder the federation's holder token names: the holder of contracts/examples ISSUE_REQUEST. */
const EXAMPLE_HOLDER = '11010519491231002X';

const FIELD = 'holder.name=姓名错一字=张珊';
const DESCRIPTION = '窗口核验时发现持证人姓名与身份证不符';

/** A gateway stand-in that answers every call with `status` and `body`. */
async function standIn(status: number, body: unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

describe('elg reports and elg notices against a running federation', () => {
  let f: TestFederation;
  let fed: string[];
  let identifier: string;

  /** `elg reports file` from 330000 on the Shanghai license, its answer as JSON. */
  const fileReport = async (...more: string[]) => {
    const run = await elg([
      'reports',
      'file',
      ...fed,
      '--province',
      '330000',
      '--identifier',
      identifier,
      '--field',
      FIELD,
      '--description',
      DESCRIPTION,
      '--json',
      ...more,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return ReportFiledSchema.parse(JSON.parse(run.stdout));
  };

  beforeAll(async () => {
    f = await testFederation({ name: 'clr', provinces: ['310000', '330000'] });
    fed = ['--federation', f.file];
    const issued = await elg([
      'issue',
      ...fed,
      '--province',
      '310000',
      '--holder-name',
      '张三',
      '--holder-id',
      EXAMPLE_HOLDER,
      '--category',
      '建筑电工',
      '--json',
    ]);
    expect(issued.code).toBe(0);
    identifier = IssueResponseSchema.parse(JSON.parse(issued.stdout)).identifier;
    // Zhejiang relies on the license: it will hear of every change.
    const verified = await elg(['verify', ...fed, '--province', '330000', identifier]);
    expect(verified.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('files from 330000, lists in the Shanghai queue, shows on both sides, resolves and tells 330000', async () => {
    // Act: a window in Zhejiang files a report on the Shanghai license
    const filed = await elg([
      'reports',
      'file',
      ...fed,
      '--province',
      '330000',
      '--identifier',
      identifier,
      '--field',
      FIELD,
      '--field',
      'validUntil=有效期应为长期',
      '--description',
      DESCRIPTION,
    ]);

    // Assess: the report id, state and due date the issuer gave
    expect(filed.stderr).toBe('');
    expect(filed.code).toBe(0);
    const reportId = /^(310000-[0-9A-Z]{26}) filed with 310000 上海$/m.exec(filed.stdout)?.[1] ?? '';
    expect(reportId).not.toBe('');
    expect(filed.stdout).toContain('state  待处理 open');
    const dueDate = /due {4}(\d{4}-\d\d-\d\d) \(办结期限/.exec(filed.stdout)?.[1] ?? '';
    expect(dueDate).not.toBe('');
    expect(filed.stdout).toContain(`see: elg reports show --province 330000 ${reportId}\n`);

    // Act: the Shanghai department's queue, as a table and as JSON
    const human = await elg(['reports', 'list', ...fed, '--province', '310000']);
    const json = await elg(['reports', 'list', ...fed, '--province', '310000', '--json']);

    // Assess
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('1 open report for 上海市住房和城乡建设管理委员会, 310000 上海');
    expect(human.stdout).toMatch(/^REPORT\s+IDENTIFIER\s+DUE 办结期限\s+OVERDUE\s+REPORTER\s+FIELDS$/m);
    const row = human.stdout.split('\n').find((l) => l.startsWith(reportId)) ?? '';
    expect(row).toMatch(
      new RegExp(
        `^${reportId}\\s+${identifier.replaceAll('.', '\\.')}\\s+${dueDate}\\s+-\\s+330000 浙江 platform 浙江省政务服务平台\\s+holder\\.name: 姓名错一字 → 张珊; validUntil: 有效期应为长期$`,
      ),
    );
    expect(json.code).toBe(0);
    const queue = ReportQueuePageSchema.parse(JSON.parse(json.stdout));
    expect(queue.cursor).toBeUndefined();
    expect(queue.items).toMatchObject([
      {
        reportId,
        identifier,
        state: 'open',
        dueDate,
        overdue: false,
        reporter: { province: '330000', kind: 'platform', platform: '浙江省政务服务平台' },
        fields: [
          { path: 'holder.name', problem: '姓名错一字', suggested: '张珊' },
          { path: 'validUntil', problem: '有效期应为长期' },
        ],
        description: DESCRIPTION,
      },
    ]);

    // Act: the report as the reporter sees it in 330000, and as the department does in 310000
    const seen = await elg(['reports', 'show', ...fed, '--province', '330000', reportId]);
    const seenJson = await elg(['reports', 'show', ...fed, '--province', '330000', reportId, '--json']);
    const atIssuer = await elg([
      'reports',
      'show',
      ...fed,
      '--province',
      '310000',
      reportId,
      '--as',
      'issuer',
    ]);
    const asPlatform = await elg(['reports', 'show', ...fed, '--province', '310000', reportId]);

    // Assess
    expect(seen.code).toBe(0);
    expect(seen.stdout.split('\n')[0]).toBe(reportId);
    expect(seen.stdout).toMatch(/state\s+待处理 open/);
    expect(seen.stdout).toMatch(/issuer\s+310000 上海/);
    expect(seen.stdout).toMatch(/reporter\s+330000 浙江 platform 浙江省政务服务平台/);
    expect(seen.stdout).toMatch(new RegExp(`due\\s+${dueDate}\\n`));
    expect(seen.stdout).toContain('    holder.name: 姓名错一字 → 张珊\n');
    expect(ReportViewSchema.parse(JSON.parse(seenJson.stdout))).toMatchObject({
      reportId,
      issuer: '310000',
      state: 'open',
      filingId: expect.any(String),
    });
    expect(atIssuer.code).toBe(0);
    expect(atIssuer.stdout).toMatch(/state\s+待处理 open/);
    // 310000's platform filed nothing: the department reads it as issuer, and is told so.
    expect(asPlatform.code).toBe(1);
    expect(asPlatform.stderr).toMatch(
      /^error NOT_FOUND: .+ \(as platform: the issuing department reads it with --as issuer\)/,
    );

    // Act: the department rejects it
    const resolved = await elg([
      'reports',
      'resolve',
      ...fed,
      '--province',
      '310000',
      reportId,
      '--outcome',
      'rejected',
      '--reason',
      '经核实登记信息无误',
    ]);

    // Assess
    expect(resolved.stderr).toBe('');
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toContain(`${reportId} resolved: 不予更正 rejected\n`);
    expect(resolved.stdout).toContain('the outcome goes to 330000 浙江, which filed it');
    expect(resolved.stdout).toMatch(/reason\s+经核实登记信息无误/);

    // Assess: 330000 shows the outcome once it is delivered; the queue lists it as resolved
    await vi.waitFor(
      async () => {
        const run = await elg(['reports', 'show', ...fed, '--province', '330000', reportId, '--json']);
        expect(ReportViewSchema.parse(JSON.parse(run.stdout))).toMatchObject({
          reportId,
          state: 'resolved',
          outcome: 'rejected',
          reason: '经核实登记信息无误',
        });
      },
      { timeout: 20_000, interval: 300 },
    );
    const outcome = await elg(['reports', 'show', ...fed, '--province', '330000', reportId]);
    expect(outcome.stdout).toMatch(/state\s+已办结 resolved/);
    expect(outcome.stdout).toMatch(/outcome\s+不予更正 rejected/);
    expect(outcome.stdout).toMatch(/resolved\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(北京时间\)/);
    const done = await elg(['reports', 'list', ...fed, '--province', '310000', '--state', 'resolved']);
    expect(done.stdout).toMatch(
      /^REPORT\s+IDENTIFIER\s+DUE 办结期限\s+OVERDUE\s+REPORTER\s+OUTCOME\s+FIELDS$/m,
    );
    expect(done.stdout).toMatch(new RegExp(`^${reportId}\\s.+\\srejected\\s+holder\\.name`, 'm'));
    const open = await elg(['reports', 'list', ...fed, '--province', '310000', '--state', 'open']);
    expect(open.stdout).toBe('no open reports for 上海市住房和城乡建设管理委员会, 310000 上海\n');
  }, 60_000);

  it('follows the pages to the end, or stops at --limit with where to go on', async () => {
    // Prepare: three open reports, one of them the holder's own
    const a = await fileReport();
    const b = await fileReport();
    const c = await fileReport('--as', 'holder');

    // Act
    const all = await elg(['reports', 'list', ...fed, '--province', '310000', '--json']);
    const two = await elg(['reports', 'list', ...fed, '--province', '310000', '--json', '--limit', '2']);
    const limited = await elg(['reports', 'list', ...fed, '--province', '310000', '--limit', '2']);
    const human = await elg(['reports', 'list', ...fed, '--province', '310000']);

    // Assess
    const ids = ReportQueuePageSchema.parse(JSON.parse(all.stdout)).items.map((r) => r.reportId);
    expect(ids.sort()).toEqual([a.reportId, b.reportId, c.reportId].sort());
    const page = ReportQueuePageSchema.parse(JSON.parse(two.stdout));
    expect(page.items).toHaveLength(2);
    expect(page.cursor).toEqual(expect.any(String));
    const rest = await elg([
      'reports',
      'list',
      ...fed,
      '--province',
      '310000',
      '--json',
      '--cursor',
      page.cursor ?? '',
    ]);
    const after = ReportQueuePageSchema.parse(JSON.parse(rest.stdout));
    expect([...page.items, ...after.items].map((r) => r.reportId)).toEqual(
      ReportQueuePageSchema.parse(JSON.parse(all.stdout)).items.map((r) => r.reportId),
    );
    expect(limited.stdout).toContain('2 open reports for');
    expect(limited.stdout).toContain(
      `more: elg reports list --province 310000 --state open --limit 2 --cursor ${page.cursor}\n`,
    );
    expect(human.stdout).toContain('3 open reports for');
    expect(human.stdout).not.toContain('more:');
    expect(human.stdout).toMatch(new RegExp(`^${c.reportId}\\s.+\\s330000 浙江 holder 持证人本人\\s`, 'm'));
  });

  it('corrects from the command line alone: a new version for the report, then resolves it corrected', async () => {
    // Prepare: a license of its own, reported on from 330000
    const issued = await elg([
      'issue',
      ...fed,
      '--province',
      '310000',
      '--holder-name',
      '张三',
      '--holder-id',
      EXAMPLE_HOLDER,
      '--category',
      '建筑电工',
      '--json',
    ]);
    const own = IssueResponseSchema.parse(JSON.parse(issued.stdout)).identifier;
    const filed = await elg([
      'reports',
      'file',
      ...fed,
      '--province',
      '330000',
      '--identifier',
      own,
      '--field',
      FIELD,
      '--description',
      DESCRIPTION,
      '--json',
    ]);
    const { reportId } = ReportFiledSchema.parse(JSON.parse(filed.stdout));

    // Act
    const changed = await elg([
      'change',
      ...fed,
      '--province',
      '310000',
      own,
      '--reason',
      '根据差错报告更正',
      '--holder-name',
      '张珊',
      '--report',
      reportId,
      '--json',
    ]);
    const next = IssueResponseSchema.parse(JSON.parse(changed.stdout));
    const resolved = await elg([
      'reports',
      'resolve',
      ...fed,
      '--province',
      '310000',
      reportId,
      '--outcome',
      'corrected',
      '--reason',
      '已更正姓名',
      '--new-identifier',
      next.identifier,
      '--json',
    ]);
    const reportOnly = await elg([
      'change',
      ...fed,
      '--province',
      '310000',
      next.identifier,
      '--reason',
      'x',
      '--report',
      reportId,
    ]);

    // Assess
    expect(changed.code, changed.stderr).toBe(0);
    expect(next.license.reportId).toBe(reportId);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(ReportViewSchema.parse(JSON.parse(resolved.stdout))).toMatchObject({
      state: 'resolved',
      outcome: 'corrected',
      newIdentifier: next.identifier,
    });
    // A version that only names a report changes nothing: refused before any call.
    expect(reportOnly.code).toBe(2);
    expect(reportOnly.stderr).toMatch(/change what\?/);
  });

  it("shows the server's refusal with its code, exit 1: a correction naming no new version, a license that does not exist", async () => {
    // Prepare
    const { reportId } = await fileReport();

    // Act
    const corrected = await elg([
      'reports',
      'resolve',
      ...fed,
      '--province',
      '310000',
      reportId,
      '--outcome',
      'corrected',
      '--reason',
      '已更正',
    ]);
    const none = await elg([
      'reports',
      'file',
      ...fed,
      '--province',
      '330000',
      '--identifier',
      unknownIdentifier(),
      '--field',
      FIELD,
      '--description',
      DESCRIPTION,
    ]);

    // Assess
    expect(corrected.code).toBe(1);
    expect(corrected.stdout).toBe('');
    expect(corrected.stderr).toMatch(/^error INVALID_REQUEST: .+\n {2}newIdentifier: .+\n$/);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^error NOT_FOUND: .+ \(trace [0-9a-f]{32}\)\n$/);
    // Still open: the refused resolution changed nothing.
    const still = await elg([
      'reports',
      'show',
      ...fed,
      '--province',
      '310000',
      reportId,
      '--as',
      'issuer',
      '--json',
    ]);
    expect(ReportViewSchema.parse(JSON.parse(still.stdout)).state).toBe('open');
  });

  it('refuses a bad command line before calling anyone (exit 2)', async () => {
    // Act
    const [noEquals, noDescription, badState, badOutcome, stray, badId, typo] = await Promise.all([
      elg([
        'reports',
        'file',
        ...fed,
        '--identifier',
        identifier,
        '--field',
        'holder.name',
        '--description',
        'x',
      ]),
      elg(['reports', 'file', ...fed, '--identifier', identifier, '--field', FIELD]),
      elg(['reports', 'list', ...fed, '--state', 'late']),
      elg([
        'reports',
        'resolve',
        ...fed,
        '310000-01JDQ6X8Z5S2W3E4R5T6Y7V8W9',
        '--outcome',
        'fixed',
        '--reason',
        'x',
      ]),
      elg(['reports', 'list', ...fed, '--outcome', 'rejected']),
      elg(['reports', 'show', ...fed, 'not-a-report']),
      elg(['reports', 'lst', ...fed]),
    ]);
    const badPath = await elg([
      'reports',
      'file',
      ...fed,
      '--identifier',
      identifier,
      '--field',
      '1name=错',
      '--description',
      DESCRIPTION,
    ]);

    // Assess
    for (const run of [noEquals, noDescription, badState, badOutcome, stray, badId, typo, badPath]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/\(see elg reports --help\)\n$/);
    }
    expect(noEquals.stderr).toContain('--field "holder.name": takes PATH=PROBLEM[=SUGGESTED]');
    expect(noDescription.stderr).toContain('reports file needs --description TEXT');
    expect(badState.stderr).toContain('--state takes open, due-soon, overdue, resolved, not "late"');
    expect(badOutcome.stderr).toContain('--outcome takes corrected, rejected, duplicate, not "fixed"');
    expect(stray.stderr).toContain('--outcome is an option of reports resolve, not of reports list');
    expect(badId.stderr).toContain('not-a-report is not a report id');
    expect(typo.stderr).toContain('unknown reports command "lst"; did you mean list?');
    expect(badPath.stderr).toContain('--field "1name=错": path: a field path such as holder.name');
  });

  it('prints a filing the issuer has not answered yet as delivering, and refuses an answer off the contract', async () => {
    // Prepare: gateways that answer 202, and something that is no report view
    const queued = await standIn(202, { filingId: '01JDQ6X8Z5S2W3E4R5T6Y7V8W9', state: 'delivering' });
    const odd = await standIn(200, { reportId: 'x', state: 'open', note: '\u001b[2J' });
    try {
      const args = (url: string) => ['--url', url, '--token', 'any', '--identifier', identifier];
      const fileArgs = ['--field', FIELD, '--description', DESCRIPTION];

      // Act
      const human = await elg(['reports', 'file', ...args(queued.url), ...fileArgs]);
      const json = await elg(['reports', 'file', ...args(queued.url), ...fileArgs, '--json']);
      const off = await elg([
        'reports',
        'show',
        '--url',
        odd.url,
        '--token',
        'any',
        '01JDQ6X8Z5S2W3E4R5T6Y7V8W9',
      ]);

      // Assess
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('filed, not delivered yet: 310000 上海 did not answer');
      expect(human.stdout).toMatch(/filing id\s+01JDQ6X8Z5S2W3E4R5T6Y7V8W9/);
      expect(human.stdout).toContain('投递中 delivering: retried until 310000 上海 answers');
      expect(JSON.parse(json.stdout)).toEqual({
        filingId: '01JDQ6X8Z5S2W3E4R5T6Y7V8W9',
        state: 'delivering',
      });
      expect(off.code).toBe(1);
      expect(off.stdout).toBe('');
      expect(off.stderr).toMatch(/^error: the gateway's report answer does not match the contract/);
    } finally {
      await Promise.all([queued, odd].map((s) => new Promise<void>((r) => s.server.close(() => r()))));
    }
  });

  it('tells 330000, which verified the license, of its new status; 310000 relied on it not', async () => {
    // Act: Shanghai suspends the license
    const changed = await elg([
      'status',
      ...fed,
      '--province',
      '310000',
      identifier,
      '02',
      '--reason',
      '暂扣核查',
    ]);
    expect(changed.code).toBe(0);

    // Assess: the notice reaches 330000, newest first
    await vi.waitFor(
      async () => {
        const run = await elg(['notices', ...fed, '--province', '330000', '--json']);
        expect(run.code).toBe(0);
        const page = NoticesPageSchema.parse(JSON.parse(run.stdout));
        expect(page.items).toContainEqual(
          expect.objectContaining({ from: '310000', identifier, change: 'status', status: '02' }),
        );
      },
      { timeout: 20_000, interval: 300 },
    );
    const human = await elg(['notices', ...fed, '--province', '330000']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('1 change notice received in 330000 浙江, newest first');
    expect(human.stdout).toMatch(
      /^TIME \(北京时间\)\s+FROM\s+CHANGE\s+IDENTIFIER\s+NEW VERSION\s+STATUS NOW$/m,
    );
    expect(human.stdout).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+310000 上海\\s+状态变更 status\\s+${identifier.replaceAll('.', '\\.')}\\s+-\\s+02 暂扣 suspended$`,
        'm',
      ),
    );
    const home = await elg(['notices', ...fed, '--province', '310000']);
    expect(home.stdout).toBe('no change notices in 310000 上海\n');
  });
});
