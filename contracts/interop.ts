import { z } from 'zod';
import { IdentifierSchema, LicenseStatusSchema } from './codes/index.ts';
import { DateSchema, MatterCodeSchema, TraceIdSchema, text, UseCauseSchema } from './common.ts';
import { SealSchema } from './holder.ts';
import { GatewayIdSchema } from './registry.ts';

/** Headers of signed cross-province calls (docs/protocol.md §7.1, §7.4). */
export const SIGNATURE_HEADER = 'ELG-Signature';
export const RECEIPT_HEADER = 'ELG-Receipt';
export const REQUEST_JWS_TYPE = 'elg-request+jwt';
export const RECEIPT_JWS_TYPE = 'elg-receipt+jwt';
/** Allowed distance between a request's `iat` and the callee's clock. */
export const REQUEST_WINDOW_SECONDS = 300;

const b64urlSha256 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'base64url SHA-256');

export const RequestClaimsSchema = z.object({
  iss: GatewayIdSchema,
  aud: GatewayIdSchema,
  htm: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
  htu: z.string().startsWith('/').max(2048),
  bsh: b64urlSha256,
  iat: z.number().int(),
  jti: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  tid: TraceIdSchema,
});
export type RequestClaims = z.infer<typeof RequestClaimsSchema>;

export const ReceiptClaimsSchema = z.object({
  iss: GatewayIdSchema,
  aud: GatewayIdSchema,
  rjti: z.string(),
  bsh: b64urlSha256,
  sts: z.number().int().min(100).max(599),
  iat: z.number().int(),
  tid: TraceIdSchema,
});
export type ReceiptClaims = z.infer<typeof ReceiptClaimsSchema>;

/** Data levels (分类分级): 1 public, 2 internal, 3 sensitive, 4 restricted (never leaves). */
export const DataLevelSchema = z.number().int().min(1).max(4);
export type DataLevel = z.infer<typeof DataLevelSchema>;

/** `POST /v1/interop/verify` (signed). */
export const InteropVerifyRequestSchema = z.strictObject({
  identifier: IdentifierSchema,
  matterCode: MatterCodeSchema,
  useCause: UseCauseSchema,
  requester: z.strictObject({ platform: text(100), officerRef: text(100).optional() }),
  /** The data level the caller asks for; the grant's maxDataLevel when absent. */
  dataLevel: DataLevelSchema.optional(),
  /** An investigator's seal of this verification, recorded in the issuer's event too (§16). */
  seal: SealSchema.optional(),
});
export type InteropVerifyRequest = z.infer<typeof InteropVerifyRequestSchema>;

/** A license as another province may see it: fields above the granted level omitted or masked. */
export const SharedLicenseSchema = z.object({
  identifier: IdentifierSchema,
  typeCode: z.string(),
  typeName: z.string(),
  issuer: z.object({ name: z.string(), uscc: z.string() }),
  areaCode: z.string(),
  issueDate: DateSchema,
  validFrom: DateSchema,
  validUntil: DateSchema.optional(),
  version: z.string(),
  status: LicenseStatusSchema,
  number: z.string().optional(),
  holder: z
    .object({ name: z.string().optional(), typeCode: z.string(), code: z.string().optional() })
    .optional(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  dataLevel: DataLevelSchema,
});
export type SharedLicense = z.infer<typeof SharedLicenseSchema>;

export const InteropVerifyResponseSchema = z.object({
  identifier: IdentifierSchema,
  status: LicenseStatusSchema,
  /** The license's current version; a presented older version is superseded. */
  version: z.string(),
  currentIdentifier: IdentifierSchema,
  validFrom: DateSchema,
  validUntil: DateSchema.optional(),
  license: SharedLicenseSchema,
  agreementId: z.string(),
});
export type InteropVerifyResponse = z.infer<typeof InteropVerifyResponseSchema>;
