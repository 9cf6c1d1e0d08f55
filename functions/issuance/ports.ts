import type {
  AddVersionInput,
  ChangeStatusInput,
  CreateLicenseInput,
  CreateLicenseOutcome,
  IdempotencyRecord,
  LicenseRecord,
} from '../../lib/license/records.ts';

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
