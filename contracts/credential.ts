import { z } from 'zod';
import { IdentifierSchema } from './codes/index.ts';
import { DateSchema } from './common.ts';
import { FieldValueSchema } from './license.ts';
import { GatewayIdSchema } from './registry.ts';

export const CREDENTIAL_JWS_TYPE = 'elicense+jwt';

/** The `lic` claim: what the credential says about the license (docs/protocol.md §5.1). */
export const LicenseClaimSchema = z.object({
  typeCode: z.string(),
  typeName: z.string(),
  number: z.string(),
  issuer: z.object({ name: z.string(), uscc: z.string() }),
  holder: z.object({ name: z.string(), typeCode: z.string(), code: z.string() }),
  areaCode: z.string(),
  issueDate: DateSchema,
  version: z.string().regex(/^\d{3}$/),
  fields: z.record(z.string(), FieldValueSchema),
});

export const CredentialClaimsSchema = z.object({
  iss: GatewayIdSchema,
  jti: IdentifierSchema,
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int().optional(),
  lic: LicenseClaimSchema,
});
export type CredentialClaims = z.infer<typeof CredentialClaimsSchema>;
