import { z } from 'zod';
import type { AuditEvent } from '../../contracts/audit.ts';
import { LicenseStatusSchema } from '../../contracts/codes/index.ts';
import { LicenseSchema } from '../../contracts/license.ts';
import { ReportIdSchema } from '../../contracts/reports.ts';
import type { TransactItems } from '../store/transact.ts';

/** A version as stored: the license data of that version and its credential. */
export const StoredVersionSchema = z.object({
  license: LicenseSchema.omit({
    status: true,
    statusReason: true,
    statusChangedAt: true,
    supersededBy: true,
    reportId: true,
  }),
  credential: z.string(),
  supersededBy: z.string().optional(),
  /**
   * The error report this version corrects (docs/protocol.md §17.5). Kept beside the license data,
   * not in it: the credential signs `license`, and other provinces are shown parts of `license`.
   */
  reportId: ReportIdSchema.optional(),
});
export type StoredVersion = z.infer<typeof StoredVersionSchema>;

/** The license head: current version and live status, shared by all versions. */
export const LicenseHeadSchema = z.object({
  currentVersion: z.string(),
  currentIdentifier: z.string(),
  status: LicenseStatusSchema,
  statusReason: z.string().optional(),
  statusChangedAt: z.string().optional(),
  issuerUscc: z.string(),
  holderHash: z.string(),
});
export type LicenseHead = z.infer<typeof LicenseHeadSchema>;

/** The first answer to an Idempotency-Key, kept for its retries. */
export const IdempotencyRecordSchema = z.object({
  requestHash: z.string(),
  identifier: z.string(),
  ttl: z.number(),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecordSchema>;

/** A version and the license head, as read together. */
export interface LicenseRecord {
  version: StoredVersion;
  head: LicenseHead;
}

/** A new license: its first version, its head and the event recording it, stored together. */
export interface CreateLicenseInput {
  licenseKey: string;
  version: StoredVersion;
  head: LicenseHead;
  idempotency?: { issuerUscc: string; key: string; requestHash: string };
  audit: AuditEvent;
}

export type CreateLicenseOutcome = { kind: 'created' } | { kind: 'idempotent'; record: IdempotencyRecord };

/**
 * An item of another table written in the transaction of a license change (the change's fan-out,
 * the check that a version answers an open report: docs/protocol.md §17.5, §17.7). When its
 * condition fails, the change is not stored and the caller hears `refused()`; without it, the
 * conflict of the license change itself.
 */
export interface JoinedWrite {
  item: TransactItems[number];
  refused?: () => Error;
}

/** A change (变更): `next` becomes current if `from` still is and the license is valid. */
export interface AddVersionInput {
  licenseKey: string;
  from: string;
  next: StoredVersion;
  audit: AuditEvent;
  /** Written in the same transaction, after the license's own items and its event. */
  alsoWrite?: readonly JoinedWrite[];
}

/** A status change, only from the status the caller saw (optimistic concurrency). */
export interface ChangeStatusInput {
  licenseKey: string;
  from: string;
  to: string;
  reason: string;
  at: Date;
  audit: AuditEvent;
  /** Written in the same transaction, after the license's own items and its event. */
  alsoWrite?: readonly JoinedWrite[];
}
