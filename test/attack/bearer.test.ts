import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../contracts/auth.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { Federation, RunningProvince } from '../../federation/federation.ts';
import { yangtzeDeltaAgreementId } from '../../federation/seed-alliance.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { sampleIssue } from '../support/gateway.ts';
import { attackFederation, expectOnlyRefusal, send, snapshot } from './harness.ts';
import {
  craftJws,
  expectNothingChanged,
  freshP256,
  type IdpKey,
  idpKeyOf,
  issuerClaims,
  mintAs,
  missingIdentifier,
} from './kit.ts';

/**
 * Bearer tokens inside a province (docs/protocol.md §12): every forged, stale, foreign or malformed
 * token is 401 UNAUTHENTICATED, every role outside a route's own is 403 FORBIDDEN, and an issuer
 * may touch only its own department's licenses, inside its own province. Each refusal changes
 * nothing but the refusal's audit event.
 */

let f: Federation;
let sh: RunningProvince;
let zj: RunningProvince;
let shKey: IdpKey;
let zjKey: IdpKey;
/** A license of 310000's first department, which only the department tests touch. */
let licenseA: string;
/** Another, the target of the routes that change a license (so a wrongly accepted change cannot spoil other cases). */
let victim: string;
let deptA: string;
let deptB: string;
let deptBToken: string;
const MATTER = 'SCJZ0001';

beforeAll(async () => {
  f = await attackFederation(['310000', '330000'], 'bearer');
  sh = f.province('310000');
  zj = f.province('330000');
  shKey = await idpKeyOf(f, sh);
  zjKey = await idpKeyOf(f, zj);
  deptA = sh.departments[0]?.uscc ?? '';
  deptB = sh.departments[1]?.uscc ?? '';
  deptBToken = await mintAs(shKey, ['issuer'], deptB, 'dept-b-issuer');
  const issued = await send(sh.url, '/v1/licenses', {
    headers: { authorization: `Bearer ${sh.tokens.issuer}`, 'content-type': 'application/json' },
    body: JSON.stringify(sampleIssue()),
  });
  expect(issued.status).toBe(201);
  licenseA = IssueResponseSchema.parse(issued.json).identifier;
  const second = await send(sh.url, '/v1/licenses', {
    headers: { authorization: `Bearer ${sh.tokens.issuer}`, 'content-type': 'application/json' },
    body: JSON.stringify(sampleIssue({ number: '沪建安A(2026)000124' })),
  });
  expect(second.status).toBe(201);
  victim = IssueResponseSchema.parse(second.json).identifier;
});

afterAll(async () => {
  await f?.stop();
});

interface Route {
  method: 'GET' | 'POST';
  path: () => string;
  body?: () => unknown;
  /** The role the route serves. */
  role: Role;
  /** Reads of agreements hold no personal data and are not audited, refused or not. */
  audited?: false;
}

