import { z } from 'zod';
import { IdentifierSchema, LicenseStatusSchema } from './codes/index.ts';
import { DateSchema, TimestampSchema, text } from './common.ts';
import { ErrorCodeSchema } from './errors.ts';
import { HolderRefSchema } from './holder.ts';
import { GatewayIdSchema } from './registry.ts';

/**
 * Error reports, corrections and change notices (docs/protocol.md §17, 差错发现、反馈、纠错): a
 * platform or a holder reports what is wrong in a license, the issuing department answers within
 * its deadline, the outcome goes back to the reporter, and every province that relied on the
 * license learns of each change.
 */

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The issuer's id of a report: its province and a ULID, `310000-01J…`. */
export const ReportIdSchema = z
  .string()
  .regex(/^\d{2}0000-[0-9A-HJKMNP-TV-Z]{26}$/, 'a report id: the issuing province, "-" and a ULID');
export type ReportId = z.infer<typeof ReportIdSchema>;

/** The reporting province's id of a filing (a ULID), sent with the report; the issuer keys duplicates on it. */
export const FilingIdSchema = z.string().regex(ULID, 'a filing id: a ULID');

/** The issuing province's id of a change notice: its province and a ULID. */
export const NoticeIdSchema = z
  .string()
  .regex(/^\d{2}0000-[0-9A-HJKMNP-TV-Z]{26}$/, 'a notice id: the issuing province, "-" and a ULID');

/**
 * What a field of the license is reported to get wrong: the field by its path in the license as
 * the API shows it (`holder.name`, `validUntil`, `fields.businessScope`), the problem in words,
 * and the value the reporter believes right.
 */
export const ReportFieldSchema = z.strictObject({
  path: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9_]{0,63}(\.[A-Za-z][A-Za-z0-9_]{0,63}){0,3}$/,
      'a field path such as holder.name',
    ),
  problem: text(500),
  suggested: text(500).optional(),
});
export type ReportField = z.infer<typeof ReportFieldSchema>;

/** `POST /v1/reports` (role platform or holder). */
export const FileReportRequestSchema = z.strictObject({
  identifier: IdentifierSchema,
  fields: z.array(ReportFieldSchema).min(1).max(20),
  description: text(2000),
});
export type FileReportRequest = z.infer<typeof FileReportRequestSchema>;

/** Where a report is: on its way to the issuer, open there, answered, or refused by the issuer. */
export const ReportStateSchema = z.enum(['delivering', 'open', 'resolved', 'refused']);
export type ReportState = z.infer<typeof ReportStateSchema>;

export const ReportOutcomeSchema = z.enum(['corrected', 'rejected', 'duplicate']);
export type ReportOutcome = z.infer<typeof ReportOutcomeSchema>;

/**
 * The issuer's answer to a report: 201 from `POST /v1/reports` once the issuer holds it, and from
 * `POST /v1/interop/reports` (200 when the same filing is delivered again).
 */
export const ReportFiledSchema = z.object({
  reportId: ReportIdSchema,
  /** `open` when it arrives; a filing delivered again after its resolution is answered `resolved`. */
  state: z.enum(['open', 'resolved']),
  /** The CST date by which the issuing department answers: 5 working days after arrival by default. */
  dueDate: DateSchema,
});
export type ReportFiled = z.infer<typeof ReportFiledSchema>;

/** 202 from `POST /v1/reports` when the issuing province did not answer yet: delivery is retried. */
export const ReportQueuedSchema = z.object({
  filingId: FilingIdSchema,
  state: z.literal('delivering'),
});
export type ReportQueued = z.infer<typeof ReportQueuedSchema>;

/** Who filed a report, as the issuer sees it: a platform of a province, or the license's holder. */
export const ReporterSchema = z.object({
  province: GatewayIdSchema,
  kind: z.enum(['platform', 'holder']),
  /** The platform's name, for a platform's report. */
  platform: z.string().optional(),
});
export type Reporter = z.infer<typeof ReporterSchema>;

/** `GET /v1/reports/{reportId}`: a report as its reporter or its issuing department sees it. */
export const ReportViewSchema = z.object({
  /** Absent while the report is delivering, or when the issuer refused it. */
  reportId: ReportIdSchema.optional(),
  /** The reporting province's filing id (absent at the issuer for a report filed elsewhere). */
  filingId: FilingIdSchema.optional(),
  identifier: IdentifierSchema,
  /** The issuing province. */
  issuer: GatewayIdSchema,
  state: ReportStateSchema,
  dueDate: DateSchema.optional(),
  /** Open past its due date. */
  overdue: z.boolean(),
  fields: z.array(ReportFieldSchema),
  description: z.string(),
  /** When the reporter filed it (reporting side) or it arrived (issuer). */
  filedAt: TimestampSchema,
  reporter: ReporterSchema,
  outcome: ReportOutcomeSchema.optional(),
  reason: z.string().optional(),
  /** For `corrected`: the version that carries the correction. */
  newIdentifier: IdentifierSchema.optional(),
  resolvedAt: TimestampSchema.optional(),
  /** For a refused report: what the issuer answered (the same for no license and not allowed). */
  refusal: z.object({ status: z.number().int(), code: ErrorCodeSchema, message: z.string() }).optional(),
});
export type ReportView = z.infer<typeof ReportViewSchema>;

