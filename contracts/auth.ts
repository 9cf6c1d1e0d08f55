import { z } from 'zod';

/** Roles a province's identity provider grants in the bearer token's `roles` claim (docs/protocol.md §12). */
export const Role = {
  issuer: 'issuer',
  platform: 'platform',
  operator: 'operator',
  auditor: 'auditor',
  /** A license holder (citizen or company) at their home province: claims `holderType`, `holderCode`. */
  holder: 'holder',
  /** A platform of an investigating authority: may seal the verifications it makes (§16). */
  investigator: 'investigator',
  /** A person at the granting province who decides held requests (docs/protocol.md §18.3). */
  reviewer: 'reviewer',
} as const;
export const RoleSchema = z.enum(Role);
export type Role = z.infer<typeof RoleSchema>;

/**
 * The shape of a USCC (统一社会信用代码) as a bearer token carries it: 18 digits or capital
 * letters. The check digit is verified where a license names its authority, not here.
 */
export const TokenUsccSchema = z.string().regex(/^[0-9A-Z]{18}$/, '18 digits or capital letters');

/** The authenticated caller inside a province. An `issuer` always carries its department's USCC. */
export const PrincipalSchema = z.object({
  sub: z.string().min(1),
  roles: z.array(RoleSchema).min(1),
  uscc: TokenUsccSchema.optional(),
  name: z.string().min(1).optional(),
  /** For a token with the role `holder`: who the holder is (claims `holderType`, `holderCode`). */
  holder: z.object({ typeCode: z.string(), code: z.string() }).optional(),
});
export type Principal = z.infer<typeof PrincipalSchema>;