const today = () => todayCst(new Date());
const ROUTES = {
  issue: { method: 'POST', path: () => '/v1/licenses', body: () => sampleIssue(), role: 'issuer' },
  read: { method: 'GET', path: () => `/v1/licenses/${victim}`, role: 'platform' },
  version: {
    method: 'POST',
    path: () => `/v1/licenses/${victim}/versions`,
    body: () => ({ number: '沪建安A(2026)999999', reason: '变更' }),
    role: 'issuer',
  },
  status: {
    method: 'POST',
    path: () => `/v1/licenses/${victim}/status`,
    body: () => ({ status: '07', reason: '吊销' }),
    role: 'issuer',
  },
  verify: {
    method: 'POST',
    path: () => '/v1/verify',
    body: () => ({ identifier: victim, matterCode: MATTER, useCause: '窗口核验' }),
    role: 'platform',
  },
  propose: {
    method: 'POST',
    path: () => '/v1/agreements',
    body: () => ({
      name: '攻击测试协议',
      parties: ['310000', '330000'],
      grants: [
        {
          grantor: '310000',
          grantee: '330000',
          actions: ['verify'],
          licenseTypes: ['*'],
          matterCodes: ['*'],
          maxDataLevel: 4,
        },
      ],
      validFrom: today(),
      validUntil: `${Number(today().slice(0, 4)) + 1}${today().slice(4)}`,
    }),
    role: 'operator',
  },
  agreements: { method: 'GET', path: () => '/v1/agreements', role: 'operator', audited: false },
  agreement: {
    method: 'GET',
    path: () => `/v1/agreements/${yangtzeDeltaAgreementId(['310000', '330000'])}`,
    role: 'operator',
    audited: false,
  },
  sign: {
    method: 'POST',
    path: () => `/v1/agreements/${yangtzeDeltaAgreementId(['310000', '330000'])}/signatures`,
    body: () => ({}),
    role: 'operator',
  },
  withdraw: {
    method: 'POST',
    path: () => `/v1/agreements/${yangtzeDeltaAgreementId(['310000', '330000'])}/withdrawal`,
    body: () => ({}),
    role: 'operator',
  },
  auditEvents: { method: 'GET', path: () => `/v1/audit/events?identifier=${victim}`, role: 'auditor' },
  checkpoint: { method: 'GET', path: () => '/v1/audit/checkpoint', role: 'auditor' },
  holderHash: {
    method: 'POST',
    path: () => '/v1/audit/holder-hash',
    body: () => ({ holderTypeCode: '111', holderCode: '11010519491231002X' }),
    role: 'auditor',
  },
} satisfies Record<string, Route>;
type RouteName = keyof typeof ROUTES;

