import { z } from 'zod';
import { IdentifierSchema } from '../../contracts/codes/index.ts';
import { DateSchema, TimestampSchema } from '../../contracts/common.ts';
import { ErrorCodeSchema } from '../../contracts/errors.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import {
  FilingIdSchema,
  InteropNoticeSchema,
  NoticeIdSchema,
  ReporterSchema,
  ReportFieldSchema,
  ReportIdSchema,
  ReportOutcomeSchema,
  ReportStateSchema,
} from '../../contracts/reports.ts';
import { OutboxEntryShape } from '../delivery/deliver.ts';

/**
 * What the reports table keeps (docs/protocol.md §17): at the issuer, the reports on its licenses
 * and the change fan-outs waiting to be expanded; at the reporter, its filings; at every province,
 * the change notices it received; and the outbox of signed deliveries (reports, outcomes,
 * notices). Every record is parsed with these schemas when read back.
 */

/** A report as the issuing province holds it. */
export const IssuerReportSchema = z.object({
  reportId: ReportIdSchema,
  /** The reporting province's filing id: with the reporter's province, what duplicates are keyed on. */
  filingId: FilingIdSchema,
  identifier: IdentifierSchema,
  /** The license (type, issuer, serial) the identifier is a version of. */
  licenseKey: z.string(),
  /** The issuing department: only its issuers see and resolve the report. */
  issuerUscc: z.string(),
  fields: z.array(ReportFieldSchema),
  description: z.string(),
  /** For a holder's report, also the holder's keyed hash (never the code). */
  reporter: ReporterSchema.extend({ holderHash: z.string().optional() }),
  receivedAt: TimestampSchema,
  dueDate: DateSchema,
  state: z.enum(['open', 'resolved']),
  outcome: ReportOutcomeSchema.optional(),
  reason: z.string().optional(),
  newIdentifier: IdentifierSchema.optional(),
  resolvedAt: TimestampSchema.optional(),
  /** The issuer (token subject) who resolved it. */
  resolvedBy: z.string().optional(),
});
export type IssuerReport = z.infer<typeof IssuerReportSchema>;

/** Who filed a report at the reporting province. */
export const FiledBySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('platform'), platform: z.string(), sub: z.string() }),
  z.object({ kind: z.literal('holder'), holderHash: z.string(), sub: z.string() }),
]);
export type FiledBy = z.infer<typeof FiledBySchema>;

/** A report as the reporting province keeps it: its filing, then what the issuer answered. */
export const FilingSchema = z.object({
  filingId: FilingIdSchema,
  identifier: IdentifierSchema,
  /** The issuing province the report went to. */
  issuer: GatewayIdSchema,
  fields: z.array(ReportFieldSchema),
  description: z.string(),
  filedAt: TimestampSchema,
  filedBy: FiledBySchema,
  state: ReportStateSchema,
  reportId: ReportIdSchema.optional(),
  dueDate: DateSchema.optional(),
  /** The issuer's `ELG-Receipt` of the answer that accepted or refused the report. */
  receipt: z.string().optional(),
  outcome: ReportOutcomeSchema.optional(),
  reason: z.string().optional(),
  newIdentifier: IdentifierSchema.optional(),
  resolvedAt: TimestampSchema.optional(),
  refusal: z.object({ status: z.number().int(), code: ErrorCodeSchema, message: z.string() }).optional(),
});
export type Filing = z.infer<typeof FilingSchema>;

/** A signed call in the reports outbox: a report to its issuer, an outcome to its reporter, a notice. */
export const ReportDeliverySchema = z.object({
  ...OutboxEntryShape,
  kind: z.enum(['report', 'outcome', 'notice']),
  /** For `report`: the filing it delivers. */
  filingId: FilingIdSchema.optional(),
  /** For `outcome`: the report resolved. */
  reportId: ReportIdSchema.optional(),
  /** For `notice`. */
  noticeId: NoticeIdSchema.optional(),
});
export type ReportDelivery = z.infer<typeof ReportDeliverySchema>;

/**
 * A change of one of this province's licenses, stored with the change itself (one transaction)
 * and expanded later into one notice per province that verified the license in the last 90 days.
 */
export const ChangeFanoutSchema = z.object({
  fanoutId: z.string(),
  /** Every version's identifier up to the change: uses are recorded per version. */
  identifiers: z.array(IdentifierSchema).min(1),
  notice: InteropNoticeSchema,
  traceId: z.string(),
  createdAt: TimestampSchema,
});
export type ChangeFanout = z.infer<typeof ChangeFanoutSchema>;

/** A change notice this province received (or made for its own platforms). */
export const StoredNoticeSchema = z.object({
  noticeId: NoticeIdSchema,
  from: GatewayIdSchema,
  identifier: IdentifierSchema,
  change: z.enum(['version', 'status']),
  newIdentifier: IdentifierSchema.optional(),
  status: z.string(),
  time: TimestampSchema,
  receivedAt: TimestampSchema,
});
export type StoredNotice = z.infer<typeof StoredNoticeSchema>;
