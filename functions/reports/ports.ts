import type { AuditEvent } from '../../contracts/audit.ts';
import type { InteropReportOutcome } from '../../contracts/reports.ts';
import type { LicenseRecord } from '../../lib/license/records.ts';
import type {
  ChangeFanout,
  Filing,
  IssuerReport,
  ReportDelivery,
  StoredNotice,
} from '../../lib/reports/records.ts';
import type { TransactItems } from '../../lib/store/transact.ts';

/** The province's own licenses as reports read them: the one named, with its head. */
export interface LicenseLookup {
  get(licenseKey: string, version: string): Promise<LicenseRecord | undefined>;
}

/** A page of a listing: `next` is where the following page starts (absent on the last page). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** What settles a report delivery at the reporting side, with the issuer's receipt. */
export type FilingAnswer =
  | { state: 'open'; reportId: string; dueDate: string; receipt: string }
  | {
      state: 'refused';
      refusal: NonNullable<Filing['refusal']>;
      receipt: string;
    };

/** The outcome of storing an outcome the issuer delivered. */
export type OutcomeRecorded =
  /** Stored now. */
  | 'recorded'
  /** The same outcome was already stored (a repeated delivery). */
  | 'held'
  /** No filing with that id went to that province (or it names another report). */
  | 'unknown'
  /** The filing already holds a different outcome. */
  | 'conflict';

/**
 * The reports table (lib/store/report-store.ts): reports at their issuer, filings at their
 * reporter, change fan-outs and notices, and the outbox of their signed deliveries. Every change
 * is one transaction with its audit event (when it has one here) and the deliveries it causes.
 */
export interface ReportRepository {
  // The issuing side.

  /**
   * A report arrives (by signed call, or filed in this very province, then with its filing and
   * its `report.file` event in the same transaction). Keyed on (reporter province, filing id):
   * a second arrival of the same filing stores nothing and gives back the report held.
   */
  receive(input: {
    report: IssuerReport;
    filing?: Filing;
    audit?: AuditEvent;
  }): Promise<{ created: true; report: IssuerReport } | { created: false; report: IssuerReport }>;
  report(reportId: string): Promise<IssuerReport | undefined>;
  /** A department's open reports by due date (then id), `dueFrom`/`dueTo` inclusive CST dates. */
  openQueue(
    uscc: string,
    range: { dueFrom?: string; dueTo?: string },
    page: { limit: number; after?: string },
  ): Promise<Page<IssuerReport>>;
  /** A department's resolved reports, most recently resolved first. */
  resolvedQueue(uscc: string, page: { limit: number; after?: string }): Promise<Page<IssuerReport>>;
  /**
   * Resolves an open report: `to` is the report as resolved. With the outcome's delivery to the
   * reporting province, or (a report filed here) the filing updated in the same transaction, and
   * the `report.resolve` event. `already` when the report is no longer open.
   */
  resolve(input: {
    from: IssuerReport;
    to: IssuerReport;
    delivery?: ReportDelivery;
    filing?: Filing;
    audit: AuditEvent;
  }): Promise<'resolved' | 'already'>;
  /** Open reports of every department whose due date is before `today` (CST), counted. */
  countOverdue(today: string): Promise<number>;
  /**
   * A condition for the transaction of a new version that answers a report: the report is open,
   * of this license and this department (the versions route, docs/protocol.md §17).
   */
  openReportCheck(reportId: string, licenseKey: string, issuerUscc: string): TransactItems[number];

  // The reporting side.

  /** A new filing, its delivery to the issuer and its `report.file` event, in one transaction. */
  file(input: { filing: Filing; delivery: ReportDelivery; audit: AuditEvent }): Promise<void>;
  filing(filingId: string): Promise<Filing | undefined>;
  /** The filing the issuer's report id names, once the issuer's answer was stored. */
  filingByReport(reportId: string): Promise<Filing | undefined>;
  /**
   * The issuer's answer to a filing's delivery: the filing becomes open (with the issuer's report
   * id, due date and receipt) or refused, and the leased delivery leaves the outbox, together.
   * A filing no longer delivering (answered meanwhile) is left as it is; the delivery still goes.
   */
  settleFiling(leased: ReportDelivery, filingId: string, answer: FilingAnswer): Promise<void>;
  /**
   * The issuer's outcome of a filing of this province, from province `from` (the issuer the
   * filing went to). The report id must be the filing's, when the filing already holds one.
   */
  recordOutcome(outcome: InteropReportOutcome, from: string): Promise<OutcomeRecorded>;

  // Change notices.

  /** The put of a change's fan-out, for the transaction of the license change itself. */
  fanoutItem(fanout: ChangeFanout): TransactItems[number];
  /** Fan-outs waiting to be expanded, oldest first. */
  pendingFanouts(limit: number): Promise<ChangeFanout[]>;
  /**
   * Expands a fan-out: its notice deliveries, the notice for this province's own platforms (when
   * they verified the license), and one `notice.send` event per province, in one transaction
   * that also removes the fan-out. False when another round expanded it first.
   */
  expandFanout(input: {
    fanout: ChangeFanout;
    deliveries: ReportDelivery[];
    local?: StoredNotice;
    audits: AuditEvent[];
  }): Promise<boolean>;
  /** A notice another province delivered; `held` when that notice id is already stored. */
  receiveNotice(notice: StoredNotice): Promise<'stored' | 'held'>;
  /** The notices received, newest first. */
  notices(page: { limit: number; after?: string }): Promise<Page<StoredNotice>>;
}