async function call(route: Route, authorization: string | undefined, p = sh) {
  const body = route.body?.();
  return send(p.url, route.path(), {
    method: route.method,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Asserts one refused call: its status and code, and that only its audit event was added. */
async function expectRefused(route: Route, authorization: string | undefined, status: number, code: string) {
  const before = await snapshot(sh);
  const answer = await call(route, authorization);
  expect({ status: answer.status, code: answer.code }, answer.text).toEqual({ status, code });
  if (route.audited === false) await expectNothingChanged(sh, before);
  else await expectOnlyRefusal(sh, before);
  return answer;
}

const now = () => Math.floor(Date.now() / 1000);
const es = (k: IdpKey) => ({ kind: 'es256' as const, key: k.privateKey });
const hdr = (k: IdpKey, extra: Record<string, unknown> = {}) => ({
  alg: 'ES256',
  typ: 'JWT',
  kid: k.kid,
  ...extra,
});
/** Claims for a route's role: what a genuine token of this IdP would carry. */
const claimsFor = (role: Role, k = shKey) => {
  const { uscc: _u, ...base } = issuerClaims(k, deptA);
  return role === 'issuer' ? { ...base, roles: [role], uscc: deptA } : { ...base, roles: [role] };
};
const without = (claims: Record<string, unknown>, name: string) => {
  const { [name]: _dropped, ...rest } = claims;
  return rest;
};

type BadToken = (role: Role) => string | undefined;
const bearerOf = (jws: string) => `Bearer ${jws}`;

const BAD_TOKENS: [string, BadToken][] = [
  [
    'an expired token',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), iat: now() - 700, exp: now() - 60 }, es(shKey))),
  ],
  [
    'a token not valid before a future time',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), nbf: now() + 3600 }, es(shKey))),
  ],
  [
    'a token of the wrong issuer',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), iss: zjKey.issuer }, es(shKey))),
  ],
  [
    'a token whose issuer differs by a trailing slash',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), iss: `${shKey.issuer}/` }, es(shKey))),
  ],
  [
    'a token for the wrong audience',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), aud: 'elg-330000' }, es(shKey))),
  ],
  [
    'a token whose audience list lacks this gateway',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), aud: ['elg-330000', 'elg-510000'] }, es(shKey))),
  ],
  [
    "a token signed by a forged key under the IdP's kid",
    (r) => bearerOf(craftJws(hdr(shKey), claimsFor(r), { kind: 'es256', key: freshP256() })),
  ],
  [
    'a token signed by a forged key without kid',
    (r) =>
      bearerOf(craftJws({ alg: 'ES256', typ: 'JWT' }, claimsFor(r), { kind: 'es256', key: freshP256() })),
  ],
  [
    'an alg none token',
    (r) => bearerOf(craftJws(hdr(shKey, { alg: 'none' }), claimsFor(r), { kind: 'none' })),
  ],
  [
    'an alg None token',
    (r) => bearerOf(craftJws(hdr(shKey, { alg: 'None' }), claimsFor(r), { kind: 'none' })),
  ],
  [
    'an HS256 token keyed with the IdP public key (PEM)',
    (r) =>
      bearerOf(
        craftJws(hdr(shKey, { alg: 'HS256' }), claimsFor(r), { kind: 'hs256', secret: shKey.publicPem }),
      ),
  ],
  [
    'an HS256 token keyed with the IdP public key (JWK)',
    (r) =>
      bearerOf(
        craftJws(hdr(shKey, { alg: 'HS256' }), claimsFor(r), {
          kind: 'hs256',
          secret: JSON.stringify(shKey.publicJwk),
        }),
      ),
  ],
  [
    'a token labelled ES512 with an ES256 signature',
    (r) => bearerOf(craftJws(hdr(shKey, { alg: 'ES512' }), claimsFor(r), es(shKey))),
  ],
  [
    'a token carrying its own (forged) key in jwk',
    (r) => {
      const key = freshP256();
      const jwk = key.export({ format: 'jwk' });
      return bearerOf(
        craftJws(hdr(shKey, { jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } }), claimsFor(r), {
          kind: 'es256',
          key,
        }),
      );
    },
  ],
  [
    'a genuine token with a jwk header',
    (r) => bearerOf(craftJws(hdr(shKey, { jwk: shKey.publicJwk }), claimsFor(r), es(shKey))),
  ],
  [
    'a genuine token with a jku header',
    (r) => bearerOf(craftJws(hdr(shKey, { jku: 'http://127.0.0.1:9/jwks.json' }), claimsFor(r), es(shKey))),
  ],
  [
    'a genuine token with an x5u header',
    (r) => bearerOf(craftJws(hdr(shKey, { x5u: 'http://127.0.0.1:9/cert.pem' }), claimsFor(r), es(shKey))),
  ],
  [
    'a genuine token with an x5c header',
    (r) => bearerOf(craftJws(hdr(shKey, { x5c: ['MIIB'] }), claimsFor(r), es(shKey))),
  ],
  [
    'a genuine token with crit',
    (r) => bearerOf(craftJws(hdr(shKey, { crit: ['exp'] }), claimsFor(r), es(shKey))),
  ],
  [
    'a genuine token with b64 false and crit b64',
    (r) => bearerOf(craftJws(hdr(shKey, { b64: false, crit: ['b64'] }), claimsFor(r), es(shKey))),
  ],
  [
    'a genuine token with b64 true',
    (r) => bearerOf(craftJws(hdr(shKey, { b64: true }), claimsFor(r), es(shKey))),
  ],
  ['a token without exp', (r) => bearerOf(craftJws(hdr(shKey), without(claimsFor(r), 'exp'), es(shKey)))],
  ['a token without sub', (r) => bearerOf(craftJws(hdr(shKey), without(claimsFor(r), 'sub'), es(shKey)))],
  [
    'a token with an empty sub',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), sub: '' }, es(shKey))),
  ],
  [
    'a token with a numeric sub',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), sub: 42 }, es(shKey))),
  ],
  ['a token without roles', (r) => bearerOf(craftJws(hdr(shKey), without(claimsFor(r), 'roles'), es(shKey)))],
  [
    'a token with roles as a string',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), roles: r }, es(shKey))),
  ],
  [
    'a token with unknown roles only',
    (r) =>
      bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), roles: ['admin', 'root', 'superuser'] }, es(shKey))),
  ],
  [
    'a token with the role in capitals',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), roles: [r.toUpperCase()] }, es(shKey))),
  ],
  ['a token of 330000 IdP', (r) => bearerOf(zj.tokens[r])],
  [
    "a token signed by 330000's IdP with 310000 claims",
    (r) => bearerOf(craftJws(hdr(zjKey), claimsFor(r), es(zjKey))),
  ],
  [
    "a token signed by 330000's IdP under 310000's kid",
    (r) => bearerOf(craftJws(hdr(shKey), claimsFor(r), es(zjKey))),
  ],
  [
    'a genuine token followed by garbage',
    (r) => `${bearerOf(craftJws(hdr(shKey), claimsFor(r), es(shKey)))} garbage`,
  ],
  [
    'a genuine token with a space inside',
    (r) => {
      const t = craftJws(hdr(shKey), claimsFor(r), es(shKey));
      return bearerOf(`${t.slice(0, 20)} ${t.slice(20)}`);
    },
  ],
  [
    'a genuine token with an extra segment',
    (r) => bearerOf(`${craftJws(hdr(shKey), claimsFor(r), es(shKey))}.e30`),
  ],
  ['a genuine token behind junk', (r) => bearerOf(`!${craftJws(hdr(shKey), claimsFor(r), es(shKey))}`)],
  [
    'two genuine tokens, comma-separated',
    (r) => {
      const t = craftJws(hdr(shKey), claimsFor(r), es(shKey));
      return `Bearer ${t}, Bearer ${t}`;
    },
  ],
  [
    'a genuine token with base64 padding',
    (r) => bearerOf(`${craftJws(hdr(shKey), claimsFor(r), es(shKey))}==`),
  ],
  [
    'a genuine token of 9 KB',
    (r) => bearerOf(craftJws(hdr(shKey), { ...claimsFor(r), pad: 'x'.repeat(9 * 1024) }, es(shKey))),
  ],
  ['the Basic scheme', () => `Basic ${Buffer.from('issuer:secret').toString('base64')}`],
  [
    'the Basic scheme around a genuine token',
    (r) => `Basic ${craftJws(hdr(shKey), claimsFor(r), es(shKey))}`,
  ],
  ['no Authorization header', () => undefined],
  ['an empty Bearer', () => 'Bearer'],
];

