import { z } from 'zod';
import { JwksSchema, PublicJwkSchema } from './keys.ts';

/** Gateway id: the province's 6-digit GB/T 2260 code, e.g. `310000`. */
export const GatewayIdSchema = z
  .string()
  .regex(/^\d{2}0000$/, 'a province-level GB/T 2260 code such as 310000');

export const RegistryProvinceSchema = z.object({
  id: GatewayIdSchema,
  name: z.string().min(1),
  baseUrl: z.url(),
  jwks: JwksSchema,
  status: z.enum(['active', 'suspended']),
});
export type RegistryProvince = z.infer<typeof RegistryProvinceSchema>;

/** Claims of the national trust registry, a compact JWS (`typ: elg-registry+jwt`) by the root key. */
export const RegistryClaimsSchema = z.object({
  iss: z.string().min(1),
  iat: z.number().int(),
  /** Monotonic serial: a gateway never replaces its copy with an older one. */
  seq: z.number().int().nonnegative(),
  provinces: z.array(RegistryProvinceSchema),
});
export type RegistryClaims = z.infer<typeof RegistryClaimsSchema>;

export const REGISTRY_JWS_TYPE = 'elg-registry+jwt';

/**
 * The national root public key that signs the registry, as a gateway is configured with it: a
 * bare P-256 JWK; `kid`, `alg` and `use` may accompany it. It has no purpose: it signs only the registry.
 */
export const RootPublicJwkSchema = PublicJwkSchema.pick({ kty: true, crv: true, x: true, y: true }).extend({
  kid: z.string().min(1).optional(),
  alg: z.literal('ES256').optional(),
  use: z.literal('sig').optional(),
});
export type RootPublicJwk = z.infer<typeof RootPublicJwkSchema>;
