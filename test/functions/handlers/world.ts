import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GetPublicKeyCommandOutput, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getRequestListener } from '@hono/node-server';
import { mockClient } from 'aws-sdk-client-mock';
import { inject } from 'vitest';
import type { Role } from '../../../contracts/auth.ts';
import type { KeyPurpose, PublicJwk } from '../../../contracts/keys.ts';
import type { RegistryClaims, RegistryProvince } from '../../../contracts/registry.ts';
import { functionSpec } from '../../../functions/catalog.ts';
import { provinceApp } from '../../../functions/province.ts';
import { createBearerVerifier } from '../../../lib/auth/bearer.ts';
import { DevIdentityProvider } from '../../../lib/auth/dev-idp.ts';
import { systemClock } from '../../../lib/clock.ts';
import {
  HOLDER_HASH_SECRET_ENV,
  keyEnvName,
  keyPurposesOf,
  PUBLISHED_KEYS_ENV,
  settingsOf,
} from '../../../lib/config.ts';
import { loadOrCreateRootKey, signRegistry } from '../../../lib/registry/sign-registry.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { createKmsKeyRing } from '../../../lib/signing/kms-signer.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import { publicJwkOf, witnessJwkOf } from '../../../lib/signing/public-jwk.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { TableKind, type TableNames, tableEnvName, tableNames } from '../../../lib/store/tables.ts';
import { ProvinceAdapters } from '../../../lib/wiring/adapters.ts';
import { SecretKind } from '../../../lib/wiring/scope.ts';
import { answerAsKms, type FakeKey, fakeKey } from '../../lib/signing/fake-kms.ts';
import { SHANGHAI_DEPT } from '../../support/gateway.ts';
import type { FunctionName } from './apigw.ts';

export const SH = '310000';
export const ZJ = '330000';
const IDP_ISSUER = 'https://idp.sh.example';
const ACCOUNT = '111122223333';
const REGION = 'cn-north-1';

/** What Lambda itself sets on every function, whatever the stack says. */
const LAMBDA_RUNTIME_ENV = { AWS_REGION: REGION } as const;

/** Whether a variable is one the gateway reads (and the stack may set). */
export const isGatewayVariable = (name: string) => name.startsWith('ELG_');

/** A KMS key of the province with the purpose it serves. */
export interface ProvinceKey extends FakeKey {
  purpose: KeyPurpose;
  publicJwk: PublicJwk;
}

