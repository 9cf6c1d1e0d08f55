import type {
  AddVersionInput,
  ChangeStatusInput,
  CreateLicenseInput,
  CreateLicenseOutcome,
  IdempotencyRecord,
  LicenseRecord,
} from '../../lib/license/records.ts';
import type { ChangeFanout } from '../../lib/reports/records.ts';
import type { TransactItems } from '../../lib/store/transact.ts';

export type { AuditSink } from '../../lib/audit/sink.ts';

/** Where the province's own licenses are kept; each change is stored with its audit event. */
export interface LicenseRepository {
  /** Next serial for (type, issuer) in a year: `YYYY` + at least 6 digits. */
  nextSerial(typeCode: string, issuerCode: string, year: string): Promise<string>;
  /** The unexpired first answer to an Idempotency-Key, if any. */
  idempotencyRecord(issuerUscc: string, key: string): Promise<IdempotencyRecord | undefined>;
  create(input: CreateLicenseInput): Promise<CreateLicenseOutcome>;
  /** A version and the license head, read consistently. */
  get(licenseKey: string, version: string): Promise<LicenseRecord | undefined>;
  addVersion(input: AddVersionInput): Promise<void>;
  changeStatus(input: ChangeStatusInput): Promise<void>;
}

/**
 * The reports table as license changes write it (docs/protocol.md §17.5, §17.7): the fan-out of a
 * change's notices, and the check that a version answers an open report of its license and
 * department, both items of the change's own transaction.
 */
export interface ChangeNotices {
  /** The put of a change's fan-out (lib/store/report-store.ts). */
  fanoutItem(fanout: ChangeFanout): TransactItems[number];
  /** A condition that the report is open, of this license and this department. */
  openReportCheck(reportId: string, licenseKey: string, issuerUscc: string): TransactItems[number];
}
