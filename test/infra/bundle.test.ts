import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { type BundleReport, bundleFunctions } from '../../infra/bundle.ts';
import { KEY_PURPOSES } from '../../infra/names.ts';
import { DevIdentityProvider } from '../../lib/auth/dev-idp.ts';
import { keyEnvName, keyPurposesOf } from '../../lib/config.ts';
import { RootKey, signRegistry } from '../../lib/registry/sign-registry.ts';
import { publicJwkOf, witnessJwkOf } from '../../lib/signing/public-jwk.ts';
import { createDocumentClient, ensureTables } from '../../lib/store/dynamo.ts';
import { TableKind, tableEnvironment, tableEnvName, tableNames } from '../../lib/store/tables.ts';
import { fakeKey } from '../lib/signing/fake-kms.ts';
import { SHANGHAI_DEPT, sampleIssue } from '../support/gateway.ts';
import { type FakeAws, httpEvent, invokeBundle, type LambdaResult, startFakeAws } from './lambda-harness.ts';

const HOLDER_SECRET_ARN =
  'arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:elg/310000/holder-hash-key-AbCdEf';
const IDP_ISSUER = 'https://idp.bundle.test';
const IDP_AUDIENCE = 'elg-310000';

function results(outcome: Awaited<ReturnType<typeof invokeBundle>>): LambdaResult[] {
  if ('failed' in outcome)
    throw new Error(`the bundle did not load: ${outcome.failed.name}: ${outcome.failed.message}`);
  return outcome;
}

