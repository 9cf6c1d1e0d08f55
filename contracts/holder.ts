import { z } from 'zod';
import {
  checkHolderCode,
  HolderTypeCodeSchema,
  IdentifierSchema,
  LicenseStatusSchema,
} from './codes/index.ts';
import { DateSchema, TimestampSchema, text } from './common.ts';
import { PublicJwkSchema, WitnessPublicJwkSchema } from './keys.ts';
import { GatewayIdSchema, MAX_WITNESSES, WitnessPolicySchema } from './registry.ts';

/**
 * What a license holder sees (docs/protocol.md §16, 知情权): the holder's licenses and every use of
 * them, each use with its inclusion proof in the issuing province's log.
 */

/** A holder as the identity provider names them (token claims `holderType`, `holderCode`). */
export const HolderRefSchema = z
  .strictObject({ typeCode: HolderTypeCodeSchema, code: z.string().min(1).max(64) })
  .superRefine((h, ctx) => {
    const checked = checkHolderCode(h.typeCode, h.code);
    if (!checked.ok) ctx.addIssue({ code: 'custom', path: ['code'], message: checked.issue.reason });
  });
export type HolderRef = z.infer<typeof HolderRefSchema>;

/** One of the holder's licenses, as the issuing province lists it. */
export const HolderLicenseSchema = z.object({
  /** The current version's identifier. */
  identifier: IdentifierSchema,
  province: GatewayIdSchema,
  typeCode: z.string(),
  typeName: z.string(),
  number: z.string(),
  issuer: z.object({ name: z.string() }),
  holderName: z.string(),
  version: z.string(),
  status: LicenseStatusSchema,
  validFrom: DateSchema,
  validUntil: DateSchema.optional(),
});
export type HolderLicense = z.infer<typeof HolderLicenseSchema>;

export const HolderLicensesPageSchema = z.object({
  items: z.array(HolderLicenseSchema),
  /** Opaque; absent on the last page. */
  cursor: z.string().optional(),
});
export type HolderLicensesPage = z.infer<typeof HolderLicensesPageSchema>;

const b64 = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 SHA-256');

/** RFC 9162 inclusion proof of a use's event against the issuing province's latest checkpoint. */
export const UseProofSchema = z.object({
  index: z.number().int().nonnegative(),
  treeSize: z.number().int().positive(),
  leafHash: b64,
  proof: z.array(b64),
  /** The checkpoint the proof is against, with its witnesses' cosignature lines (§19.4). */
  checkpoint: z.string(),
  /** Whether that checkpoint had its witness quorum when served (§19.4); the page checks it itself. */
  witnessed: z.boolean().optional(),
});
export type UseProof = z.infer<typeof UseProofSchema>;

/** A use shown in full: where, by which platform or department, for what, and its proof. */
export const OpenUseSchema = z.object({
  time: TimestampSchema,
  /** Where the license was used: the verifying province. */
  province: GatewayIdSchema,
  /** The verifying platform or department by name; never an officer. */
  platform: z.string(),
  matterCode: z.string(),
  useCause: z.string(),
  /** The data level shared with another province; absent for a use in the issuing province. */
  dataLevel: z.number().int().min(1).max(4).optional(),
  outcome: z.enum(['success', 'refused', 'error']),
  /** The identifier the verifier presented (a version of the license). */
  identifier: IdentifierSchema,
  eventId: z.string(),
  proof: UseProofSchema.optional(),
  /** Not in the log yet: no proof until the sequencer integrates it. */
  pending: z.literal(true).optional(),
});
export type OpenUse = z.infer<typeof OpenUseSchema>;

/** A sealed use (an investigation, until the date): exactly these members. */
export const SealedUseSchema = z.strictObject({
  time: TimestampSchema,
  province: GatewayIdSchema,
  sealed: z.literal(true),
  until: DateSchema,
});
export type SealedUse = z.infer<typeof SealedUseSchema>;

export const HolderUseSchema = z.union([SealedUseSchema, OpenUseSchema]);
export type HolderUse = z.infer<typeof HolderUseSchema>;

/** One published witness key of a province that witnesses the issuing province's log. */
export const HolderWitnessKeySchema = z.object({
  province: GatewayIdSchema,
  /** The name it cosigns under, `elg/<province>/witness`. */
  name: z.string().min(1),
  jwk: WitnessPublicJwkSchema,
});
export type HolderWitnessKey = z.infer<typeof HolderWitnessKeySchema>;

/**
 * Who witnesses the issuing province's log, from the trust registry (docs/protocol.md §19.5): the
 * policy (witnesses and quorum) and every published witness key of those witnesses, earlier
 * generations included, so that the holder page checks the quorum of each proof's checkpoint.
 */
export const HolderWitnessesSchema = z.object({
  /** Absent: the registry names no witnesses for the issuing province's log. */
  policy: WitnessPolicySchema.optional(),
  keys: z.array(HolderWitnessKeySchema).max(MAX_WITNESSES * 4),
});
export type HolderWitnesses = z.infer<typeof HolderWitnessesSchema>;

/** `GET /v1/holder/uses` and the issuer's answer to `POST /v1/interop/holder-uses`. */
export const HolderUsesPageSchema = z.object({
  /** The license the uses are of, as its issuing province holds it. */
  license: HolderLicenseSchema,
  /** Newest first. */
  items: z.array(HolderUseSchema),
  /** Opaque; absent on the last page. */
  cursor: z.string().optional(),
  /** The issuing province's `audit` public key, from the trust registry: what the proofs are checked with. */
  auditKey: PublicJwkSchema,
  /**
   * The witness policy and witness keys of the issuing province's log, from the trust registry:
   * what the page checks each checkpoint's cosignatures against. Absent from a gateway that does
   * not serve them yet: the page then shows the witnesses as not checked.
   */
  witnesses: HolderWitnessesSchema.optional(),
});
export type HolderUsesPage = z.infer<typeof HolderUsesPageSchema>;

const CursorSchema = z.string().regex(/^[0-9A-Za-z_-]{1,200}$/);

/** Which uses a page asks for: of which license, in which days (CST), from where on. */
const UsesRangeShape = {
  identifier: IdentifierSchema,
  from: DateSchema.optional(),
  to: DateSchema.optional(),
  cursor: CursorSchema.optional(),
};

/** Query of `GET /v1/holder/uses` (a query string: `limit` as text). */
export const HolderUsesQuerySchema = z.strictObject({
  ...UsesRangeShape,
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type HolderUsesQuery = z.infer<typeof HolderUsesQuerySchema>;

/** `POST /v1/interop/holder-uses` (signed): the home province asks the issuer for a holder. */
export const InteropHolderUsesRequestSchema = z.strictObject({
  ...UsesRangeShape,
  holder: HolderRefSchema,
  limit: z.number().int().min(1).max(100).optional(),
});
export type InteropHolderUsesRequest = z.infer<typeof InteropHolderUsesRequestSchema>;

/** `seal` on `/v1/verify` (role investigator): the use is shown to the holder as sealed until `until`. */
export const SealSchema = z.strictObject({ until: DateSchema, basis: text(200) });
export type Seal = z.infer<typeof SealSchema>;
