import { KMSClient } from '@aws-sdk/client-kms';
import { createBearerVerifier } from '../lib/auth/bearer.ts';
import { systemClock } from '../lib/clock.ts';
import { readConfig } from '../lib/config.ts';
import { TrustRegistry } from '../lib/registry/trust-registry.ts';
import { createKmsKeyRing } from '../lib/signing/kms-signer.ts';
import { createDocumentClient } from '../lib/store/dynamo.ts';
import { createGateway, type Gateway } from './gateway.ts';

let cached: Promise<Gateway> | undefined;

/**
 * The gateway of a deployed province, built once per Lambda execution environment from its
 * environment: KMS keys, DynamoDB tables, the trust registry and the identity provider.
 */
export function gatewayFromEnv(env: Record<string, string | undefined> = process.env): Promise<Gateway> {
  cached ??= build(env).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function build(env: Record<string, string | undefined>): Promise<Gateway> {
  const config = readConfig(env);
  const doc = createDocumentClient(
    config.ELG_DYNAMODB_ENDPOINT ? { endpoint: config.ELG_DYNAMODB_ENDPOINT } : {},
  );
  const kms = new KMSClient(config.ELG_KMS_ENDPOINT ? { endpoint: config.ELG_KMS_ENDPOINT } : {});
  const [keys, registry] = await Promise.all([
    createKmsKeyRing(kms, {
      credential: config.ELG_KMS_KEY_CREDENTIAL,
      gateway: config.ELG_KMS_KEY_GATEWAY,
      audit: config.ELG_KMS_KEY_AUDIT,
    }),
    TrustRegistry.load({
      source: config.ELG_REGISTRY_URL,
      rootPublicJwk: config.ELG_REGISTRY_ROOT_JWK,
      refreshIntervalMs: config.ELG_REGISTRY_REFRESH_SECONDS * 1000,
    }),
  ]);
  registry.start();
  return createGateway({
    province: config.ELG_PROVINCE_ID,
    provinceName: config.ELG_PROVINCE_NAME,
    maxBodyBytes: config.ELG_MAX_BODY_BYTES,
    doc,
    tables: {
      licenses: config.ELG_TABLE_LICENSES,
      audit: config.ELG_TABLE_AUDIT,
      nonces: config.ELG_TABLE_NONCES,
      agreements: config.ELG_TABLE_AGREEMENTS,
      log: config.ELG_TABLE_LOG,
    },
    keys,
    registry,
    auth: createBearerVerifier({
      issuer: config.ELG_IDP_ISSUER,
      audience: config.ELG_IDP_AUDIENCE,
      jwks: new URL(config.ELG_IDP_JWKS_URL),
    }),
    holderHashKey: Buffer.from(config.ELG_HOLDER_HASH_KEY, 'hex'),
    clock: systemClock,
  });
}