/** Which reports the issuing department's queue lists. `open` includes overdue ones. */
export const QueueStateSchema = z.enum(['open', 'due-soon', 'overdue', 'resolved']);
export type QueueState = z.infer<typeof QueueStateSchema>;

const CursorSchema = z.string().regex(/^[0-9A-Za-z_-]{1,300}$/);

/** Query of `GET /v1/reports` (role issuer): open ones by due date, resolved ones newest first. */
export const ReportQueueQuerySchema = z.strictObject({
  state: QueueStateSchema.default('open'),
  cursor: CursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type ReportQueueQuery = z.infer<typeof ReportQueueQuerySchema>;

export const ReportQueuePageSchema = z.object({
  items: z.array(ReportViewSchema),
  /** Opaque; absent on the last page. */
  cursor: z.string().optional(),
});
export type ReportQueuePage = z.infer<typeof ReportQueuePageSchema>;

/** `POST /v1/reports/{reportId}/resolution` (role issuer, the license's own department). */
export const ResolutionRequestSchema = z
  .strictObject({
    outcome: ReportOutcomeSchema,
    reason: text(1000),
    newIdentifier: IdentifierSchema.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.outcome === 'corrected' && r.newIdentifier === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['newIdentifier'],
        message: 'a corrected report names the new version that carries the correction',
      });
    }
    if (r.outcome !== 'corrected' && r.newIdentifier !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['newIdentifier'],
        message: `only a corrected report names a new version, not a ${r.outcome} one`,
      });
    }
  });
export type ResolutionRequest = z.infer<typeof ResolutionRequestSchema>;

/**
 * `POST /v1/interop/reports` (signed): the reporting province delivers a report to the issuer. A
 * platform's report is taken from a province that may `verify` that license type under an active
 * agreement; a holder's from any province, when the holder is the license's (the raw holder code
 * only inside this signed body, as for holder uses).
 */
export const InteropReportRequestSchema = z.strictObject({
  filingId: FilingIdSchema,
  identifier: IdentifierSchema,
  fields: z.array(ReportFieldSchema).min(1).max(20),
  description: text(2000),
  reporter: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('platform'), platform: text(100) }),
    z.strictObject({ kind: z.literal('holder'), holder: HolderRefSchema }),
  ]),
  filedAt: TimestampSchema,
});
export type InteropReportRequest = z.infer<typeof InteropReportRequestSchema>;

/** `POST /v1/interop/report-outcomes` (signed): the issuer tells the reporting province the outcome. */
export const InteropReportOutcomeSchema = z
  .strictObject({
    reportId: ReportIdSchema,
    filingId: FilingIdSchema,
    identifier: IdentifierSchema,
    outcome: ReportOutcomeSchema,
    reason: text(1000),
    newIdentifier: IdentifierSchema.optional(),
    resolvedAt: TimestampSchema,
  })
  .refine((o) => (o.outcome === 'corrected') === (o.newIdentifier !== undefined), {
    path: ['newIdentifier'],
    message: 'exactly a corrected outcome names the new version',
  });
export type InteropReportOutcome = z.infer<typeof InteropReportOutcomeSchema>;

/** The reporting province's answer to an outcome (again 200 when the same outcome comes twice). */
export const ReportOutcomeReceiptSchema = z.object({
  reportId: ReportIdSchema,
  state: z.literal('resolved'),
});

/**
 * `POST /v1/interop/notices` (signed): the issuer tells a province that verified a license in the
 * last 90 days that it changed: a new version (`newIdentifier`), or a new status.
 */
export const InteropNoticeSchema = z
  .strictObject({
    noticeId: NoticeIdSchema,
    /** The version the change is to: the one superseded, or the current one for a status change. */
    identifier: IdentifierSchema,
    change: z.enum(['version', 'status']),
    newIdentifier: IdentifierSchema.optional(),
    /** The license's status after the change. */
    status: LicenseStatusSchema,
    time: TimestampSchema,
  })
  .refine((n) => (n.change === 'version') === (n.newIdentifier !== undefined), {
    path: ['newIdentifier'],
    message: 'exactly a version change names the new identifier',
  });
export type InteropNotice = z.infer<typeof InteropNoticeSchema>;

/** The receiving province's answer to a notice (again 200 when the same notice comes twice). */
export const NoticeReceiptSchema = z.object({ noticeId: NoticeIdSchema });

/** A change notice as platforms read it (`GET /v1/notices`). */
export const NoticeSchema = z.object({
  noticeId: NoticeIdSchema,
  /** The issuing province that sent it. */
  from: GatewayIdSchema,
  identifier: IdentifierSchema,
  change: z.enum(['version', 'status']),
  newIdentifier: IdentifierSchema.optional(),
  status: LicenseStatusSchema,
  time: TimestampSchema,
  receivedAt: TimestampSchema,
});
export type Notice = z.infer<typeof NoticeSchema>;

/** Query of `GET /v1/notices` (role platform): newest first. */
export const NoticesQuerySchema = z.strictObject({
  cursor: CursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type NoticesQuery = z.infer<typeof NoticesQuerySchema>;

export const NoticesPageSchema = z.object({
  items: z.array(NoticeSchema),
  /** Opaque; absent on the last page. */
  cursor: z.string().optional(),
});
export type NoticesPage = z.infer<typeof NoticesPageSchema>;

/** How far back a change notice reaches: provinces that verified the license in this many days. */
export const NOTICE_LOOKBACK_DAYS = 90;
