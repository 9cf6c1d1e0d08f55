import { identifierKey, parseIdentifier } from '../../contracts/codes/index.ts';
import type {
  InteropNotice,
  InteropReportOutcome,
  InteropReportRequest,
  ReportFiled,
} from '../../contracts/reports.ts';
import type { AgreementPolicy } from '../../lib/agreements/enforcement.ts';
import type { Clock } from '../../lib/clock.ts';
import {
  AgreementRequiredError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  ScopeDeniedError,
} from '../../lib/errors.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import type { LicenseLookup, ReportRepository } from './ports.ts';
import type { ReportService } from './service.ts';

export interface InboxDeps {
  province: string;
  store: ReportRepository;
  licenses: LicenseLookup;
  agreementPolicy: Pick<AgreementPolicy, 'authorize'>;
  /** Dates and checks a report as a filing here would be (due date, holder check). */
  reports: Pick<ReportService, 'newReport' | 'assertHolder' | 'hashOf'>;
  clock: Clock;
}

/**
 * The signed calls of the error loop (docs/protocol.md §17): reports arriving at this province as
 * the issuer, outcomes arriving as the reporter, change notices arriving as a province that relied
 * on a license. Each is stored once, whatever the number of deliveries.
 */
export class ReportInbox {
  constructor(private readonly deps: InboxDeps) {}

  /**
   * A report on one of this province's licenses (§17.2). A platform's needs an agreement that lets
   * the caller verify the type, decided from the identifier alone before the license is looked
   * up; a holder's needs the holder to be the license's. Every miss is 404, alike.
   */
  async report(
    caller: string,
    request: InteropReportRequest,
  ): Promise<{ status: 200 | 201; body: ReportFiled; reportId: string }> {
    const parsed = parseIdentifier(request.identifier);
    if (!parsed.ok) throw new NotFoundError(`not an identifier: ${parsed.issue.reason}`);
    const id = parsed.value;
    if (request.reporter.kind === 'platform') {
      const auth = await this.deps.agreementPolicy.authorize({
        grantor: this.deps.province,
        grantee: caller,
        action: 'verify',
        licenseType: id.typeCode,
      });
      if (!auth.ok) {
        throw auth.code === 'AGREEMENT_REQUIRED'
          ? new AgreementRequiredError(auth.message)
          : new ScopeDeniedError(auth.message);
      }
    }
    const record =
      issuerProvinceOf(id) === this.deps.province
        ? await this.deps.licenses.get(identifierKey(id), id.version)
        : undefined;
    if (request.reporter.kind === 'holder') this.deps.reports.assertHolder(record, request.reporter.holder);
    if (!record)
      throw new NotFoundError(`province ${this.deps.province} issued no license ${request.identifier}`);
    const report = this.deps.reports.newReport(record, {
      filingId: request.filingId,
      identifier: request.identifier,
      fields: request.fields,
      description: request.description,
      reporter: {
        province: caller,
        kind: request.reporter.kind,
        ...(request.reporter.kind === 'platform'
          ? { platform: request.reporter.platform }
          : { holderHash: this.deps.reports.hashOf(request.reporter.holder) }),
      },
      now: this.deps.clock.now(),
    });
    const stored = await this.deps.store.receive({ report });
    const held = stored.report;
    return {
      status: stored.created ? 201 : 200,
      body: { reportId: held.reportId, state: held.state, dueDate: held.dueDate },
      reportId: held.reportId,
    };
  }

  /** The outcome of a report this province filed, from the province it was filed with (§17.5). */
  async outcome(caller: string, outcome: InteropReportOutcome): Promise<void> {
    const recorded = await this.deps.store.recordOutcome(outcome, caller);
    if (recorded === 'unknown')
      throw new NotFoundError(`no report of this province went to ${caller} as ${outcome.filingId}`);
    if (recorded === 'conflict') {
      throw new ConflictError(`the filing ${outcome.filingId} already holds another outcome`);
    }
  }

  /** A change notice, only from the province that issued the license (§17.7). */
  async notice(caller: string, notice: InteropNotice): Promise<void> {
    const issuerOf = (identifier: string) => {
      const parsed = parseIdentifier(identifier);
      return parsed.ok
        ? { province: issuerProvinceOf(parsed.value), key: identifierKey(parsed.value) }
        : undefined;
    };
    const license = issuerOf(notice.identifier);
    if (license?.province !== caller || !notice.noticeId.startsWith(`${caller}-`)) {
      throw new ForbiddenError(`${caller} may only send notices of the licenses it issued`);
    }
    if (notice.newIdentifier !== undefined && issuerOf(notice.newIdentifier)?.key !== license.key) {
      throw new InvalidRequestError('newIdentifier is not a version of the license the notice is about', [
        { path: ['newIdentifier'], code: 'custom', message: 'not a version of the same license' },
      ]);
    }
    await this.deps.store.receiveNotice({
      noticeId: notice.noticeId,
      from: caller,
      identifier: notice.identifier,
      change: notice.change,
      ...(notice.newIdentifier ? { newIdentifier: notice.newIdentifier } : {}),
      status: notice.status,
      time: notice.time,
      receivedAt: this.deps.clock.now().toISOString(),
    });
  }
}
