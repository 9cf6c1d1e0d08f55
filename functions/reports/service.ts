import { AuditAction } from '../../contracts/audit.ts';
import type { Principal } from '../../contracts/auth.ts';
import { identifierKey, type ParsedIdentifier, parseIdentifier } from '../../contracts/codes/index.ts';
import { type HolderRef, HolderRefSchema } from '../../contracts/holder.ts';
import {
  type FileReportRequest,
  FilingIdSchema,
  type ReportFiled,
  ReportIdSchema,
  type ReportQueued,
  type ReportQueuePage,
  type ReportQueueQuery,
  type ReportView,
  type ResolutionRequest,
} from '../../contracts/reports.ts';
import { auditEvent, type CallContext, callEvent } from '../../lib/audit/events.ts';
import { holderHash, sameHolderHash } from '../../lib/audit/holder-hash.ts';
import type { Clock } from '../../lib/clock.ts';
import { type DeliveryRound, LEASE_MS, sendLeased } from '../../lib/delivery/deliver.ts';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
} from '../../lib/errors.ts';
import { ulid } from '../../lib/ids.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import type { LicenseRecord } from '../../lib/license/records.ts';
import { todayCst } from '../../lib/license/validity.ts';
import type { Filing, IssuerReport, ReportDelivery } from '../../lib/reports/records.ts';
import { type WorkCalendar, workingDaysAfter } from '../../lib/reports/working-days.ts';
import { reportDelivery } from './outbox.ts';
import type { LicenseLookup, ReportRepository } from './ports.ts';
import { filingView, issuerView } from './views.ts';

export interface ReportDeps {
  province: string;
  store: ReportRepository;
  licenses: LicenseLookup;
  /** The round that sends report deliveries: a filing's first attempt is made at once through it. */
  round: DeliveryRound<ReportDelivery>;
  /** Which provinces exist: a report on a license of a province the registry does not list is 404. */
  provinces: { province(id: string): { status: string } | undefined };
  holderHashKey: Uint8Array;
  calendar: { dueWorkingDays: number; calendar: WorkCalendar };
  clock: Clock;
}

const DEFAULT_LIMIT = 50;

export type FiledAnswer = { status: 201; body: ReportFiled } | { status: 202; body: ReportQueued };

/**
 * Error reports (docs/protocol.md §17) as this province's platforms, holders and issuing
 * departments use them: filing one (kept here and delivered to the issuer), reading one, a
 * department's queue, and resolving a report on this province's own licenses.
 */
export class ReportService {
  constructor(private readonly deps: ReportDeps) {}

  /** `POST /v1/reports`: a report on a license of this province, or of another one (§17.1). */
  async file(request: FileReportRequest, ctx: CallContext): Promise<FiledAnswer> {
    const { province, clock } = this.deps;
    const filer = filerOf(ctx.principal);
    const parsed = parseIdentifier(request.identifier);
    const issuer = parsed.ok ? issuerProvinceOf(parsed.value) : undefined;
    if (!parsed.ok || !issuer || !this.deps.provinces.province(issuer)) {
      throw new NotFoundError(`no license ${request.identifier} of any province in the trust registry`);
    }
    const now = clock.now();
    const filingId = ulid(now);
    const filedBy: Filing['filedBy'] =
      filer.kind === 'platform'
        ? { kind: 'platform', platform: filer.platform, sub: ctx.principal.sub }
        : { kind: 'holder', holderHash: this.hashOf(filer.holder), sub: ctx.principal.sub };
    const filing: Filing = {
      filingId,
      identifier: request.identifier,
      issuer,
      fields: request.fields,
      description: request.description,
      filedAt: now.toISOString(),
      filedBy,
      state: 'delivering',
    };
    const audit = this.fileEvent(ctx, filing, issuer === province ? undefined : issuer, now);
    if (issuer === province) return this.fileHere(parsed.value, filing, filer, audit, now);

    const reporter =
      filer.kind === 'platform'
        ? { kind: 'platform' as const, platform: filer.platform }
        : { kind: 'holder' as const, holder: filer.holder };
    const delivery = reportDelivery(
      'report',
      issuer,
      {
        filingId,
        identifier: request.identifier,
        fields: request.fields,
        description: request.description,
        reporter,
        filedAt: filing.filedAt,
      },
      { filingId },
      ctx.traceId,
      now,
      { until: new Date(now.getTime() + LEASE_MS) },
    );
    await this.deps.store.file({ filing, delivery, audit });
    const sent = await sendLeased(this.deps.round, delivery, now);
    const answered = await this.deps.store.filing(filingId);
    if (sent.outcome === 'delivered' && answered?.state === 'refused' && answered.refusal) {
      const { refusal } = answered;
      throw new AppError(refusal.code, refusal.status as 400 | 403 | 404, `${issuer}: ${refusal.message}`);
    }
    if (answered?.reportId && answered.dueDate && answered.state !== 'refused') {
      return {
        status: 201,
        body: {
          reportId: answered.reportId,
          state: answered.state === 'resolved' ? 'resolved' : 'open',
          dueDate: answered.dueDate,
        },
      };
    }
    return { status: 202, body: { filingId, state: 'delivering' } };
  }

