import { z } from 'zod';
import { KeyPurpose, KeyPurposeSchema } from '../contracts/keys.ts';
import { PublicJwkBaseSchema } from './config-jwk.ts';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS } from './log/levels.ts';
import { workCalendar } from './reports/working-days.ts';
import { TableKind, tableEnvName } from './store/tables.ts';
import { type ResourceScope, SecretKind, WHOLE_PROVINCE } from './wiring/scope.ts';

/**
 * A KMS key published for verifiers but not signing: an earlier generation, or a staged next one
 * that does not sign until a later deploy makes it the current key. This gateway never signs with it.
 */
export interface PreviousKey {
  purpose: KeyPurpose;
  /** Key ARN (or id) as KMS knows it. */
  keyId: string;
}

const HOLDER_HASH_HEX = /^[0-9a-f]{64}$/;
export const HOLDER_HASH_KEY_FORMAT = '32 bytes as 64 lowercase hex characters';

/**
 * `purpose=keyArn` entries, comma-separated: the purpose cannot be read from a KMS key, and a
 * verifier must know it (docs/protocol.md §3.4, §14.1).
 */
const PreviousKeysSchema = z.string().transform((s, ctx): PreviousKey[] => {
  const entries = s
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const keys: PreviousKey[] = [];
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const purpose = KeyPurposeSchema.safeParse(entry.slice(0, Math.max(eq, 0)).trim());
    const keyId = entry.slice(eq + 1).trim();
    if (eq < 0 || !purpose.success || keyId === '') {
      const bare = entry.startsWith('arn:') || entry.startsWith('alias/');
      ctx.addIssue({
        code: 'custom',
        message: bare
          ? `${JSON.stringify(entry.slice(0, 120))} names no purpose: KMS cannot tell it, so write credential=, gateway= or audit= before the key`
          : `${JSON.stringify(entry.slice(0, 80))} is not purpose=keyArn (purpose credential, gateway or audit)`,
      });
      return z.NEVER;
    }
    if (keys.some((k) => k.keyId === keyId)) {
      ctx.addIssue({ code: 'custom', message: `the key ${keyId} is listed twice` });
      return z.NEVER;
    }
    keys.push({ purpose: purpose.data, keyId });
  }
  return keys;
});

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
  /** The last good copy of the trust registry, for starts while the registry URL is down. */
  ELG_TABLE_REGISTRY: z.string().min(3),
  /** Error reports, their filings, change notices and their deliveries (docs/protocol.md §17). */
  ELG_TABLE_REPORTS: z.string().min(3),
  /** Review policy, held requests, breakers and waits (docs/protocol.md §18). */
  ELG_TABLE_REVIEWS: z.string().min(3),
  /** What this province last cosigned per log it witnesses, and split-view evidence (§19). */
  ELG_TABLE_WITNESS: z.string().min(3),
  ELG_KMS_KEY_CREDENTIAL: z.string().min(1),
  ELG_KMS_KEY_GATEWAY: z.string().min(1),
  ELG_KMS_KEY_AUDIT: z.string().min(1),
  /** The Ed25519 witness key (ECC_NIST_EDWARDS25519): only the witness function signs with it. */
  ELG_KMS_KEY_WITNESS: z.string().min(1),
  /**
   * Keys published in the JWKS but not signing: earlier generations and a staged next one, each
   * as `purpose=keyArn` (only discovery reads them; none may be a current key).
   */
  ELG_KMS_KEYS_PREVIOUS: PreviousKeysSchema.default([]),
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
  /**
   * The oldest stored registry copy (by its signed `iat`) a function starts from when the registry
   * URL fails; older, it does not start. Default 7 days.
   */
  ELG_REGISTRY_MAX_STORED_AGE_HOURS: z.coerce.number().int().min(1).default(168),
  ELG_IDP_ISSUER: z.string().min(1),
  ELG_IDP_AUDIENCE: z.string().min(1),
  ELG_IDP_JWKS_URL: z.url(),
  /** The holder-hash key itself (embedded use, LocalStack); on AWS the secret below instead. */
  ELG_HOLDER_HASH_KEY: z.string().regex(HOLDER_HASH_HEX, HOLDER_HASH_KEY_FORMAT).optional(),
  /** Secrets Manager secret whose SecretString is the holder-hash key, read at cold start. */
  ELG_HOLDER_HASH_SECRET_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, 'a Secrets Manager secret ARN')
    .optional(),
  /** Working days an issuing department has to answer an error report (§17); 5 by local practice. */
  ELG_REPORT_DUE_WORKING_DAYS: z.coerce.number().int().min(1).max(60).default(5),
  /**
   * Public holidays that fall on weekdays, `YYYY-MM-DD` comma-separated: not working days for
   * report deadlines. The State Council publishes them each year; nothing is built in.
   */
  ELG_PUBLIC_HOLIDAYS: z.string().default(''),
  /** Weekend days that are working days (调休), `YYYY-MM-DD` comma-separated. */
  ELG_MAKEUP_WORKDAYS: z.string().default(''),
  ELG_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(65_536),
  /**
   * How long the sequencer waits for the witnesses of a checkpoint, all asked at once, in ms
   * (docs/protocol.md §19.4): one bound for the whole collection, a 409 retry included.
   */
  ELG_WITNESS_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(2000),
  /**
   * The least severe log line printed: trace, debug, info (default), warn, error, critical or
   * silent, in any case. lib/log reads it when the function starts; Lambda's own log-level control
   * (AWS_LAMBDA_LOG_LEVEL), when set, takes precedence.
   */
  ELG_LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS)).default(DEFAULT_LOG_LEVEL),
  ELG_DYNAMODB_ENDPOINT: z.url().optional(),
  ELG_KMS_ENDPOINT: z.url().optional(),
  ELG_SECRETS_ENDPOINT: z.url().optional(),
});
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The variable naming the signing key of a purpose: `ELG_KMS_KEY_<PURPOSE>`. */
export const keyEnvName = (purpose: KeyPurpose) =>
  `ELG_KMS_KEY_${purpose.toUpperCase() as Uppercase<KeyPurpose>}` as const;