export interface World {
  /**
   * What the stack sets on the function `name` (infra/constructs/gateway-function.ts
   * bindCatalogEntry), derived from its catalog entry: a table's name only for a table it lists,
   * a key only for a purpose it signs with or publishes, the published generations only where it
   * publishes keys, the holder-hash secret only where it reads it, and of the province's settings
   * only those lib/config.ts settingsOf gives it. Plus AWS_REGION, which Lambda sets.
   */
  envOf(name: FunctionName): Record<string, string>;
  /**
   * Makes process.env what a new execution environment of `name` sees: every ELG_ variable
   * removed, then `env` (its own, by default) set. A handler imported afterwards starts from it.
   */
  enter(name: FunctionName, env?: Record<string, string>): void;
  /**
   * 310000 as its operator holds it (every resource, the KMS keys as they are now): for seeding
   * the alliance and writing what a test needs, never for the functions under test.
   */
  operator(): Promise<ProvinceAdapters>;
  keys: Record<KeyPurpose, ProvinceKey>;
  /** Earlier generations, in ELG_KMS_KEYS_PREVIOUS and in the registry entry. */
  previous: ProvinceKey[];
  /** A key KMS holds that the province does not use (yet); overrides change what GetPublicKey says of it. */
  extraKmsKey(purpose: KeyPurpose, overrides?: Partial<GetPublicKeyCommandOutput>): Promise<ProvinceKey>;
  /** Every GetPublicKey and Sign the functions asked KMS for, by key id. */
  kmsCalls: { getPublicKey: string[]; sign: string[] };
  holderHashSecretArn: string;
  /** What Secrets Manager holds for the holder-hash secret. */
  holderHashSecret(): string | undefined;
  /** Replaces what Secrets Manager holds for the holder-hash secret. */
  setHolderHashSecret(value: string | undefined): void;
  /** A bearer token of the province's identity provider. */
  token(role: Role): Promise<string>;
  /** Signs and serves a new registry (seq + 1) with a changed entry of 310000 or 330000. */
  publishRegistry(change: (entry: RegistryProvince) => RegistryProvince, province?: string): Promise<void>;
  /** Takes the registry URL down (every request's connection is dropped), or brings it back. */
  setRegistryDown(down: boolean): void;
  /** The URL the functions load the registry from. */
  registryUrl: string;
  /**
   * Rotates a KMS key as the stack would: a new key becomes current (ELG_KMS_KEY_*), the old
   * one moves to ELG_KMS_KEYS_PREVIOUS, and the registry entry lists both. Functions started
   * afterwards see it.
   */
  rotate(purpose: KeyPurpose): Promise<{ old: ProvinceKey; current: ProvinceKey }>;
  /** 330000 embedded: its adapters over every resource, and provinceApp over them on HTTP at `url` (listed in the registry). */
  peer: { gateway: ProvinceAdapters; keys: KeyRing; url: string };
  doc: ReturnType<typeof createDocumentClient>;
  tables: TableNames;
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Purposes of earlier key generations to list in ELG_KMS_KEYS_PREVIOUS. */
  previous?: KeyPurpose[];
}

