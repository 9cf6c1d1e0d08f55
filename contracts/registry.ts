import { z } from 'zod';
import { EcPublicJwkSchema, JwksSchema } from './keys.ts';

/** Gateway id: the province's 6-digit GB/T 2260 code, e.g. `310000`. */
export const GatewayIdSchema = z
  .string()
  .regex(/^\d{2}0000$/, 'a province-level GB/T 2260 code such as 310000');

/** The name a province cosigns other provinces' checkpoints under (C2SP signed-note key name). */
export function witnessName(gatewayId: string): string {
  return `elg/${gatewayId}/witness`;
}

/** Most witnesses a log may name: each costs the sequencer one call per checkpoint. */
export const MAX_WITNESSES = 16;

/**
 * Who witnesses a province's log (docs/protocol.md §19): other provinces of the registry, each
 * once, and how many of their cosignatures make a checkpoint witnessed (the quorum).
 */
export const WitnessPolicySchema = z
  .object({
    witnesses: z.array(GatewayIdSchema).min(1).max(MAX_WITNESSES),
    quorum: z.number().int().min(1),
  })
  .refine((p) => new Set(p.witnesses).size === p.witnesses.length, 'a witness is listed twice')
  .refine((p) => p.quorum <= p.witnesses.length, 'the quorum is larger than the number of witnesses');
export type WitnessPolicy = z.infer<typeof WitnessPolicySchema>;

export const RegistryProvinceSchema = z
  .object({
    id: GatewayIdSchema,
    name: z.string().min(1),
    baseUrl: z.url(),
    jwks: JwksSchema,
    status: z.enum(['active', 'suspended']),
    /**
     * The name this province cosigns under, `elg/<id>/witness`, published with its `witness` key
     * (the jwks key of that purpose). Absent: the province witnesses no log.
     */
    witnessName: z.string().optional(),
    /** Who witnesses this province's log, and the quorum. Absent: its log is not witnessed. */
    witnessPolicy: WitnessPolicySchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.witnessName !== undefined && p.witnessName !== witnessName(p.id)) {
      ctx.addIssue({ code: 'custom', path: ['witnessName'], message: `must be ${witnessName(p.id)}` });
    }
    if (p.witnessName !== undefined && !p.jwks.keys.some((k) => k.purpose === 'witness')) {
      ctx.addIssue({
        code: 'custom',
        path: ['witnessName'],
        message: 'no key of purpose witness is published',
      });
    }
    if (p.witnessPolicy?.witnesses.includes(p.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['witnessPolicy'],
        message: 'a province does not witness its own log',
      });
    }
  });
export type RegistryProvince = z.infer<typeof RegistryProvinceSchema>;

/** Claims of the national trust registry, a compact JWS (`typ: elg-registry+jwt`) by the root key. */
export const RegistryClaimsSchema = z
  .object({
    iss: z.string().min(1),
    iat: z.number().int(),
    /** Monotonic serial: a gateway never replaces its copy with an older one. */
    seq: z.number().int().nonnegative(),
    provinces: z.array(RegistryProvinceSchema),
  })
  .superRefine((claims, ctx) => {
    // A log's witnesses are provinces of this registry that publish a witness name and key.
    const witnesses = new Set(claims.provinces.filter((p) => p.witnessName !== undefined).map((p) => p.id));
    claims.provinces.forEach((p, i) => {
      for (const w of p.witnessPolicy?.witnesses ?? []) {
        if (!witnesses.has(w)) {
          ctx.addIssue({
            code: 'custom',
            path: ['provinces', i, 'witnessPolicy'],
            message: `${w} is not a province of the registry with a witness name and key`,
          });
        }
      }
    });
  });
export type RegistryClaims = z.infer<typeof RegistryClaimsSchema>;

export const REGISTRY_JWS_TYPE = 'elg-registry+jwt';

/**
 * The national root public key that signs the registry, as a gateway is configured with it: a
 * bare P-256 JWK; `kid`, `alg` and `use` may accompany it. It has no purpose: it signs only the registry.
 */
export const RootPublicJwkSchema = EcPublicJwkSchema.pick({ kty: true, crv: true, x: true, y: true }).extend({
  kid: z.string().min(1).optional(),
  alg: z.literal('ES256').optional(),
  use: z.literal('sig').optional(),
});
export type RootPublicJwk = z.infer<typeof RootPublicJwkSchema>;
