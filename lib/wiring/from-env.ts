import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PublicJwk } from '../../contracts/keys.ts';
import { createBearerVerifier } from '../auth/bearer.ts';
import { systemClock } from '../clock.ts';
import {
  ConfigError,
  type FunctionConfig,
  holderHashKeyOf,
  keyEnvName,
  keyPurposesOf,
  readConfig,
} from '../config.ts';
import { readHolderHashSecret } from '../holder-hash-secret.ts';
import { TrustRegistry } from '../registry/trust-registry.ts';
import { workCalendar } from '../reports/working-days.ts';
import { createKmsKeyRing, readKmsPublicKey } from '../signing/kms-signer.ts';
import type { KeyRing } from '../signing/signer.ts';
import { createDocumentClient } from '../store/dynamo.ts';
import { DynamoRegistryStore } from '../store/registry-store.ts';
import { TableKind, type TableNames, tableEnvName } from '../store/tables.ts';
import { ProvinceAdapters } from './adapters.ts';
import { type ResourceScope, SecretKind } from './scope.ts';

type Env = Record<string, string | undefined>;

const cached = new Map<string, Promise<ProvinceAdapters>>();

/**
 * The adapters of one deployed function, built once per Lambda execution environment from the
 * settings its scope lists (lib/config.ts): only the tables, keys, secret, registry and identity
 * provider its catalog entry names are read, loaded or even looked for. A failed build is not
 * cached: the next invocation tries again.
 */
export function adaptersFromEnv(scope: ResourceScope, env: Env = process.env): Promise<ProvinceAdapters> {
  return once(cached, scope.name, () => build(scope, env));
}

function once<T>(cache: Map<string, Promise<T>>, key: string, build: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (!pending) {
    pending = build().catch((err: unknown) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, pending);
  }
  return pending;
}

function kmsClient(config: FunctionConfig): KMSClient {
  return new KMSClient(config.ELG_KMS_ENDPOINT ? { endpoint: config.ELG_KMS_ENDPOINT } : {});
}

async function build(scope: ResourceScope, env: Env): Promise<ProvinceAdapters> {
  const config = readConfig(env, scope);
  const kinds = Object.values(TableKind).filter((k) => scope.tables[k] !== undefined);
  const doc =
    kinds.length === 0
      ? undefined
      : createDocumentClient(config.ELG_DYNAMODB_ENDPOINT ? { endpoint: config.ELG_DYNAMODB_ENDPOINT } : {});
  const tables: Partial<Record<TableKind, string>> = {};
  for (const kind of kinds) tables[kind] = setting(config, tableEnvName(kind));
  const purposes = keyPurposesOf(scope);
  const [keys, registry, holderHashKey] = await Promise.all([
    purposes.length === 0
      ? ({} as Partial<KeyRing>)
      : createKmsKeyRing(
          kmsClient(config),
          Object.fromEntries(purposes.map((p) => [p, setting(config, keyEnvName(p))])),
        ),
    scope.tables.registry === undefined || !doc ? undefined : loadRegistry(config, doc, tables as TableNames),
    (scope.secrets ?? []).includes(SecretKind.holderHash) ? holderHashKeyFrom(config) : undefined,
  ]);
  const previousKeys = scope.publishesKeys ? await loadPreviousKeys(config, keys) : [];
  registry?.start();
  return new ProvinceAdapters(
    {
      province: setting(config, 'ELG_PROVINCE_ID'),
      provinceName: setting(config, 'ELG_PROVINCE_NAME'),
      maxBodyBytes: config.ELG_MAX_BODY_BYTES,
      clock: systemClock,
      keys,
      previousKeys,
      ...(doc ? { doc, tables } : {}),
      ...(registry ? { registry } : {}),
      ...(holderHashKey ? { holderHashKey } : {}),
      ...(config.ELG_WITNESS_TIMEOUT_MS === undefined
        ? {}
        : { witnessTimeoutMs: config.ELG_WITNESS_TIMEOUT_MS }),
      ...(scope.reportCalendar
        ? {
            reportCalendar: {
              dueWorkingDays: setting(config, 'ELG_REPORT_DUE_WORKING_DAYS'),
              calendar: workCalendar(config.ELG_PUBLIC_HOLIDAYS ?? '', config.ELG_MAKEUP_WORKDAYS ?? ''),
            },
          }
        : {}),
      ...(scope.bearerTokens
        ? {
            auth: createBearerVerifier({
              issuer: setting(config, 'ELG_IDP_ISSUER'),
              audience: setting(config, 'ELG_IDP_AUDIENCE'),
              jwks: new URL(setting(config, 'ELG_IDP_JWKS_URL')),
            }),
          }
        : {}),
    },
    scope,
  );
}

function loadRegistry(
  config: FunctionConfig,
  doc: ReturnType<typeof createDocumentClient>,
  tables: TableNames,
) {
  const root = config.ELG_REGISTRY_ROOT_JWK;
  if (!root) throw new ConfigError('ELG_REGISTRY_ROOT_JWK is not set');
  return TrustRegistry.load({
    source: setting(config, 'ELG_REGISTRY_URL'),
    rootPublicJwk: root,
    refreshIntervalMs: (config.ELG_REGISTRY_REFRESH_SECONDS ?? 300) * 1000,
    store: new DynamoRegistryStore(doc, tables.registry),
    maxStoredAgeMs: (config.ELG_REGISTRY_MAX_STORED_AGE_HOURS ?? 168) * 3600_000,
  });
}

/** A setting readConfig has checked is present for this scope. */
function setting<K extends keyof FunctionConfig>(
  config: FunctionConfig,
  name: K,
): NonNullable<FunctionConfig[K]> {
  const value = config[name];
  if (value === undefined || value === null) throw new ConfigError(`${String(name)} is not set`);
  return value as NonNullable<FunctionConfig[K]>;
}

/** readConfig has made sure exactly one of the two is set. */
function holderHashKeyFrom(config: FunctionConfig): Promise<Uint8Array> {
  if (config.ELG_HOLDER_HASH_SECRET_ARN) {
    const client = new SecretsManagerClient(
      config.ELG_SECRETS_ENDPOINT ? { endpoint: config.ELG_SECRETS_ENDPOINT } : {},
    );
    return readHolderHashSecret(client, config.ELG_HOLDER_HASH_SECRET_ARN);
  }
  return Promise.resolve(holderHashKeyOf(config.ELG_HOLDER_HASH_KEY ?? '', 'ELG_HOLDER_HASH_KEY'));
}

/**
 * Public keys of the KMS keys published but not signing (`ELG_KMS_KEYS_PREVIOUS`): earlier
 * generations and a staged next one. They are checked like the current ones and published in the
 * JWKS after them; a listed key that is one of the current keys is refused. Only a function whose
 * scope publishes keys reads them.
 */
async function loadPreviousKeys(config: FunctionConfig, keys: Partial<KeyRing>): Promise<PublicJwk[]> {
  const listed = config.ELG_KMS_KEYS_PREVIOUS ?? [];
  if (listed.length === 0) return [];
  const client = kmsClient(config);
  const previous = await Promise.all(
    listed.map(({ keyId, purpose }) => readKmsPublicKey(client, keyId, purpose)),
  );
  const current = new Map(Object.values(keys).map((s) => [s.kid, s.purpose]));
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