/**
 * The cloud around a deployed 310000, made local: KMS (mocked, over real P-256 keys: every
 * signature is real), Secrets Manager (mocked), DynamoDB Local tables, the signed trust registry
 * and the identity provider's JWKS served over HTTP on 127.0.0.1, and a peer province 330000
 * running embedded. `enter` gives process.env the environment the stack sets on one function, so
 * that function's handler module, imported afterwards, starts as in its Lambda.
 */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'elg-handlers-'));
  const provinceKey = async (purpose: KeyPurpose, name: string): Promise<ProvinceKey> => {
    const witness = purpose === 'witness';
    const key = fakeKey(`${name}-${randomBytes(4).toString('hex')}`, witness ? 'ed25519' : 'p256');
    const publicJwk = witness ? await witnessJwkOf(key.publicKey) : await publicJwkOf(key.publicKey, purpose);
    return { ...key, purpose, publicJwk };
  };
  const keys: Record<KeyPurpose, ProvinceKey> = {
    credential: await provinceKey('credential', 'sh-credential'),
    gateway: await provinceKey('gateway', 'sh-gateway'),
    audit: await provinceKey('audit', 'sh-audit'),
    witness: await provinceKey('witness', 'sh-witness'),
  };
  const previous = await Promise.all(
    (options.previous ?? []).map((purpose) => provinceKey(purpose, `sh-${purpose}-2025`)),
  );
  const [root, idp, peerKeys] = await Promise.all([
    loadOrCreateRootKey(join(dir, 'root.jwk')),
    DevIdentityProvider.loadOrCreate(join(dir, 'idp.jwk')),
    loadLocalKeyRing(join(dir, 'keys', ZJ)),
  ]);

  // The national directory and the identity provider, over HTTP.
  let registryJws = '';
  let registryDown = false;
  const directory = createServer((req, res) => {
    if (req.url === '/registry.jwt' && registryDown) {
      req.socket.destroy();
    } else if (req.url === '/registry.jwt') {
      res.writeHead(200, { 'content-type': 'application/jwt' }).end(registryJws);
    } else if (req.url === '/idp/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(idp.jwks));
    } else {
      res.writeHead(404).end();
    }
  });
  const directoryUrl = await listenNode(directory);

  // The peer, on HTTP before its gateway exists: the registry needs its URL first.
  let peerApp: ReturnType<typeof provinceApp> | undefined;
  const peerServer = createServer(
    getRequestListener((req) => peerApp?.fetch(req) ?? new Response(null, { status: 503 })),
  );
  const peerUrl = await listenNode(peerServer);

  let shEntry: RegistryProvince = {
    id: SH,
    name: '上海市',
    baseUrl: 'https://gw-310000.example',
    jwks: { keys: [...Object.values(keys).map((k) => k.publicJwk), ...previous.map((k) => k.publicJwk)] },
    status: 'active',
  };
  let zjEntry: RegistryProvince = {
    id: ZJ,
    name: '浙江省',
    baseUrl: peerUrl,
    jwks: jwksOf(peerKeys),
    status: 'active',
  };
  let seq = 0;
  const claims = (): RegistryClaims => ({
    iss: 'elg-national-root',
    iat: Math.floor(Date.now() / 1000),
    seq,
    provinces: [shEntry, zjEntry],
  });
  const publish = async () => {
    seq++;
    registryJws = await signRegistry(root, claims());
  };
  await publish();

  const doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
  const prefix = `h${process.pid}-${randomBytes(3).toString('hex')}`;
  const tables = tableNames(`${prefix}-${SH}`);
  const peerTables = tableNames(`${prefix}-${ZJ}`);
  await Promise.all([
    ensureTables({ endpoint: inject('dynamodbEndpoint') }, tables),
    ensureTables({ endpoint: inject('dynamodbEndpoint') }, peerTables),
  ]);

  const peerRegistry = TrustRegistry.fromClaims(claims());
  const peer = new ProvinceAdapters({
    province: ZJ,
    provinceName: '浙江省',
    doc,
    tables: peerTables,
    keys: peerKeys,
    registry: peerRegistry,
    auth: createBearerVerifier({ issuer: 'https://idp.zj.example', audience: `elg-${ZJ}`, jwks: idp.jwks }),
    holderHashKey: randomBytes(32),
    clock: systemClock,
  });
  peerApp = provinceApp(peer);

  // KMS and Secrets Manager: the only parts that cannot run here.
  const kmsKeys: FakeKey[] = [...Object.values(keys), ...previous];
  const kmsCalls: World['kmsCalls'] = { getPublicKey: [], sign: [] };
  const kmsOverrides = new Map<string, Partial<GetPublicKeyCommandOutput>>();
  const kms = mockClient(KMSClient);
  answerAsKms(kms, kmsKeys, { overrides: (arn) => kmsOverrides.get(arn), calls: kmsCalls });

  const holderHashSecretArn = `arn:aws-cn:secretsmanager:cn-north-1:${ACCOUNT}:secret:elg-310000-holder-hash-AbCdEf`;
  let secretString: string | undefined = randomBytes(32).toString('hex');
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId?: string }) => {
    if (input.SecretId !== holderHashSecretArn) {
      throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      });
    }
    return { ARN: holderHashSecretArn, Name: 'elg-310000-holder-hash', SecretString: secretString };
  });

  // The province's settings (infra/province-stack.ts), and the local ones a test run adds.
  const settings: Record<string, string> = {
    ELG_PROVINCE_ID: SH,
    ELG_PROVINCE_NAME: '上海市',
    ELG_REGISTRY_URL: `${directoryUrl}/registry.jwt`,
    ELG_REGISTRY_ROOT_JWK: JSON.stringify(root.publicJwk),
    ELG_IDP_ISSUER: IDP_ISSUER,
    ELG_IDP_AUDIENCE: `elg-${SH}`,
    ELG_IDP_JWKS_URL: `${directoryUrl}/idp/jwks.json`,
    ELG_MAX_BODY_BYTES: '4096',
    ELG_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
  };
  /** bindCatalogEntry and settingsFor, over this world's tables, keys and secret. */
  const envOf = (name: FunctionName): Record<string, string> => {
    const spec = functionSpec(name);
    const reads = new Set<string>(settingsOf(spec));
    const env: Record<string, string> = { ...LAMBDA_RUNTIME_ENV };
    for (const purpose of keyPurposesOf(spec)) env[keyEnvName(purpose)] = keys[purpose].arn;
    if (spec.publishesKeys && previous.length > 0) {
      env[PUBLISHED_KEYS_ENV] = previous.map((k) => `${k.purpose}=${k.arn}`).join(',');
    }
    for (const kind of Object.values(TableKind)) {
      if (spec.tables[kind] !== undefined) env[tableEnvName(kind)] = tables[kind];
    }
    if ((spec.secrets ?? []).includes(SecretKind.holderHash))
      env[HOLDER_HASH_SECRET_ENV] = holderHashSecretArn;
    for (const [k, v] of Object.entries(settings)) if (reads.has(k)) env[k] = v;
    return env;
  };
  const touched = (k: string) => isGatewayVariable(k) || k in LAMBDA_RUNTIME_ENV;
  const saved = new Map(Object.entries(process.env).filter(([k]) => touched(k)));
  const enter = (name: FunctionName, env = envOf(name)) => {
    for (const k of Object.keys(process.env)) if (isGatewayVariable(k)) delete process.env[k];
    Object.assign(process.env, env);
  };

  return {
    envOf,
    enter,
    async operator() {
      const kmsKeys = await createKmsKeyRing(
        new KMSClient({ region: REGION }),
        Object.fromEntries(Object.values(keys).map((k) => [k.purpose, k.arn])),
      );
      return new ProvinceAdapters({
        province: SH,
        provinceName: '上海市',
        clock: systemClock,
        doc,
        tables,
        keys: kmsKeys,
        previousKeys: previous.map((k) => k.publicJwk),
        registry: TrustRegistry.fromClaims(claims()),
        ...(secretString ? { holderHashKey: new Uint8Array(Buffer.from(secretString, 'hex')) } : {}),
      });
    },
    keys,
    previous,
    kmsCalls,
    async extraKmsKey(purpose, overrides = {}) {
      const key = await provinceKey(purpose, `other-${purpose}`);
      kmsKeys.push(key);
      kmsOverrides.set(key.arn, overrides);
      return key;
    },
    holderHashSecretArn,
    holderHashSecret: () => secretString,
    setHolderHashSecret(value) {
      secretString = value;
    },
    token: (role) =>
      idp.mint({
        sub: `${role}@sh.example`,
        roles: [role],
        ...(role === 'issuer' ? { uscc: SHANGHAI_DEPT.uscc } : {}),
        ttlSeconds: 3600,
        issuer: IDP_ISSUER,
        audience: `elg-${SH}`,
      }),
    setRegistryDown(down) {
      registryDown = down;
    },
    registryUrl: `${directoryUrl}/registry.jwt`,
    async publishRegistry(change, province = SH) {
      if (province === SH) shEntry = change(shEntry);
      else zjEntry = change(zjEntry);
      await publish();
    },
    async rotate(purpose) {
      const old = keys[purpose];
      const current = await provinceKey(purpose, `sh-${purpose}`);
      kmsKeys.push(current);
      keys[purpose] = current;
      previous.push(old);
      shEntry = { ...shEntry, jwks: { keys: [...shEntry.jwks.keys, current.publicJwk] } };
      await publish();
      return { old, current };
    },
    peer: { gateway: peer, keys: peerKeys, url: peerUrl },
    doc,
    tables,
    async stop() {
      kms.restore();
      secrets.restore();
      for (const k of Object.keys(process.env)) if (touched(k)) delete process.env[k];
      for (const [k, v] of saved) process.env[k] = v;
      await Promise.all([closeNode(directory), closeNode(peerServer)]);
      doc.destroy();
    },
  };
}

function listenNode(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function closeNode(server: Server) {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
