import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { Role } from '../../contracts/auth.ts';
import { buildIdentifier } from '../../contracts/codes/index.ts';
import { ISSUE_REQUEST } from '../../contracts/examples.ts';
import { type IssueResponse, IssueResponseSchema } from '../../contracts/license.ts';
import { type ProvinceApp, provinceApp } from '../../functions/province.ts';
import { createBearerVerifier } from '../../lib/auth/bearer.ts';
import { DevIdentityProvider } from '../../lib/auth/dev-idp.ts';
import { fixedClock } from '../../lib/clock.ts';
import { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../lib/signing/signer.ts';
import { createDocumentClient, ensureTables } from '../../lib/store/dynamo.ts';
import { type TableNames, tableNames } from '../../lib/store/tables.ts';
import { ProvinceAdapters } from '../../lib/wiring/adapters.ts';

export const SHANGHAI_DEPT = { name: '上海市住房和城乡建设管理委员会', uscc: '113100000024601315' } as const;
export const ZHEJIANG_DEPT = { name: '浙江省住房和城乡建设厅', uscc: '11330000002502880R' } as const;

let counter = 0;

/** A sample issue request (docs/protocol.md §11.4). */
export function sampleIssue(overrides: Record<string, unknown> = {}) {
  // A copy of the documented example: a test may change what it gets without changing the example.
  return { ...structuredClone(ISSUE_REQUEST), issuer: { ...SHANGHAI_DEPT }, ...overrides };
}

/**
 * A well-formed identifier no test issues: the sample license type of `issuerCode` (Shanghai's
 * department unless given) with a serial nothing was issued under.
 */
export function unknownIdentifier({
  issuerCode = SHANGHAI_DEPT.uscc as string,
  serial = 'NOSUCH1',
  typeCode = '11100000000013338W032',
}: {
  issuerCode?: string;
  serial?: string;
  typeCode?: string;
} = {}): string {
  return buildIdentifier({ typeCode, issuerCode, serial, version: '001' });
}

/** The checks of a verification that finds a license valid: every one passes. */
export const EVERY_CHECK_PASSES = {
  format: 'pass',
  issuer: 'pass',
  signature: 'pass',
  validity: 'pass',
  status: 'pass',
} as const;

export interface TestGateway {
  /** The province's adapters over every resource; each function runs over its own scope of them. */
  gateway: ProvinceAdapters;
  /** Every HTTP function, routed as the HTTP API routes them. */
  app: ProvinceApp;
  /** The DynamoDB client and this province's tables, for looking at what was stored. */
  storage: { doc: ReturnType<typeof createDocumentClient>; tables: TableNames };
  clock: ReturnType<typeof fixedClock>;
  keys: KeyRing;
  /** A bearer token for this province's identity provider. */
  token(
    role: Role,
    claims?: { uscc?: string; sub?: string; holder?: { typeCode: string; code: string } },
  ): Promise<string>;
  /** Every item of a table, for asserting what was (not) stored. */
  scan(kind: 'licenses' | 'audit'): Promise<Record<string, unknown>[]>;
  /** Another province's keys, listed in the same registry. */
  peerKeys: KeyRing;
}

/**
 * One province gateway in-process over the suite's DynamoDB Local, with its own tables, local
 * keys in a temp dir, a dev identity provider and a registry listing it and one peer (330000).
 */
export async function testGateway(province = '310000', now = '2026-06-01T08:00:00Z'): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'elg-test-'));
  const clock = fixedClock(now);
  const keys = await loadLocalKeyRing(join(dir, 'keys', province));
  const peer = province === '330000' ? '310000' : '330000';
  const peerKeys = await loadLocalKeyRing(join(dir, 'keys', peer));
  const registry = TrustRegistry.fromClaims({
    iss: 'test-root',
    iat: Math.floor(clock.now().getTime() / 1000),
    seq: 1,
    provinces: [
      { id: province, name: 'test', baseUrl: 'http://127.0.0.1:1', jwks: jwksOf(keys), status: 'active' },
      { id: peer, name: 'peer', baseUrl: 'http://127.0.0.1:2', jwks: jwksOf(peerKeys), status: 'active' },
    ],
  });
  const idp = await DevIdentityProvider.loadOrCreate(join(dir, 'idp.jwk'));
  const issuer = 'https://idp.test';
  const audience = `elg-${province}`;
  const doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
  const names = tableNames(`t${process.pid}-${++counter}-${randomBytes(3).toString('hex')}-${province}`);
  await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
  const gateway = new ProvinceAdapters({
    province,
    provinceName: 'test',
    doc,
    tables: names,
    keys,
    registry,
    auth: createBearerVerifier({ issuer, audience, jwks: idp.jwks, clock }),
    holderHashKey: randomBytes(32),
    clock,
  });
  return {
    gateway,
    app: provinceApp(gateway),
    storage: { doc, tables: names },
    clock,
    keys,
    peerKeys,
    token: (role, claims = {}) =>
      idp.mint({
        sub: claims.sub ?? `${role}@test`,
        roles: [role],
        ...(role === 'issuer' ? { uscc: claims.uscc ?? SHANGHAI_DEPT.uscc } : {}),
        ...(claims.holder ? { holder: claims.holder } : {}),
        ttlSeconds: 3600,
        issuer,
        audience,
        now: clock.now(),
      }),
    scan: async (kind) =>
      (await doc.send(new ScanCommand({ TableName: names[kind], ConsistentRead: true }))).Items ?? [],
  };
}

/** Issues the sample license (with `overrides`) as this province's issuer; the parsed answer. */
export async function issueSample(
  t: TestGateway,
  overrides: Record<string, unknown> = {},
): Promise<IssueResponse> {
  const res = await t.app.request(post('/v1/licenses', sampleIssue(overrides), await t.token('issuer')));
  return IssueResponseSchema.parse(await res.json());
}

/** JSON request helper for `app.request()`. */
export function post(path: string, body: unknown, token?: string, headers: Record<string, string> = {}) {
  return new Request(`http://gateway.test${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function get(path: string, token?: string) {
  return new Request(`http://gateway.test${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}
