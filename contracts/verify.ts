import { z } from 'zod';
import { selfNamed, type ValueOf } from './code-list.ts';
import { IdentifierSchema, LicenseStatusSchema } from './codes/index.ts';
import { MatterCodeSchema, TraceIdSchema, UseCauseSchema } from './common.ts';
import { SealSchema } from './holder.ts';
import { DataLevelSchema, SharedLicenseSchema } from './interop.ts';
import { LicenseSchema } from './license.ts';

/** `POST /v1/verify`: exactly one of a credential or an identifier, and why it is used. */
export const VerifyRequestSchema = z
  .strictObject({
    credential: z.string().min(1).max(16_384).optional(),
    identifier: z.string().min(1).max(128).optional(),
    matterCode: MatterCodeSchema,
    useCause: UseCauseSchema,
    /** Role investigator only: the holder sees this use as sealed until the date (docs/protocol.md §16). */
    seal: SealSchema.optional(),
    /**
     * The data level needed of another province's license (§8.6); the grant's `maxDataLevel`
     * when absent. A level the issuer reviews by hand waits for a person there (§18).
     */
    dataLevel: DataLevelSchema.optional(),
  })
  .refine((r) => (r.credential === undefined) !== (r.identifier === undefined), {
    message: 'give exactly one of credential or identifier',
    path: ['credential'],
  });
export type VerifyRequest = z.infer<typeof VerifyRequestSchema>;

export const CheckResultSchema = z.enum(['pass', 'fail', 'skipped', 'unavailable']);
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const Verdict = { valid: 'valid', invalid: 'invalid', unverified: 'unverified' } as const;
export const VerdictSchema = z.enum(Verdict);
export type Verdict = z.infer<typeof VerdictSchema>;

/**
 * Reason codes of a verification answer. Stable: platforms show them to officers and branch on
 * them.
 */
export const ReasonCode = selfNamed(
  'IDENTIFIER_INVALID',
  'CREDENTIAL_MALFORMED',
  'ALGORITHM_NOT_ALLOWED',
  'UNKNOWN_ISSUER',
  'UNKNOWN_KEY',
  'WRONG_KEY_PURPOSE',
  'SIGNATURE_INVALID',
  'ISSUER_MISMATCH',
  'NOT_YET_VALID',
  'EXPIRED',
  'NOT_FOUND',
  'STATUS_NOT_VALID',
  'SUPERSEDED',
  'CREDENTIAL_MISMATCH',
  /** No longer emitted: foreign licenses are now confirmed by the signed cross-province call. */
  'CROSS_PROVINCE_PENDING',
  'PEER_UNAVAILABLE',
  'RECEIPT_INVALID',
  'AGREEMENT_REQUIRED',
  'SCOPE_DENIED',
  /** The issuing province holds the request for a person to decide (§18): see `reviewId`. */
  'REVIEW_PENDING',
  'REVIEW_REJECTED',
  'REVIEW_EXPIRED',
  /** The issuing province's breaker for this province is open (§18.4). */
  'CIRCUIT_OPEN',
);
export type ReasonCode = ValueOf<typeof ReasonCode>;
export const ReasonCodeSchema = z.enum(ReasonCode);

export const ReasonSchema = z.object({ code: ReasonCodeSchema, message: z.string() });
export type Reason = z.infer<typeof ReasonSchema>;

export const ChecksSchema = z.object({
  format: CheckResultSchema,
  issuer: CheckResultSchema,
  signature: CheckResultSchema,
  validity: CheckResultSchema,
  status: CheckResultSchema,
});
export type Checks = z.infer<typeof ChecksSchema>;

export const VerifyResponseSchema = z.object({
  verdict: VerdictSchema,
  identifier: IdentifierSchema.optional(),
  issuerProvince: z.string().optional(),
  status: LicenseStatusSchema.optional(),
  checks: ChecksSchema,
  reasons: z.array(ReasonSchema),
  /** Own licenses in full (masked by role); another province's as it shared them. */
  license: z.union([LicenseSchema, SharedLicenseSchema]).optional(),
  /** The issuing province's ELG-Receipt for its answer. */
  receipt: z.string().optional(),
  /** The issuing province's review of this request, while or after a person decides it (§18). */
  reviewId: z.string().optional(),
  traceId: TraceIdSchema,
});
export type VerifyResponse = z.infer<typeof VerifyResponseSchema>;
