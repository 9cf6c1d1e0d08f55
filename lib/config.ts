import { z } from 'zod';
import { PublicJwkBaseSchema } from './config-jwk.ts';

/**
 * Settings of a deployed province gateway, read once from the environment at start-up. A missing
 * or malformed setting stops the function with a message naming it.
 */
export const GatewayConfigSchema = z.object({
  ELG_PROVINCE_ID: z.string().regex(/^\d{2}0000$/, 'a province-level GB/T 2260 code such as 330000'),
  ELG_PROVINCE_NAME: z.string().min(1),
  ELG_TABLE_LICENSES: z.string().min(3),
  ELG_TABLE_AUDIT: z.string().min(3),
  ELG_TABLE_NONCES: z.string().min(3),
  ELG_TABLE_AGREEMENTS: z.string().min(3),
  ELG_TABLE_LOG: z.string().min(3),
  ELG_KMS_KEY_CREDENTIAL: z.string().min(1),
  ELG_KMS_KEY_GATEWAY: z.string().min(1),
  ELG_KMS_KEY_AUDIT: z.string().min(1),
  ELG_REGISTRY_URL: z.url(),
  ELG_REGISTRY_ROOT_JWK: z.string().transform((s, ctx) => {
    try {
      return PublicJwkBaseSchema.parse(JSON.parse(s));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'a P-256 public JWK as JSON' });
      return z.NEVER;
    }
  }),
  ELG_REGISTRY_REFRESH_SECONDS: z.coerce.number().int().min(30).default(300),
  ELG_IDP_ISSUER: z.string().min(1),
  ELG_IDP_AUDIENCE: z.string().min(1),
  ELG_IDP_JWKS_URL: z.url(),
  ELG_HOLDER_HASH_KEY: z.string().regex(/^[0-9a-f]{64}$/, '32 bytes as 64 hex characters'),
  ELG_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(65_536),
  ELG_DYNAMODB_ENDPOINT: z.url().optional(),
  ELG_KMS_ENDPOINT: z.url().optional(),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`the gateway is misconfigured:\n${lines.join('\n')}`);
  }
  return result.data;
}
