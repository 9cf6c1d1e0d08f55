import { z } from 'zod';
import {
  checkHolderCode,
  HolderTypeCodeSchema,
  IdentifierSchema,
  isProvinceCode,
  LicenseStatusSchema,
  provinceOf,
  UsccSchema,
} from './codes/index.ts';
import { DateSchema, TimestampSchema, text } from './common.ts';
import { GatewayIdSchema } from './registry.ts';
import { ReportIdSchema } from './reports.ts';

/** 证照类型代码: the defining authority's USCC + a 3-digit number. */
export const TypeCodeSchema = z
  .string()
  .regex(/^[0-9A-Z]{18}\d{3}$/, '21 characters: a USCC and a 3-digit number')
  .refine(
    (s) => UsccSchema.safeParse(s.slice(0, 18)).success,
    'the first 18 characters must be a valid USCC',
  );

export const AreaCodeSchema = z
  .string()
  .regex(/^\d{6}$/, 'a 6-digit GB/T 2260 area code')
  .refine((s) => provinceOf(s) !== undefined, 'unknown province');

export const FieldValueSchema = z.union([z.string().max(2000), z.number(), z.boolean()]);
/**
 * Names every plain object already has (`constructor`, `toString`, `hasOwnProperty`, ...). A field
 * of that name is refused, not stored: the DynamoDB marshaller tells a map from a class instance by
 * `value.constructor`, so a field `constructor` made the write fail as if the table were down, and
 * any lookup by field name would meet the inherited member instead of a missing field. (`__proto__`
 * never reaches a schema: zod drops it silently, so `parseWith` refuses it in the raw JSON.)
 */
const INHERITED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

export const FieldNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'field names: letters, digits, _')
  .refine((name) => !INHERITED_NAMES.has(name), {
    message: 'this field name is reserved: every JSON object already has a member of that name',
  });

/** The license type's own data fields (e.g. 类别): flat and bounded. */
export const LicenseFieldsSchema = z
  .record(FieldNameSchema, FieldValueSchema)
  .refine((r) => Object.keys(r).length <= 50, 'at most 50 fields');

export const AuthoritySchema = z.strictObject({ name: text(100), uscc: UsccSchema });

export const HolderSchema = z
  .strictObject({ name: text(100), typeCode: HolderTypeCodeSchema, code: z.string().min(1).max(64) })
  .superRefine((h, ctx) => {
    const checked = checkHolderCode(h.typeCode, h.code);
    if (!checked.ok) ctx.addIssue({ code: 'custom', path: ['code'], message: checked.issue.reason });
  });

const validityOrder = (
  v: { issueDate?: string; validFrom: string; validUntil?: string | null | undefined },
  ctx: z.RefinementCtx,
) => {
  if (v.validUntil && v.validUntil < v.validFrom) {
    ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'validUntil is before validFrom' });
  }
  if (v.issueDate && v.validUntil && v.validUntil < v.issueDate) {
    ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'validUntil is before issueDate' });
  }
};

/** `POST /v1/licenses` (docs/protocol.md §11.4). */
export const IssueRequestSchema = z
  .strictObject({
    typeCode: TypeCodeSchema,
    typeName: text(100),
    number: text(64),
    issuer: AuthoritySchema,
    holder: HolderSchema,
    areaCode: AreaCodeSchema,
    issueDate: DateSchema,
    validFrom: DateSchema,
    validUntil: DateSchema.optional(),
    fields: LicenseFieldsSchema.default({}),
  })
  .superRefine(validityOrder);
export type IssueRequest = z.infer<typeof IssueRequestSchema>;

/** What a new version's request says besides the change itself: why, and which report it answers. */
const NOT_A_CHANGE: ReadonlySet<string> = new Set(['reason', 'reportId']);

/** `POST /v1/licenses/{identifier}/versions`: a change (变更) makes a new version. */
export const NewVersionRequestSchema = z
  .strictObject({
    number: text(64).optional(),
    holderName: text(100).optional(),
    validFrom: DateSchema.optional(),
    validUntil: DateSchema.nullable().optional(),
    fields: LicenseFieldsSchema.optional(),
    reason: text(200),
    /**
     * The error report (docs/protocol.md §17.5) this version corrects: it must be open, on this
     * license and of this department, checked in the version's own transaction.
     */
    reportId: ReportIdSchema.optional(),
  })
  .refine(
    (r) => Object.keys(r).some((k) => !NOT_A_CHANGE.has(k)),
    'a new version must change at least one of number, holderName, validFrom, validUntil, fields',
  );
export type NewVersionRequest = z.infer<typeof NewVersionRequestSchema>;

/** `POST /v1/licenses/{identifier}/status`. */
export const StatusChangeRequestSchema = z.strictObject({
  status: LicenseStatusSchema,
  reason: text(200),
});
export type StatusChangeRequest = z.infer<typeof StatusChangeRequestSchema>;

/** A stored license version as the API returns it (holder code masked for non-issuers). */
export const LicenseSchema = z.object({
  identifier: IdentifierSchema,
  province: GatewayIdSchema,
  typeCode: TypeCodeSchema,
  typeName: z.string(),
  number: z.string(),
  issuer: z.object({ name: z.string(), uscc: z.string() }),
  holder: z.object({ name: z.string(), typeCode: z.string(), code: z.string() }),
  areaCode: z.string(),
  issueDate: DateSchema,
  validFrom: DateSchema,
  validUntil: DateSchema.optional(),
  fields: z.record(z.string(), FieldValueSchema),
  version: z.string().regex(/^\d{3}$/),
  status: LicenseStatusSchema,
  statusReason: z.string().optional(),
  statusChangedAt: TimestampSchema.optional(),
  /** Set on a version replaced by a later one: the identifier of the current version. */
  supersededBy: IdentifierSchema.optional(),
  /**
   * On a version made to correct an error report (§17.5): that report. Shown to this province's
   * own callers only; it is neither in the signed credential nor in what other provinces receive.
   */
  reportId: ReportIdSchema.optional(),
  issuedAt: TimestampSchema,
});
export type License = z.infer<typeof LicenseSchema>;

export const IssueResponseSchema = z.object({
  identifier: IdentifierSchema,
  version: z.string(),
  status: LicenseStatusSchema,
  credential: z.string(),
  license: LicenseSchema,
});
export type IssueResponse = z.infer<typeof IssueResponseSchema>;

export const LicenseResponseSchema = z.object({ license: LicenseSchema });

export { isProvinceCode };