  /** A report on a license of this province goes straight into its department's queue. */
  private async fileHere(
    id: ParsedIdentifier,
    filing: Filing,
    filer: Filer,
    audit: ReturnType<typeof auditEvent>,
    now: Date,
  ): Promise<FiledAnswer> {
    const record = await this.deps.licenses.get(identifierKey(id), id.version);
    if (filer.kind === 'holder') this.assertHolder(record, filer.holder);
    if (!record) throw new NotFoundError(`province ${this.deps.province} issued no license ${id.identifier}`);
    const report = this.newReport(record, {
      filingId: filing.filingId,
      identifier: filing.identifier,
      fields: filing.fields,
      description: filing.description,
      reporter: {
        province: this.deps.province,
        kind: filer.kind,
        ...(filer.kind === 'platform'
          ? { platform: filer.platform }
          : { holderHash: this.hashOf(filer.holder) }),
      },
      now,
    });
    const open: Filing = { ...filing, state: 'open', reportId: report.reportId, dueDate: report.dueDate };
    const stored = await this.deps.store.receive({ report, filing: open, audit });
    return {
      status: 201,
      body: { reportId: stored.report.reportId, state: 'open', dueDate: stored.report.dueDate },
    };
  }

  /** A report as the issuer first stores it, due in the province's working days. */
  newReport(
    record: LicenseRecord,
    r: Pick<IssuerReport, 'filingId' | 'identifier' | 'fields' | 'description' | 'reporter'> & { now: Date },
  ): IssuerReport {
    const { now, ...rest } = r;
    const { dueWorkingDays, calendar } = this.deps.calendar;
    const parsed = parseIdentifier(r.identifier);
    if (!parsed.ok) throw new NotFoundError(`not an identifier: ${r.identifier}`);
    return {
      ...rest,
      reportId: `${this.deps.province}-${ulid(now)}`,
      licenseKey: identifierKey(parsed.value),
      issuerUscc: record.version.license.issuer.uscc,
      receivedAt: now.toISOString(),
      dueDate: workingDaysAfter(now, dueWorkingDays, calendar),
      state: 'open',
    };
  }

  /** A holder's report names a license of that holder; anything else is answered as no license. */
  assertHolder(record: LicenseRecord | undefined, holder: HolderRef): asserts record is LicenseRecord {
    // Computed and compared whether or not a license was found: the answer takes as long either way.
    const same = sameHolderHash(this.hashOf(holder), record?.head.holderHash);
    if (!record || !same) throw new NotFoundError('no such license of this holder');
  }