/** Published generations that do not sign, as `purpose=keyArn` entries. */
export const PUBLISHED_KEYS_ENV = 'ELG_KMS_KEYS_PREVIOUS';
export const HOLDER_HASH_SECRET_ENV = 'ELG_HOLDER_HASH_SECRET_ARN';

type Setting = keyof GatewayConfig;

/** Settings every function reads: who it is, its limits and logs, and where the AWS endpoints are. */
const COMMON: readonly Setting[] = [
  'ELG_PROVINCE_ID',
  'ELG_PROVINCE_NAME',
  'ELG_MAX_BODY_BYTES',
  'ELG_LOG_LEVEL',
  'ELG_DYNAMODB_ENDPOINT',
  'ELG_KMS_ENDPOINT',
  'ELG_SECRETS_ENDPOINT',
];
const REGISTRY: readonly Setting[] = [
  'ELG_REGISTRY_URL',
  'ELG_REGISTRY_ROOT_JWK',
  'ELG_REGISTRY_REFRESH_SECONDS',
  'ELG_REGISTRY_MAX_STORED_AGE_HOURS',
];
const IDENTITY_PROVIDER: readonly Setting[] = ['ELG_IDP_ISSUER', 'ELG_IDP_AUDIENCE', 'ELG_IDP_JWKS_URL'];
const HOLDER_HASH: readonly Setting[] = ['ELG_HOLDER_HASH_KEY', 'ELG_HOLDER_HASH_SECRET_ARN'];
const REPORT_CALENDAR: readonly Setting[] = [
  'ELG_REPORT_DUE_WORKING_DAYS',
  'ELG_PUBLIC_HOLIDAYS',
  'ELG_MAKEUP_WORKDAYS',
];

/** The purposes whose keys a function reads: those it signs with, or all when it publishes them. */
export function keyPurposesOf(scope: ResourceScope): KeyPurpose[] {
  return Object.values(KeyPurpose).filter((p) => scope.publishesKeys || scope.signsWith.includes(p));
}