const SAMPLE = BAD_TOKENS.filter(([name]) =>
  [
    'an expired token',
    "a token signed by a forged key under the IdP's kid",
    'an alg none token',
    'an HS256 token keyed with the IdP public key (PEM)',
    'a token of 330000 IdP',
    'a genuine token with a jwk header',
  ].includes(name),
);

describe('a token that is not a genuine, current token of this province is 401 UNAUTHENTICATED', () => {
  it('(control) a genuine token crafted the same way is accepted', async () => {
    const answer = await call(ROUTES.issue, bearerOf(craftJws(hdr(shKey), claimsFor('issuer'), es(shKey))));
    expect(answer.status, answer.text).toBe(201);
  });

  it.each(BAD_TOKENS)('issuing with %s', async (_name, token) => {
    await expectRefused(ROUTES.issue, token('issuer'), 401, 'UNAUTHENTICATED');
  });

  const OTHER_ROUTES: RouteName[] = ['read', 'status', 'verify', 'auditEvents', 'holderHash'];
  it.each(OTHER_ROUTES.flatMap((route) => SAMPLE.map(([name, token]) => [route, name, token] as const)))(
    '%s with %s',
    async (route, _name, token) => {
      await expectRefused(ROUTES[route], token(ROUTES[route].role), 401, 'UNAUTHENTICATED');
    },
  );
});

const ALL_ROLES: Role[] = ['issuer', 'platform', 'operator', 'auditor'];
const ALLOWED: Record<RouteName, Role[]> = {
  issue: ['issuer'],
  read: ['issuer', 'platform'],
  version: ['issuer'],
  status: ['issuer'],
  verify: ['platform'],
  propose: ['operator'],
  agreements: ['operator'],
  agreement: ['operator'],
  sign: ['operator'],
  withdraw: ['operator'],
  auditEvents: ['auditor'],
  checkpoint: ['auditor'],
  holderHash: ['auditor'],
};
const escalationsOf = (routes: RouteName[]) =>
  routes.flatMap((route) =>
    ALL_ROLES.filter((role) => !ALLOWED[route].includes(role)).map((role) => [role, route] as const),
  );