  /** `GET /v1/reports/{id}`: the issuer's report to its department, a filing to its reporters. */
  async show(id: string, principal: Principal): Promise<ReportView> {
    const now = this.deps.clock.now();
    const missing = () => new NotFoundError(`no report ${id} here`);
    if (ReportIdSchema.safeParse(id).success) {
      if (principal.roles.includes('issuer')) {
        const report = await this.deps.store.report(id);
        if (report && report.issuerUscc === principal.uscc)
          return issuerView(this.deps.province, report, now);
      }
      const filing = await this.deps.store.filingByReport(id);
      if (filing && this.mayRead(filing, principal)) return filingView(this.deps.province, filing, now);
      throw missing();
    }
    if (FilingIdSchema.safeParse(id).success) {
      const filing = await this.deps.store.filing(id);
      if (filing && this.mayRead(filing, principal)) return filingView(this.deps.province, filing, now);
    }
    throw missing();
  }

  /** `GET /v1/reports`: the department's queue (§17.4). */
  async queue(query: ReportQueueQuery, principal: Principal): Promise<ReportQueuePage> {
    const uscc = principal.uscc;
    if (!uscc) throw new ForbiddenError('an issuer token names its department (uscc)');
    const now = this.deps.clock.now();
    const today = todayCst(now);
    const page = { limit: query.limit ?? DEFAULT_LIMIT, ...(query.cursor ? { after: query.cursor } : {}) };
    const found =
      query.state === 'resolved'
        ? await this.deps.store.resolvedQueue(uscc, page)
        : await this.deps.store.openQueue(
            uscc,
            query.state === 'overdue'
              ? { dueTo: dayBefore(today) }
              : query.state === 'due-soon'
                ? { dueFrom: today, dueTo: workingDaysAfter(now, 1, this.deps.calendar.calendar) }
                : {},
            page,
          );
    return {
      items: found.items.map((r) => issuerView(this.deps.province, r, now)),
      ...(found.next ? { cursor: found.next } : {}),
    };
  }

  /** `POST /v1/reports/{reportId}/resolution` (§17.5). */
  async resolve(reportId: string, request: ResolutionRequest, ctx: CallContext): Promise<ReportView> {
    const { store, province, clock } = this.deps;
    const report = ReportIdSchema.safeParse(reportId).success ? await store.report(reportId) : undefined;
    if (!report) throw new NotFoundError(`no report ${reportId} here`);
    if (report.issuerUscc !== ctx.principal.uscc) {
      throw new ForbiddenError(`report ${reportId} is for the department ${report.issuerUscc}, not this one`);
    }
    if (report.state !== 'open') throw new ConflictError(`report ${reportId} is already ${report.outcome}`);
    if (request.outcome === 'corrected') await this.checkCorrection(report, request.newIdentifier);
    const now = clock.now();
    const to: IssuerReport = {
      ...report,
      state: 'resolved',
      outcome: request.outcome,
      reason: request.reason,
      ...(request.newIdentifier ? { newIdentifier: request.newIdentifier } : {}),
      resolvedAt: now.toISOString(),
      resolvedBy: ctx.principal.sub,
    };
    const foreign = report.reporter.province !== province;
    const delivery = foreign
      ? reportDelivery(
          'outcome',
          report.reporter.province,
          {
            reportId,
            filingId: report.filingId,
            identifier: report.identifier,
            outcome: request.outcome,
            reason: request.reason,
            ...(request.newIdentifier ? { newIdentifier: request.newIdentifier } : {}),
            resolvedAt: now.toISOString(),
          },
          { reportId },
          ctx.traceId,
          now,
        )
      : undefined;
    const filing = foreign ? undefined : await store.filing(report.filingId);
    const audit = callEvent(
      province,
      ctx,
      {
        action: AuditAction.reportResolve,
        identifier: report.identifier,
        ...(foreign ? { peer: report.reporter.province } : {}),
        details: {
          reportId,
          outcome: request.outcome,
          ...(request.newIdentifier ? { newIdentifier: request.newIdentifier } : {}),
        },
      },
      now,
    );
    const done = await store.resolve({
      from: report,
      to,
      audit,
      ...(delivery ? { delivery } : {}),
      ...(filing
        ? {
            filing: {
              ...filing,
              state: 'resolved',
              outcome: request.outcome,
              reason: request.reason,
              ...(request.newIdentifier ? { newIdentifier: request.newIdentifier } : {}),
              resolvedAt: now.toISOString(),
            },
          }
        : {}),
    });
    if (done === 'already') throw new ConflictError(`report ${reportId} was resolved meanwhile`);
    return issuerView(province, to, now);
  }

