import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditAction } from '../../../contracts/audit.ts';
import { buildIdentifier, identifierKey, parseIdentifier } from '../../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import {
  type IssueResponse,
  IssueResponseSchema,
  LicenseResponseSchema,
} from '../../../contracts/license.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { ulid } from '../../../lib/ids.ts';
import type { ChangeFanout, IssuerReport } from '../../../lib/reports/records.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { LicenseStore } from '../../../lib/store/license-store.ts';
import { ReportStore } from '../../../lib/store/report-store.ts';
import {
  get,
  issueSample,
  post,
  SHANGHAI_DEPT,
  type TestGateway,
  testGateway,
} from '../../support/gateway.ts';
import { storedEvents } from '../../support/scan.ts';

/**
 * The issuing side of change notices and corrections (docs/protocol.md §17.5, §17.7): every new
 * version and every status change stores its fan-out in its own transaction, a refused change
 * stores none, and a version that answers an error report checks the report in that transaction.
 */

const NOW = '2026-06-01T08:00:00.000Z';

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

/** The trace id a gateway answer names in its traceparent. */
const traceOf = (res: Response) => res.headers.get('traceparent')?.split('-')[1];

/** Every version's identifier of the license of `identifier`, from 001 to `upTo`. */
function versionsOf(identifier: string, upTo: number): string[] {
  const parsed = parseIdentifier(identifier);
  if (!parsed.ok) throw new Error(`not an identifier: ${identifier}`);
  return Array.from({ length: upTo }, (_, i) =>
    buildIdentifier({ ...parsed.value, version: String(i + 1).padStart(3, '0') }),
  );
}

function keyOf(identifier: string): string {
  const parsed = parseIdentifier(identifier);
  if (!parsed.ok) throw new Error(`not an identifier: ${identifier}`);
  return identifierKey(parsed.value);
}

