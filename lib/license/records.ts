import { z } from 'zod';
import type { AuditEvent } from '../../contracts/audit.ts';
import { LicenseStatusSchema } from '../../contracts/codes/index.ts';
import { LicenseSchema } from '../../contracts/license.ts';

/** A version as stored: the license data of that version and its credential. */
export const StoredVersionSchema = z.object({
  license: LicenseSchema.omit({
    status: true,
    statusReason: true,
    statusChangedAt: true,
    supersededBy: true,
  }),
  credential: z.string(),
  supersededBy: z.string().optional(),
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

/** A change (变更): `next` becomes current if `from` still is and the license is valid. */
export interface AddVersionInput {
  licenseKey: string;
  from: string;
  next: StoredVersion;
  audit: AuditEvent;
}

/** A status change, only from the status the caller saw (optimistic concurrency). */
export interface ChangeStatusInput {
  licenseKey: string;
  from: string;
  to: string;
  reason: string;
  at: Date;
  audit: AuditEvent;
}