/**
 * The settings a function reads: the common ones and those of exactly what its scope lists (a
 * table's name only for a listed table, a key only for a key it signs with or publishes, the
 * registry only when it loads the registry, the identity provider only when it takes bearer
 * tokens, the holder-hash key only when it reads it). Anything else in the environment is ignored.
 */
export function settingsOf(scope: ResourceScope): Setting[] {
  const tables = Object.values(TableKind).filter((k) => scope.tables[k] !== undefined);
  return [
    ...COMMON,
    ...tables.map(tableEnvName),
    ...keyPurposesOf(scope).map(keyEnvName),
    ...(scope.publishesKeys ? [PUBLISHED_KEYS_ENV] : []),
    ...(scope.tables.registry === undefined ? [] : REGISTRY),
    ...(scope.bearerTokens ? IDENTITY_PROVIDER : []),
    ...((scope.secrets ?? []).includes(SecretKind.holderHash) ? HOLDER_HASH : []),
    ...(scope.reportCalendar ? REPORT_CALENDAR : []),
    // The function that signs checkpoints collects their cosignatures (the sequencer).
    ...(scope.signsWith.includes('audit') ? (['ELG_WITNESS_TIMEOUT_MS'] as const) : []),
  ] as Setting[];
}

/** The part of the gateway's settings that a function with this scope reads. */
export function configSchemaFor(scope: ResourceScope) {
  const mask = Object.fromEntries(settingsOf(scope).map((k) => [k, true as const]));
  return GatewayConfigSchema.pick(mask as { [K in Setting]?: true });
}

/** The settings a function with `scope` reads, each present when its scope lists it. */
export type FunctionConfig = Partial<GatewayConfig> &
  Pick<GatewayConfig, 'ELG_PROVINCE_ID' | 'ELG_PROVINCE_NAME' | 'ELG_MAX_BODY_BYTES' | 'ELG_LOG_LEVEL'>;

/**
 * The settings of a function with `scope` (the whole province by default), every bad one
 * reported at once. A setting the scope does not list is not read, so a function starts without
 * the holder-hash key or table names it never touches.
 */
export function readConfig(
  env: Record<string, string | undefined> = process.env,
  scope: ResourceScope = WHOLE_PROVINCE,
): FunctionConfig {
  const result = configSchemaFor(scope).safeParse(env);
  const lines = result.success ? [] : result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  if ((scope.secrets ?? []).includes(SecretKind.holderHash)) {
    const key = present(env.ELG_HOLDER_HASH_KEY);
    const secret = present(env.ELG_HOLDER_HASH_SECRET_ARN);
    if (key === secret) {
      lines.push(
        `  ELG_HOLDER_HASH_KEY, ELG_HOLDER_HASH_SECRET_ARN: ${key ? 'both are set' : 'neither is set'}; set exactly one (the secret ARN on AWS)`,
      );
    }
  }
  if (scope.reportCalendar && result.success) {
    const data = result.data as Partial<GatewayConfig>;
    try {
      workCalendar(data.ELG_PUBLIC_HOLIDAYS ?? '', data.ELG_MAKEUP_WORKDAYS ?? '');
    } catch (err) {
      lines.push(`  ELG_PUBLIC_HOLIDAYS, ELG_MAKEUP_WORKDAYS: ${(err as Error).message}`);
    }
  }
  if (!result.success || lines.length > 0) {
    const who = scope === WHOLE_PROVINCE ? 'the gateway' : `the ${scope.name} function`;
    throw new ConfigError(`${who} is misconfigured:\n${lines.join('\n')}`);
  }
  return result.data as FunctionConfig;
}

function present(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}

/**
 * The holder-hash key as hex: 64 lowercase hex characters, nothing else (no whitespace, no JSON).
 * The message names where the key came from but never echoes it.
 */
export function holderHashKeyOf(hex: string, source: string): Uint8Array {
  if (!HOLDER_HASH_HEX.test(hex)) {
    throw new ConfigError(
      `the holder-hash key in ${source} is not ${HOLDER_HASH_KEY_FORMAT} (it has ${hex.length} characters)`,
    );
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