// A wrongly accepted proposal leaves a delivery that keeps changing the agreements table, so the
// proposal cases run last, where they cannot spoil the others.
const ESCALATIONS = escalationsOf((Object.keys(ALLOWED) as RouteName[]).filter((r) => r !== 'propose'));

describe('a role outside the route is 403 FORBIDDEN', () => {
  it.each(ESCALATIONS)('%s calling %s', async (role, route) => {
    await expectRefused(ROUTES[route], `Bearer ${sh.tokens[role]}`, 403, 'FORBIDDEN');
  });

  it.each([
    ['platform with a USCC', ['platform'] as Role[], () => deptA],
    ['operator and auditor with a USCC', ['operator', 'auditor'] as Role[], () => deptA],
    ['platform and auditor without a USCC', ['platform', 'auditor'] as Role[], () => undefined],
  ])('%s issuing', async (_name, roles, uscc) => {
    const token = await mintAs(shKey, roles, uscc());
    await expectRefused(ROUTES.issue, `Bearer ${token}`, 403, 'FORBIDDEN');
  });

  it('a platform token with extra unknown roles issuing', async () => {
    const token = craftJws(
      hdr(shKey),
      { ...claimsFor('platform'), roles: ['platform', 'admin', 'issuer '], uscc: deptA },
      es(shKey),
    );
    await expectRefused(ROUTES.issue, bearerOf(token), 403, 'FORBIDDEN');
  });
});

describe("an issuer of another department of the province cannot touch department A's licenses", () => {
  const cases = (['read', 'version', 'status'] as const).flatMap((route) =>
    (['existing', 'missing'] as const).map((which) => [route, which] as const),
  );
  it.each(cases)('%s of an %s identifier of A is 403 FORBIDDEN', async (route, which) => {
    const identifier = which === 'existing' ? licenseA : missingIdentifier(deptA);
    const base = ROUTES[route];
    const target: Route = {
      ...base,
      path: () => base.path().replace(victim, identifier),
    };
    await expectRefused(target, `Bearer ${deptBToken}`, 403, 'FORBIDDEN');
  });

  it('issuing as department A is 403 FORBIDDEN', async () => {
    await expectRefused(ROUTES.issue, `Bearer ${deptBToken}`, 403, 'FORBIDDEN');
  });
});

describe("an issuer whose USCC lies outside the province's area is 403 FORBIDDEN", () => {
  const foreign = [
    ["330000's first department, issuing for 330000", 0, '330000'],
    ["330000's first department, issuing for 310000", 0, '310000'],
    ["330000's second department, issuing for 310000", 1, '310000'],
  ] as const;
  it.each(foreign)('%s', async (_name, index, areaCode) => {
    const dept = zj.departments[index];
    if (!dept) throw new Error('330000 lacks the department');
    const token = await mintAs(shKey, ['issuer'], dept.uscc, 'foreign-area-issuer');
    const route: Route = { ...ROUTES.issue, body: () => sampleIssue({ issuer: dept, areaCode }) };
    await expectRefused(route, `Bearer ${token}`, 403, 'FORBIDDEN');
  });
});

describe('proposing an agreement (last: a wrongly accepted proposal keeps delivering)', () => {
  it.each(SAMPLE)('with %s is 401 UNAUTHENTICATED', async (_name, token) => {
    await expectRefused(ROUTES.propose, token('operator'), 401, 'UNAUTHENTICATED');
  });

  it.each(escalationsOf(['propose']))('as %s (%s) is 403 FORBIDDEN', async (role) => {
    await expectRefused(ROUTES.propose, `Bearer ${sh.tokens[role]}`, 403, 'FORBIDDEN');
  });
});
