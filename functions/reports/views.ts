import type { ReportView } from '../../contracts/reports.ts';
import type { Filing, IssuerReport } from '../../lib/reports/records.ts';
import { isOverdue } from '../../lib/reports/working-days.ts';

/** A report as its issuing department sees it (docs/protocol.md §17.6). */
export function issuerView(province: string, r: IssuerReport, now: Date): ReportView {
  const { holderHash: _hash, ...reporter } = r.reporter;
  return {
    reportId: r.reportId,
    // The filing id is the reporting province's; shown only when that is this province.
    ...(r.reporter.province === province ? { filingId: r.filingId } : {}),
    identifier: r.identifier,
    issuer: province,
    state: r.state,
    dueDate: r.dueDate,
    overdue: r.state === 'open' && isOverdue(r.dueDate, now),
    fields: r.fields,
    description: r.description,
    filedAt: r.receivedAt,
    reporter,
    ...resolution(r),
  };
}

/** A report as the reporting province's platforms, or the holder who filed it, see it. */
export function filingView(province: string, f: Filing, now: Date): ReportView {
  return {
    ...(f.reportId ? { reportId: f.reportId } : {}),
    filingId: f.filingId,
    identifier: f.identifier,
    issuer: f.issuer,
    state: f.state,
    ...(f.dueDate ? { dueDate: f.dueDate } : {}),
    overdue: f.state === 'open' && f.dueDate !== undefined && isOverdue(f.dueDate, now),
    fields: f.fields,
    description: f.description,
    filedAt: f.filedAt,
    reporter: {
      province,
      kind: f.filedBy.kind,
      ...(f.filedBy.kind === 'platform' ? { platform: f.filedBy.platform } : {}),
    },
    ...resolution(f),
    ...(f.refusal ? { refusal: f.refusal } : {}),
  };
}

function resolution(r: Pick<Filing, 'outcome' | 'reason' | 'newIdentifier' | 'resolvedAt'>) {
  return {
    ...(r.outcome ? { outcome: r.outcome } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.newIdentifier ? { newIdentifier: r.newIdentifier } : {}),
    ...(r.resolvedAt ? { resolvedAt: r.resolvedAt } : {}),
  };
}