describe('Lambda bundles', () => {
  let dir: string;
  let reports: BundleReport[];
  const bundle = (name: string) => join(dir, name, 'index.mjs');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elg-bundles-'));
    reports = await bundleFunctions({ outDir: dir });
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes one ES module per function, without zod locales or the CommonJS builds of the AWS clients', async () => {
    // Assess
    expect(reports.map((r) => r.name)).toEqual(FUNCTIONS.map((f) => f.name));
    for (const report of reports) {
      expect((await stat(bundle(report.name))).size).toBe(report.bytes);
      expect(JSON.parse(await readFile(join(report.dir, 'package.json'), 'utf8'))).toEqual({
        type: 'module',
      });
      const paths = report.inputs.map((i) => i.path);
      expect(paths.filter((p) => p.includes('node_modules/zod/v4/locales/'))).toEqual([
        'node_modules/zod/v4/locales/en.js',
      ]);
      expect(paths.filter((p) => /node_modules\/@aws-sdk\/client-[a-z-]+\/dist-cjs\//.test(p))).toEqual([]);
      expect(paths.some((p) => p.startsWith('node_modules/@aws-sdk/client-kms/dist-es/'))).toBe(true);
      expect(report.packages.reduce((sum, p) => sum + p.bytes, 0)).toBeLessThanOrEqual(report.bytes);
      // Error classes name themselves after their class (new.target.name): the names must survive
      // minifying, or the logs of a deployed function show mangled error names.
      expect(await readFile(bundle(report.name), 'utf8')).toContain('"DependencyUnavailableError"');
    }
  });

  it('loads every bundle in plain node; with no settings each stops with ConfigError naming them', async () => {
    for (const spec of FUNCTIONS) {
      // Act
      const outcome = await invokeBundle(bundle(spec.name), {}, []);

      // Assess: it names the settings its own entry has it read, and no other
      expect(outcome, spec.name).toMatchObject({ failed: { name: 'ConfigError' } });
      const message = 'failed' in outcome ? outcome.failed.message : '';
      expect(message).toContain(`the ${spec.name} function is misconfigured`);
      expect(message).toContain('ELG_PROVINCE_ID: ');
      for (const purpose of KEY_PURPOSES) {
        expect(message.includes(`${keyEnvName(purpose)}: `), `${spec.name} ${purpose}`).toBe(
          keyPurposesOf(spec).includes(purpose),
        );
      }
      for (const kind of Object.values(TableKind)) {
        expect(message.includes(`${tableEnvName(kind)}: `), `${spec.name} ${kind}`).toBe(
          spec.tables[kind] !== undefined,
        );
      }
    }
  });

  describe('configured against DynamoDB Local and KMS and Secrets Manager over HTTP', () => {
    const credential = fakeKey('bundle-credential');
    const gateway = fakeKey('bundle-gateway');
    const audit = fakeKey('bundle-audit');
    // The witness key is Ed25519, of spec ECC_NIST_EDWARDS25519, as the stack makes it.
    const witness = fakeKey('bundle-witness', 'ed25519');
    const oldCredential = fakeKey('bundle-credential-g1');
    const holderHashKey = randomBytes(32).toString('hex');
    let aws: FakeAws;
    let idp: DevIdentityProvider;
    let env: Record<string, string>;
    let kids: Record<'credential' | 'gateway' | 'audit' | 'witness' | 'old', string>;
    let keyDir: string;

    beforeAll(async () => {
      keyDir = await mkdtemp(join(tmpdir(), 'elg-bundle-keys-'));
      idp = await DevIdentityProvider.loadOrCreate(join(keyDir, 'idp.jwk'));
      const root = await RootKey.fromPrivateKey(fakeKey('root').privateKey);
      const jwks = {
        keys: await Promise.all([
          publicJwkOf(credential.publicKey, 'credential'),
          publicJwkOf(gateway.publicKey, 'gateway'),
          publicJwkOf(audit.publicKey, 'audit'),
          witnessJwkOf(witness.publicKey),
        ]),
      };
      kids = {
        credential: jwks.keys[0]?.kid ?? '',
        gateway: jwks.keys[1]?.kid ?? '',
        audit: jwks.keys[2]?.kid ?? '',
        witness: jwks.keys[3]?.kid ?? '',
        old: (await publicJwkOf(oldCredential.publicKey, 'credential')).kid,
      };
      const registry = await signRegistry(root, {
        iss: 'bundle-test-root',
        iat: Math.floor(Date.now() / 1000),
        seq: 1,
        provinces: [
          { id: '310000', name: '上海市', baseUrl: 'https://gateway.test', jwks, status: 'active' },
        ],
      });
      aws = await startFakeAws({
        keys: [credential, gateway, audit, witness, oldCredential],
        secrets: { [HOLDER_SECRET_ARN]: holderHashKey },
        files: {
          '/registry.jwt': { contentType: 'application/jwt', body: registry },
          '/idp/jwks.json': { contentType: 'application/json', body: JSON.stringify(idp.jwks) },
        },
      });
      const tables = tableNames(`bundle-${randomBytes(4).toString('hex')}-310000`);
      const dynamodbEndpoint = inject('dynamodbEndpoint');
      const doc = createDocumentClient({ endpoint: dynamodbEndpoint });
      await ensureTables({ endpoint: dynamodbEndpoint }, tables);
      doc.destroy();
      env = {
        AWS_REGION: 'cn-north-1',
        AWS_ACCESS_KEY_ID: 'bundle-test',
        AWS_SECRET_ACCESS_KEY: 'bundle-test',
        ELG_PROVINCE_ID: '310000',
        ELG_PROVINCE_NAME: '上海市',
        ...tableEnvironment(tables),
        ELG_KMS_KEY_CREDENTIAL: 'alias/bundle-credential',
        ELG_KMS_KEY_GATEWAY: 'alias/bundle-gateway',
        ELG_KMS_KEY_AUDIT: 'alias/bundle-audit',
        ELG_KMS_KEY_WITNESS: 'alias/bundle-witness',
        ELG_KMS_KEYS_PREVIOUS: `credential=${oldCredential.arn}`,
        ELG_REGISTRY_URL: `${aws.url}/registry.jwt`,
        ELG_REGISTRY_ROOT_JWK: JSON.stringify(root.publicJwk),
        ELG_IDP_ISSUER: IDP_ISSUER,
        ELG_IDP_AUDIENCE: IDP_AUDIENCE,
        ELG_IDP_JWKS_URL: `${aws.url}/idp/jwks.json`,
        ELG_HOLDER_HASH_SECRET_ARN: HOLDER_SECRET_ARN,
        ELG_DYNAMODB_ENDPOINT: dynamodbEndpoint,
        ELG_KMS_ENDPOINT: aws.url,
        ELG_SECRETS_ENDPOINT: aws.url,
      };
    });

    afterAll(async () => {
      await aws?.close();
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    });

    it('discovery reads its keys from KMS and no secret, and answers health and the JWKS', async () => {
      // Prepare
      aws.calls.length = 0;

      // Act
      const [health, keys] = results(
        await invokeBundle(bundle('discovery'), env, [
          httpEvent('GET', '/healthz'),
          httpEvent('GET', '/.well-known/jwks.json'),
        ]),
      );

      // Assess: DynamoDB answered, the registry verified, and the JWKS holds the KMS keys
      expect(health?.statusCode).toBe(200);
      expect(JSON.parse(health?.body ?? '{}')).toMatchObject({
        status: 'ok',
        province: '310000',
        dependencies: { storage: 'up', registry: { seq: 1 } },
      });
      expect(keys?.statusCode).toBe(200);
      const published = (JSON.parse(keys?.body ?? '{}') as { keys: { kid: string; purpose: string }[] }).keys;
      expect(published.find((k) => k.purpose === 'witness')).toEqual(await witnessJwkOf(witness.publicKey));
      expect(published.map((k) => [k.purpose, k.kid]).sort()).toEqual(
        [
          ['credential', kids.credential],
          ['gateway', kids.gateway],
          ['audit', kids.audit],
          ['witness', kids.witness],
          ['credential', kids.old],
        ].sort(),
      );
      // The four current keys (the witness one read as Ed25519) and the earlier credential key.
      expect(aws.calls.filter((c) => c === 'TrentService.GetPublicKey')).toHaveLength(5);
      // It hashes no holder, so its entry lists no secret and it reads none (given one or not).
      expect(aws.calls.filter((c) => c === 'secretsmanager.GetSecretValue')).toHaveLength(0);
      expect(aws.calls).not.toContain('TrentService.Sign');
    });

    it('issuance writes the license to DynamoDB and signs its credential with the KMS credential key', async () => {
      // Prepare
      aws.calls.length = 0;
      const token = await idp.mint({
        sub: 'issuer@310000',
        roles: ['issuer'],
        uscc: SHANGHAI_DEPT.uscc,
        name: SHANGHAI_DEPT.name,
        ttlSeconds: 600,
        issuer: IDP_ISSUER,
        audience: IDP_AUDIENCE,
      });
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const authorization = `Bearer ${token}`;

      // Act
      const [issued] = results(
        await invokeBundle(bundle('issuance'), env, [
          httpEvent('POST', '/v1/licenses', {
            headers: { authorization },
            body: sampleIssue({ issueDate: today, validFrom: today, validUntil: '2099-12-31' }),
          }),
        ]),
      );

      // Assess: the credential verifies against the KMS credential key's public key
      expect(issued?.statusCode, issued?.body).toBe(201);
      const answer = IssueResponseSchema.parse(JSON.parse(issued?.body ?? '{}'));
      expect(decodeProtectedHeader(answer.credential).kid).toBe(kids.credential);
      const { payload } = await compactVerify(answer.credential, credential.publicKey);
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({
        iss: '310000',
        jti: answer.identifier,
      });
      expect(aws.calls.filter((c) => c === 'TrentService.Sign')).toHaveLength(1);
      // It lists the holder-hash secret, and reads it once at its cold start.
      expect(aws.calls.filter((c) => c === 'secretsmanager.GetSecretValue')).toHaveLength(1);

      // Act: read it back through a fresh start of the bundle
      const [read] = results(
        await invokeBundle(bundle('issuance'), env, [
          httpEvent('GET', `/v1/licenses/${answer.identifier}`, { headers: { authorization } }),
        ]),
      );

      // Assess
      expect(read?.statusCode, read?.body).toBe(200);
      expect(JSON.parse(read?.body ?? '{}')).toMatchObject({ credential: answer.credential });
    });
  });
});
