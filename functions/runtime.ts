import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PublicJwk } from '../contracts/keys.ts';
import { createBearerVerifier } from '../lib/auth/bearer.ts';
import { systemClock } from '../lib/clock.ts';
import { ConfigError, type GatewayConfig, holderHashKeyOf, readConfig } from '../lib/config.ts';
import { readHolderHashSecret } from '../lib/holder-hash-secret.ts';
import { TrustRegistry } from '../lib/registry/trust-registry.ts';
import { createKmsKeyRing, readKmsPublicKey } from '../lib/signing/kms-signer.ts';
import { createDocumentClient } from '../lib/store/dynamo.ts';
import { DynamoRegistryStore } from '../lib/store/registry-store.ts';
import { TableKind, type TableNames, tableEnvName } from '../lib/store/tables.ts';
import { createGateway, type Gateway } from './gateway.ts';

type Env = Record<string, string | undefined>;

let cachedGateway: Promise<Gateway> | undefined;
let cachedPreviousKeys: Promise<PublicJwk[]> | undefined;

/**
 * The gateway of a deployed province, built once per Lambda execution environment from its
 * environment: KMS keys, DynamoDB tables, the trust registry, the identity provider and the
 * holder-hash key. A failed build is not cached: the next invocation tries again.
 */
export function gatewayFromEnv(env: Env = process.env): Promise<Gateway> {
  cachedGateway ??= build(env).catch((err: unknown) => {
    cachedGateway = undefined;
    throw err;
  });
  return cachedGateway;
}

/**
 * Public keys of the KMS keys published but not signing (`ELG_KMS_KEYS_PREVIOUS`): earlier
 * generations and a staged next one. They are checked like the current ones and published in the
 * JWKS after them; a listed key that is one of the current keys is refused. Only the discovery
 * function asks: it alone may read them.
 */
export function previousKeysFromEnv(env: Env = process.env): Promise<PublicJwk[]> {
  cachedPreviousKeys ??= loadPreviousKeys(env).catch((err: unknown) => {
    cachedPreviousKeys = undefined;
    throw err;
  });
  return cachedPreviousKeys;
}

function kmsClient(config: GatewayConfig): KMSClient {
  return new KMSClient(config.ELG_KMS_ENDPOINT ? { endpoint: config.ELG_KMS_ENDPOINT } : {});
}

async function build(env: Env): Promise<Gateway> {
  const config = readConfig(env);
  const doc = createDocumentClient(
    config.ELG_DYNAMODB_ENDPOINT ? { endpoint: config.ELG_DYNAMODB_ENDPOINT } : {},
  );
  const tables = Object.fromEntries(
    Object.values(TableKind).map((kind) => [kind, config[tableEnvName(kind)]]),
  ) as TableNames;
  const [keys, registry, holderHashKey] = await Promise.all([
    createKmsKeyRing(kmsClient(config), {
      credential: config.ELG_KMS_KEY_CREDENTIAL,
      gateway: config.ELG_KMS_KEY_GATEWAY,
      audit: config.ELG_KMS_KEY_AUDIT,
    }),
    TrustRegistry.load({
      source: config.ELG_REGISTRY_URL,
      rootPublicJwk: config.ELG_REGISTRY_ROOT_JWK,
      refreshIntervalMs: config.ELG_REGISTRY_REFRESH_SECONDS * 1000,
      store: new DynamoRegistryStore(doc, tables.registry),
      maxStoredAgeMs: config.ELG_REGISTRY_MAX_STORED_AGE_HOURS * 3600_000,
    }),
    holderHashKeyFrom(config),
  ]);
  registry.start();
  return createGateway({
    province: config.ELG_PROVINCE_ID,
    provinceName: config.ELG_PROVINCE_NAME,
    maxBodyBytes: config.ELG_MAX_BODY_BYTES,
    doc,
    tables,
    keys,
    registry,
    auth: createBearerVerifier({
      issuer: config.ELG_IDP_ISSUER,
      audience: config.ELG_IDP_AUDIENCE,
      jwks: new URL(config.ELG_IDP_JWKS_URL),
    }),
    holderHashKey,
    clock: systemClock,
  });
}

/** readConfig has made sure exactly one of the two is set. */
function holderHashKeyFrom(config: GatewayConfig): Promise<Uint8Array> {
  if (config.ELG_HOLDER_HASH_SECRET_ARN) {
    const client = new SecretsManagerClient(
      config.ELG_SECRETS_ENDPOINT ? { endpoint: config.ELG_SECRETS_ENDPOINT } : {},
    );
    return readHolderHashSecret(client, config.ELG_HOLDER_HASH_SECRET_ARN);
  }
  return Promise.resolve(holderHashKeyOf(config.ELG_HOLDER_HASH_KEY ?? '', 'ELG_HOLDER_HASH_KEY'));
}

async function loadPreviousKeys(env: Env): Promise<PublicJwk[]> {
  const config = readConfig(env);
  if (config.ELG_KMS_KEYS_PREVIOUS.length === 0) return [];
  const client = kmsClient(config);
  const [g, previous] = await Promise.all([
    gatewayFromEnv(env),
    Promise.all(
      config.ELG_KMS_KEYS_PREVIOUS.map(({ keyId, purpose }) => readKmsPublicKey(client, keyId, purpose)),
    ),
  ]);
  const current = new Map(Object.values(g.keys).map((s) => [s.kid, s.purpose]));
  const seen = new Set<string>();
  return previous.map(({ keyArn, publicJwk }) => {
    const purpose = current.get(publicJwk.kid);
    if (purpose) {
      throw new ConfigError(
        `ELG_KMS_KEYS_PREVIOUS lists ${keyArn}, which is the current ${purpose} key; list only keys that publish without signing (earlier or staged generations)`,
      );
    }
    if (seen.has(publicJwk.kid)) {
      throw new ConfigError(`ELG_KMS_KEYS_PREVIOUS lists the key ${keyArn} twice (under another name)`);
    }
    seen.add(publicJwk.kid);
    return publicJwk;
  });
}