describe('change notices of the issuing province', () => {
  let t: TestGateway;
  let issuer: string;
  let reports: ReportStore;
  let licenses: LicenseStore;

  beforeAll(async () => {
    t = await testGateway('310000', NOW);
    issuer = await t.token('issuer');
    const audit = new AuditStore(t.storage.doc, t.storage.tables.audit);
    reports = new ReportStore(t.storage.doc, t.storage.tables.reports, audit);
    licenses = new LicenseStore(t.storage.doc, t.storage.tables.licenses, audit);
  });

  /** The fan-outs waiting for the license whose first version is `first`. */
  async function fanoutsOf(first: string): Promise<ChangeFanout[]> {
    return (await reports.pendingFanouts(1000)).filter((f) => f.identifiers[0] === first);
  }

  async function newVersion(identifier: string, body: Record<string, unknown>) {
    return t.app.request(post(`/v1/licenses/${identifier}/versions`, body, issuer));
  }

  async function changeStatus(identifier: string, status: string, reason = '暂扣调查') {
    return t.app.request(post(`/v1/licenses/${identifier}/status`, { status, reason }, issuer));
  }

  /** An open report at this issuer on the license of `identifier` (its department unless given). */
  async function openReport(
    identifier: string,
    overrides: Partial<IssuerReport> = {},
  ): Promise<IssuerReport> {
    const report: IssuerReport = {
      reportId: `310000-${ulid(new Date(NOW))}`,
      filingId: ulid(new Date(NOW)),
      identifier,
      licenseKey: keyOf(identifier),
      issuerUscc: SHANGHAI_DEPT.uscc,
      fields: [{ path: 'holder.name', problem: '姓名有误', suggested: '张三丰' }],
      description: '窗口核验时发现持证人姓名与身份证不一致',
      reporter: { province: '330000', kind: 'platform', platform: 'zwfw' },
      receivedAt: NOW,
      dueDate: '2026-06-08',
      state: 'open',
      ...overrides,
    };
    const stored = await reports.receive({ report });
    expect(stored.created).toBe(true);
    return report;
  }

  describe('a change that is stored', () => {
    it('leaves one fan-out for a new version: every version up to the new one, the version notice', async () => {
      const v1 = await issueSample(t);

      const res = await newVersion(v1.identifier, { number: 'N-2', reason: '变更证号' });

      expect(res.status).toBe(201);
      const v2 = IssueResponseSchema.parse(await res.json());
      const fanouts = await fanoutsOf(v1.identifier);
      expect(fanouts).toHaveLength(1);
      const [fanout] = fanouts;
      expect(fanout?.identifiers).toEqual([v1.identifier, v2.identifier]);
      expect(fanout?.notice).toEqual({
        noticeId: expect.stringMatching(/^310000-[0-9A-HJKMNP-TV-Z]{26}$/),
        identifier: v1.identifier,
        change: 'version',
        newIdentifier: v2.identifier,
        status: '01',
        time: NOW,
      });
      expect(fanout?.traceId).toBe(traceOf(res));
      expect(fanout?.createdAt).toBe(NOW);
      expect(fanout?.fanoutId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    });

    it('names every version from 001 in the fan-out of a later version', async () => {
      const v1 = await issueSample(t);
      const v2 = IssueResponseSchema.parse(
        await (await newVersion(v1.identifier, { number: 'N-2', reason: '变更' })).json(),
      );

      const res = await newVersion(v2.identifier, { holderName: '张三丰', reason: '更名' });

      expect(res.status).toBe(201);
      const v3 = IssueResponseSchema.parse(await res.json());
      const fanouts = await fanoutsOf(v1.identifier);
      expect(fanouts).toHaveLength(2);
      const last = fanouts.find((f) => f.notice.newIdentifier === v3.identifier);
      expect(last?.identifiers).toEqual(versionsOf(v1.identifier, 3));
      expect(last?.notice).toMatchObject({ identifier: v2.identifier, change: 'version', status: '01' });
    });

    it('leaves one fan-out for a status change: the current version and the status after it', async () => {
      const v1 = await issueSample(t);

      const res = await changeStatus(v1.identifier, '02');

      expect(res.status).toBe(200);
      const fanouts = await fanoutsOf(v1.identifier);
      expect(fanouts).toHaveLength(1);
      expect(fanouts[0]?.identifiers).toEqual([v1.identifier]);
      expect(fanouts[0]?.notice).toEqual({
        noticeId: expect.stringMatching(/^310000-[0-9A-HJKMNP-TV-Z]{26}$/),
        identifier: v1.identifier,
        change: 'status',
        status: '02',
        time: NOW,
      });
      expect(fanouts[0]?.traceId).toBe(traceOf(res));
    });

    it('names the current version in the notice of a status change made through an older one', async () => {
      const v1 = await issueSample(t);
      const v2 = IssueResponseSchema.parse(
        await (await newVersion(v1.identifier, { number: 'N-2', reason: '变更' })).json(),
      );

      const res = await changeStatus(v1.identifier, '07', '撤销');

      expect(res.status).toBe(200);
      const status = (await fanoutsOf(v1.identifier)).filter((f) => f.notice.change === 'status');
      expect(status).toHaveLength(1);
      expect(status[0]?.identifiers).toEqual([v1.identifier, v2.identifier]);
      expect(status[0]?.notice).toMatchObject({ identifier: v2.identifier, status: '07' });
      expect(status[0]?.notice).not.toHaveProperty('newIdentifier');
    });
  });

  describe('a change that is refused', () => {
    it('leaves no fan-out for a status transition that is not allowed', async () => {
      const v1 = await issueSample(t);
      expect((await changeStatus(v1.identifier, '07', '撤销')).status).toBe(200);

      const res = await changeStatus(v1.identifier, '01', '恢复');

      expect(res.status).toBe(409);
      expect((await errorOf(res)).code).toBe('TRANSITION_NOT_ALLOWED');
      const fanouts = await fanoutsOf(v1.identifier);
      expect(fanouts.map((f) => f.notice.status)).toEqual(['07']);
    });

    it('leaves no fan-out for a version of a superseded version', async () => {
      const v1 = await issueSample(t);
      expect((await newVersion(v1.identifier, { number: 'N-2', reason: '变更' })).status).toBe(201);

      const res = await newVersion(v1.identifier, { number: 'N-3', reason: '再变更' });

      expect(res.status).toBe(409);
      expect(await fanoutsOf(v1.identifier)).toHaveLength(1);
    });

    it('leaves no fan-out for a version of a license that is not valid', async () => {
      const v1 = await issueSample(t);
      expect((await changeStatus(v1.identifier, '02')).status).toBe(200);

      const res = await newVersion(v1.identifier, { number: 'N-2', reason: '变更' });

      expect(res.status).toBe(409);
      expect((await fanoutsOf(v1.identifier)).map((f) => f.notice.change)).toEqual(['status']);
    });

    it('refuses a request that names a report and changes nothing', async () => {
      const v1 = await issueSample(t);
      const report = await openReport(v1.identifier);

      const res = await newVersion(v1.identifier, { reason: '纠错', reportId: report.reportId });

      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('INVALID_REQUEST');
      expect(await fanoutsOf(v1.identifier)).toHaveLength(0);
    });

    it('refuses a malformed report id', async () => {
      const v1 = await issueSample(t);

      const res = await newVersion(v1.identifier, { number: 'N-2', reason: '纠错', reportId: 'RPT-1' });

      expect(res.status).toBe(400);
      expect((await errorOf(res)).issues?.some((i) => i.path.join('.') === 'reportId')).toBe(true);
    });
  });

  describe('a version that answers an error report', () => {
    /** Asserts that the license of `v1` holds one version and no fan-out, and names the report. */
    async function refusedFor(v1: IssueResponse, reportId: string, res: Response) {
      expect(res.status).toBe(409);
      const error = await errorOf(res);
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toBe(
        `report ${reportId} is not an open report on this license of this department`,
      );
      expect(await fanoutsOf(v1.identifier)).toHaveLength(0);
      const record = await licenses.get(keyOf(v1.identifier), '001');
      expect(record?.head.currentVersion).toBe('001');
      expect(record?.version.supersededBy).toBeUndefined();
      expect(await licenses.get(keyOf(v1.identifier), '002')).toBeUndefined();
      const events = (await storedEvents(t.storage.doc, t.storage.tables.audit)).filter(
        (e) => e.traceId === error.traceId,
      );
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: AuditAction.licenseVersion, outcome: 'refused' });
    }

    it('is 409 and stores nothing for a report that does not exist', async () => {
      const v1 = await issueSample(t);
      const reportId = `310000-${ulid(new Date(NOW))}`;

      const res = await newVersion(v1.identifier, { number: 'N-2', reason: '纠错', reportId });

      await refusedFor(v1, reportId, res);
    });

    it('is 409 and stores nothing for a report already resolved', async () => {
      const v1 = await issueSample(t);
      const report = await openReport(v1.identifier);
      const resolvedAt = '2026-06-01T09:00:00.000Z';
      expect(
        await reports.resolve({
          from: report,
          to: { ...report, state: 'resolved', outcome: 'rejected', reason: '无误', resolvedAt },
          audit: auditEvent(
            {
              province: '310000',
              traceId: 'cd'.repeat(16),
              action: AuditAction.licenseRead,
              outcome: 'success',
              identifier: v1.identifier,
            },
            new Date(resolvedAt),
          ),
        }),
      ).toBe('resolved');

      const res = await newVersion(v1.identifier, {
        number: 'N-2',
        reason: '纠错',
        reportId: report.reportId,
      });

      await refusedFor(v1, report.reportId, res);
    });

    it('is 409 and stores nothing for an open report on another license', async () => {
      const v1 = await issueSample(t);
      const other = await issueSample(t);
      const report = await openReport(other.identifier);

      const res = await newVersion(v1.identifier, {
        number: 'N-2',
        reason: '纠错',
        reportId: report.reportId,
      });

      await refusedFor(v1, report.reportId, res);
    });

    it("is 409 and stores nothing for a report in another department's queue", async () => {
      const v1 = await issueSample(t);
      const report = await openReport(v1.identifier, { issuerUscc: '11330000002502880R' });

      const res = await newVersion(v1.identifier, {
        number: 'N-2',
        reason: '纠错',
        reportId: report.reportId,
      });

      await refusedFor(v1, report.reportId, res);
    });

    it('records the report in the version and its event, outside the credential', async () => {
      const v1 = await issueSample(t);
      const report = await openReport(v1.identifier);

      const res = await newVersion(v1.identifier, {
        holderName: '张三丰',
        reason: '纠错',
        reportId: report.reportId,
      });

      expect(res.status).toBe(201);
      const v2 = IssueResponseSchema.parse(await res.json());
      expect(v2.license.reportId).toBe(report.reportId);
      const read = await t.app.request(get(`/v1/licenses/${v2.identifier}`, issuer));
      const body = (await read.json()) as { credential: string };
      expect(LicenseResponseSchema.parse(body).license.reportId).toBe(report.reportId);
      expect(body.credential).toBe(v2.credential);
      expect(JSON.stringify(decodeJwt(v2.credential))).not.toContain(report.reportId);
      const old = LicenseResponseSchema.parse(
        await (await t.app.request(get(`/v1/licenses/${v1.identifier}`, issuer))).json(),
      );
      expect(old.license.reportId).toBeUndefined();
      // What the reports function reads to check a correction.
      const record = await licenses.get(keyOf(v1.identifier), '002');
      expect(record?.version.reportId).toBe(report.reportId);
      expect(record?.version.license).not.toHaveProperty('reportId');
      const events = (await storedEvents(t.storage.doc, t.storage.tables.audit)).filter(
        (e) => e.traceId === traceOf(res),
      );
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: AuditAction.licenseVersion,
        outcome: 'success',
        identifier: v2.identifier,
        details: { previous: v1.identifier, version: '002', reportId: report.reportId },
      });
      const fanouts = await fanoutsOf(v1.identifier);
      expect(fanouts).toHaveLength(1);
      expect(fanouts[0]?.notice).toMatchObject({ change: 'version', newIdentifier: v2.identifier });
      // The report stays open: resolving it is the department's next step.
      expect((await reports.report(report.reportId))?.state).toBe('open');
    });

    it("keeps the report out of a verification's answer, which shows the license data only", async () => {
      const v1 = await issueSample(t);
      const report = await openReport(v1.identifier);
      const v2 = IssueResponseSchema.parse(
        await (
          await newVersion(v1.identifier, { number: 'N-2', reason: '纠错', reportId: report.reportId })
        ).json(),
      );

      const res = await t.app.request(
        post(
          '/v1/verify',
          { identifier: v2.identifier, matterCode: '310000-JZ-001', useCause: '办理施工许可' },
          await t.token('platform'),
        ),
      );

      expect(res.status).toBe(200);
      const body = (await res.json()) as { license?: { identifier: string } };
      expect(body.license?.identifier).toBe(v2.identifier);
      expect(JSON.stringify(body)).not.toContain(report.reportId);
    });
  });
});