  /**
   * `corrected` names a newer version of the same license that the versions route issued for
   * this very report (it recorded the report id there).
   */
  private async checkCorrection(report: IssuerReport, newIdentifier: string | undefined): Promise<void> {
    const refuse = (message: string): never => {
      throw new InvalidRequestError(message, [{ path: ['newIdentifier'], code: 'custom', message }]);
    };
    const next = newIdentifier ? parseIdentifier(newIdentifier) : undefined;
    const reported = parseIdentifier(report.identifier);
    if (!next?.ok || !reported.ok) return refuse('newIdentifier is not an identifier');
    if (identifierKey(next.value) !== report.licenseKey) {
      return refuse(`${newIdentifier} is not a version of the license ${report.identifier} is`);
    }
    if (next.value.version <= reported.value.version) {
      return refuse(`${newIdentifier} is not newer than the version reported, ${reported.value.version}`);
    }
    const found = await this.deps.licenses.get(report.licenseKey, next.value.version);
    if (!found) return refuse(`no version ${next.value.version} of this license was issued`);
    if (found.version.reportId !== report.reportId) {
      return refuse(
        `version ${next.value.version} was not issued for report ${report.reportId} (the versions route records the report it answers)`,
      );
    }
  }

  /** A filing is shown to the province's platforms and to the holder who filed it. */
  private mayRead(filing: Filing, principal: Principal): boolean {
    if (principal.roles.includes('platform')) return true;
    if (!principal.roles.includes('holder') || filing.filedBy.kind !== 'holder') return false;
    const holder = HolderRefSchema.safeParse(principal.holder);
    if (!holder.success) return false;
    return sameHolderHash(this.hashOf(holder.data), filing.filedBy.holderHash);
  }

  private fileEvent(ctx: CallContext, filing: Filing, peer: string | undefined, now: Date) {
    const fields = {
      action: AuditAction.reportFile,
      identifier: filing.identifier,
      ...(peer ? { peer } : {}),
      details: {
        filingId: filing.filingId,
        fields: filing.fields.length,
        reporter: filing.filedBy.kind,
        ...(filing.filedBy.kind === 'platform' ? { platform: filing.filedBy.platform.slice(0, 100) } : {}),
      },
    };
    // No actor for a holder: a holder's login name may well be their ID number; the hash says who.
    if (filing.filedBy.kind === 'holder') {
      return auditEvent(
        {
          province: this.deps.province,
          traceId: ctx.traceId,
          outcome: 'success',
          method: ctx.method,
          path: ctx.path,
          holderHash: filing.filedBy.holderHash,
          ...fields,
        },
        now,
      );
    }
    return callEvent(this.deps.province, ctx, fields, now);
  }

  hashOf(holder: HolderRef): string {
    return holderHash(this.deps.holderHashKey, holder.typeCode, holder.code);
  }
}

type Filer = { kind: 'platform'; platform: string } | { kind: 'holder'; holder: HolderRef };

/** Who files: a holder token for its holder, else the platform by its name. */
function filerOf(principal: Principal): Filer {
  if (principal.roles.includes('holder') && !principal.roles.includes('platform')) {
    const holder = HolderRefSchema.safeParse(principal.holder);
    if (!holder.success)
      throw new ForbiddenError('this token names no holder (claims holderType, holderCode)');
    return { kind: 'holder', holder: holder.data };
  }
  return { kind: 'platform', platform: (principal.name ?? principal.sub).slice(0, 100) };
}

function dayBefore(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}
