import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizenIdCheckChar } from '../../contracts/codes/index.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { Federation, RunningProvince } from '../../federation/federation.ts';
import { sampleIssue } from '../support/gateway.ts';
import { attackFederation, expectOnlyRefusal, newEvents, type RawAnswer, send, snapshot } from './harness.ts';
import {
  auditText,
  expectCleanError,
  expectNoImplementationDetail,
  expectNothingChanged,
  idpKeyOf,
  mintAs,
  missingIdentifier,
} from './kit.ts';

/**
 * What answers and logs must not give away (docs/protocol.md §8, §9, §11.1): no implementation detail
 * in any error body, no raw holder code to anyone but its issuer (nor into any audit record), and
 * no difference between "exists but not yours" and "does not exist".
 */

let f: Federation;
let sh: RunningProvince;
let zj: RunningProvince;
let sc: RunningProvince;
/** A citizen ID number used only as this license's holder code, to look for everywhere. */
const HOLDER = `32010219900307123${citizenIdCheckChar('32010219900307123')}`;
const WITHDRAWN_HOLDER = `32010219900307124${citizenIdCheckChar('32010219900307124')}`;
const MATTER = 'SCJZ0001';
let license: string;
let credential: string;
let withdrawn: string;
let deptA: string;
let deptBToken: string;

beforeAll(async () => {
  f = await attackFederation(['310000', '330000', '510000'], 'leaks');
  sh = f.province('310000');
  zj = f.province('330000');
  sc = f.province('510000');
  deptA = sh.departments[0]?.uscc ?? '';
  const issue = async (code: string) => {
    const answer = await send(sh.url, '/v1/licenses', {
      headers: headers(sh, 'issuer'),
      body: JSON.stringify(sampleIssue({ holder: { name: '李四', typeCode: '111', code } })),
    });
    expect(answer.status, answer.text).toBe(201);
    return IssueResponseSchema.parse(answer.json);
  };
  const issued = await issue(HOLDER);
  license = issued.identifier;
  credential = issued.credential;
  withdrawn = (await issue(WITHDRAWN_HOLDER)).identifier;
  const w = await send(sh.url, `/v1/licenses/${withdrawn}/status`, {
    headers: headers(sh, 'issuer'),
    body: JSON.stringify({ status: '03', reason: '撤销' }),
  });
  expect(w.status, w.text).toBe(200);
  const deptB = sh.departments[1]?.uscc ?? '';
  deptBToken = await mintAs(await idpKeyOf(f, sh), ['issuer'], deptB, 'dept-b-issuer');
});

afterAll(async () => {
  await f?.stop();
});

function headers(p: RunningProvince, role?: keyof RunningProvince['tokens']) {
  return {
    ...(role ? { authorization: `Bearer ${p.tokens[role]}` } : {}),
    'content-type': 'application/json',
  };
}

interface Probe {
  method?: string;
  path: () => string;
  role?: keyof RunningProvince['tokens'];
  headers?: Record<string, string>;
  body?: () => string;
  /** Acceptable status and code pairs. */
  expect: [number, string][];
  audited: boolean;
}

const NONE_SIGNATURE = `${Buffer.from('{"alg":"none","typ":"elg-request+jwt"}').toString('base64url')}.${Buffer.from('{"iss":"330000"}').toString('base64url')}.`;
const NOT_ROUTE: [number, string][] = [
  [404, 'NOT_FOUND'],
  [405, 'INVALID_REQUEST'],
];
const ULID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

const PROBES: [string, Probe][] = [
  ['an unknown route', { path: () => '/nope', expect: [[404, 'NOT_FOUND']], audited: false }],
  [
    'an unknown /v1 route',
    { path: () => '/v1/nope/../../etc', expect: [[404, 'NOT_FOUND']], audited: false },
  ],
  [
    'GET of the issue route',
    { path: () => '/v1/licenses', role: 'issuer', expect: NOT_ROUTE, audited: false },
  ],
  [
    'DELETE of a license',
    {
      method: 'DELETE',
      path: () => `/v1/licenses/${license}`,
      role: 'issuer',
      expect: NOT_ROUTE,
      audited: false,
    },
  ],
  [
    'PUT of verify',
    {
      method: 'PUT',
      path: () => '/v1/verify',
      role: 'platform',
      body: () => '{}',
      expect: NOT_ROUTE,
      audited: false,
    },
  ],
  [
    'PATCH of healthz',
    { method: 'PATCH', path: () => '/healthz', body: () => '{}', expect: NOT_ROUTE, audited: false },
  ],
  [
    'POST of the JWKS',
    {
      method: 'POST',
      path: () => '/.well-known/jwks.json',
      body: () => '{}',
      expect: NOT_ROUTE,
      audited: false,
    },
  ],
  [
    'a garbage traceparent on an unknown route',
    {
      path: () => '/nope',
      headers: { traceparent: '00-zz-yy-01' },
      expect: [[404, 'NOT_FOUND']],
      audited: false,
    },
  ],
  [
    'bad JSON',
    {
      path: () => '/v1/licenses',
      role: 'issuer',
      body: () => '{"a":',
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
  [
    'a JSON null',
    {
      path: () => '/v1/licenses',
      role: 'issuer',
      body: () => 'null',
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
  [
    'deep JSON',
    {
      path: () => '/v1/verify',
      role: 'platform',
      body: () => `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
  [
    'a text/plain body',
    {
      path: () => '/v1/licenses',
      role: 'issuer',
      headers: { 'content-type': 'text/plain' },
      body: () => JSON.stringify(sampleIssue()),
      expect: [[415, 'UNSUPPORTED_MEDIA_TYPE']],
      audited: true,
    },
  ],
  [
    'a body over the limit',
    {
      path: () => '/v1/licenses',
      role: 'issuer',
      body: () => 'x'.repeat(70_000),
      expect: [[413, 'PAYLOAD_TOO_LARGE']],
      audited: true,
    },
  ],
  [
    'a bad Idempotency-Key',
    {
      path: () => '/v1/licenses',
      role: 'issuer',
      headers: { 'idempotency-key': 'short' },
      body: () => JSON.stringify(sampleIssue()),
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
  [
    'no token',
    { path: () => '/v1/verify', body: () => '{}', expect: [[401, 'UNAUTHENTICATED']], audited: true },
  ],
  [
    'a garbage token',
    {
      path: () => '/v1/verify',
      headers: { authorization: 'Bearer a.b.c' },
      body: () => '{}',
      expect: [[401, 'UNAUTHENTICATED']],
      audited: true,
    },
  ],
  [
    'a wrong role',
    {
      path: () => '/v1/verify',
      role: 'issuer',
      body: () => '{}',
      expect: [[403, 'FORBIDDEN']],
      audited: true,
    },
  ],
  [
    'issuing as another authority',
    {
      path: () => '/v1/licenses',
      role: 'issuer',
      body: () => JSON.stringify(sampleIssue({ issuer: { name: 'x', uscc: '11330000002502880R' } })),
      expect: [[403, 'FORBIDDEN']],
      audited: true,
    },
  ],
  [
    'a status change of a missing license',
    {
      path: () => `/v1/licenses/${missingIdentifier(deptA)}/status`,
      role: 'issuer',
      body: () => '{"status":"07","reason":"x"}',
      expect: [[404, 'NOT_FOUND']],
      audited: true,
    },
  ],
  [
    'a transition that is not allowed',
    {
      path: () => `/v1/licenses/${withdrawn}/status`,
      role: 'issuer',
      body: () => '{"status":"01","reason":"x"}',
      expect: [
        [409, 'TRANSITION_NOT_ALLOWED'],
        [409, 'CONFLICT'],
      ],
      audited: true,
    },
  ],
  [
    'a malformed identifier',
    {
      path: () => '/v1/licenses/%ZZ%00',
      role: 'platform',
      expect: [
        [400, 'INVALID_REQUEST'],
        [404, 'NOT_FOUND'],
      ],
      audited: true,
    },
  ],
  [
    'a 5,000-character identifier',
    {
      path: () => `/v1/licenses/${'A'.repeat(5_000)}`,
      role: 'platform',
      expect: [
        [400, 'INVALID_REQUEST'],
        [404, 'NOT_FOUND'],
      ],
      audited: true,
    },
  ],
  [
    'an unsigned interop call',
    {
      path: () => '/v1/interop/verify',
      body: () => '{}',
      expect: [[401, 'SIGNATURE_INVALID']],
      audited: true,
    },
  ],
  [
    'an interop call with a garbage signature',
    {
      path: () => '/v1/interop/verify',
      headers: { 'elg-signature': 'a.b.c' },
      body: () => '{}',
      expect: [[401, 'SIGNATURE_INVALID']],
      audited: true,
    },
  ],
  [
    'an interop call signed with alg none',
    {
      path: () => '/v1/interop/verify',
      headers: { 'elg-signature': NONE_SIGNATURE },
      body: () => '{}',
      expect: [[401, 'SIGNATURE_INVALID']],
      audited: true,
    },
  ],
  [
    'an unsigned agreement delivery',
    {
      path: () => '/v1/interop/agreements',
      body: () => '{}',
      expect: [[401, 'SIGNATURE_INVALID']],
      audited: true,
    },
  ],
  [
    'an unknown agreement',
    {
      path: () => '/v1/agreements/agr_00000000000000000000000000',
      role: 'operator',
      expect: [[404, 'NOT_FOUND']],
      // Agreement reads hold no personal data and are not audited.
      audited: false,
    },
  ],
  [
    'signing an unknown agreement',
    {
      path: () => '/v1/agreements/agr_00000000000000000000000000/signatures',
      role: 'operator',
      body: () => '{}',
      expect: [[404, 'NOT_FOUND']],
      audited: true,
    },
  ],
  [
    'a bad audit event id',
    {
      path: () => '/v1/audit/events/..%2F..%2Fetc/proof',
      role: 'auditor',
      expect: [
        [400, 'INVALID_REQUEST'],
        [404, 'NOT_FOUND'],
      ],
      audited: true,
    },
  ],
  [
    'a missing audit event',
    {
      path: () => `/v1/audit/events/${ULID}/proof`,
      role: 'auditor',
      expect: [[404, 'NOT_FOUND']],
      audited: true,
    },
  ],
  [
    'a bad consistency range',
    {
      path: () => '/v1/audit/consistency?from=x&to=-1',
      role: 'auditor',
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
  [
    'a forged audit cursor',
    {
      path: () => `/v1/audit/events?identifier=${license}&cursor=AAAA`,
      role: 'auditor',
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
  [
    'a bad holder code to hash',
    {
      path: () => '/v1/audit/holder-hash',
      role: 'auditor',
      body: () => '{"holderTypeCode":"111","holderCode":"123"}',
      expect: [[400, 'INVALID_REQUEST']],
      audited: true,
    },
  ],
];

async function probe(p: Probe): Promise<RawAnswer> {
  const body = p.body?.();
  return send(sh.url, p.path(), {
    method: p.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...headers(sh, p.role), ...(p.headers ?? {}) },
    ...(body === undefined ? {} : { body }),
  });
}

describe('no error answer shows a stack trace, a file path or an exception name', () => {
  it.each(PROBES)('%s', async (_name, p) => {
    const before = await snapshot(sh);
    const answer = await probe(p);
    expectCleanError(answer);
    expect(p.expect, answer.text).toContainEqual([answer.status, answer.code]);
    const traceId = (answer.json as { error: { traceId: string } }).error.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    if (p.audited) await expectOnlyRefusal(sh, before);
    else await expectNothingChanged(sh, before);
  });
});

const verifyBody = (extra: Record<string, unknown>) =>
  JSON.stringify({ matterCode: MATTER, useCause: '跨省核验', ...extra });

function expectNoRawHolder(text: string) {
  expect(text).not.toContain(HOLDER);
  expect(text).not.toContain(WITHDRAWN_HOLDER);
}

describe('no raw holder code reaches anyone but the issuer', () => {
  /**
   * A verification of the license from 330000: audited by 330000 (as the caller) and by 310000 (as
   * the issuer), so both provinces hold events about it whatever ran before.
   */
  async function verifyFrom330000() {
    const answer = await send(zj.url, '/v1/verify', {
      headers: headers(zj, 'platform'),
      body: verifyBody({ identifier: license }),
    });
    expect(answer.status, answer.text).toBe(200);
    expect(VerifyResponseSchema.parse(answer.json).verdict).toBe('valid');
  }

  it('(control) the issuing department reads its own license in full', async () => {
    const answer = await send(sh.url, `/v1/licenses/${license}`, { headers: headers(sh, 'issuer') });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(HOLDER);
  });

  it.each([
    ['by identifier', () => ({ identifier: license })],
    ['by credential', () => ({ credential })],
  ])('a verification from 330000 %s shows it masked or not at all', async (_name, subject) => {
    const answer = await send(zj.url, '/v1/verify', {
      headers: headers(zj, 'platform'),
      body: verifyBody(subject()),
    });
    expect(answer.status, answer.text).toBe(200);
    const verdict = VerifyResponseSchema.parse(answer.json);
    expect(verdict.verdict).toBe('valid');
    expectNoRawHolder(answer.text);
    const code = verdict.license?.holder?.code;
    if (code !== undefined) expect(code).toMatch(/\*/);
    expect(
      verdict.license && 'dataLevel' in verdict.license ? verdict.license.dataLevel : 0,
    ).toBeLessThanOrEqual(2);
  });

  it('a signed interop answer to 330000 carries no raw holder code', async () => {
    const res = await zj.gateway.peers.call(
      '310000',
      'POST',
      '/v1/interop/verify',
      { identifier: license, matterCode: MATTER, useCause: '跨省核验', requester: { platform: 'attack' } },
      { traceId: 'cd'.repeat(16) },
    );
    expect(res.status).toBe(200);
    expectNoRawHolder(JSON.stringify(res.body));
  });

  it("310000's own platform reads it masked", async () => {
    const answer = await send(sh.url, `/v1/licenses/${license}`, { headers: headers(sh, 'platform') });
    expect(answer.status).toBe(200);
    expectNoRawHolder(answer.text);
  });

  it("310000's own platform verifies it masked", async () => {
    const answer = await send(sh.url, '/v1/verify', {
      headers: headers(sh, 'platform'),
      body: verifyBody({ identifier: license }),
    });
    expect(answer.status).toBe(200);
    expectNoRawHolder(answer.text);
  });

  it('an auditor hashing the code gets the hash, not the code back, and the query is logged by hash', async () => {
    const answer = await send(sh.url, '/v1/audit/holder-hash', {
      headers: headers(sh, 'auditor'),
      body: JSON.stringify({ holderTypeCode: '111', holderCode: HOLDER }),
    });
    expect(answer.status, answer.text).toBe(200);
    expectNoRawHolder(answer.text);
    expectNoRawHolder(await auditText(sh, true));
  });

  it.each(['310000', '330000'])("%s's audit table and log hold no raw holder code", async (id) => {
    await verifyFrom330000();

    const text = await auditText(f.province(id), true);
    // Events about the license are there to look into.
    expect(text).toContain(license);
    expectNoRawHolder(text);
  });

  it.each(['310000', '330000'])("%s's auditor API never returns a raw holder code", async (id) => {
    await verifyFrom330000();
    const p = f.province(id);
    const list = await send(p.url, `/v1/audit/events?identifier=${license}`, {
      headers: headers(p, 'auditor'),
    });
    expect(list.status, list.text).toBe(200);
    expectNoRawHolder(list.text);
    const items = (list.json as { items: { eventId: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const all = await send(p.url, `/v1/audit/events?from=${from}&limit=100`, {
      headers: headers(p, 'auditor'),
    });
    expect(all.status, all.text).toBe(200);
    expectNoRawHolder(all.text);
    for (const { eventId } of items) {
      const one = await send(p.url, `/v1/audit/events/${eventId}`, { headers: headers(p, 'auditor') });
      expect(one.status).toBe(200);
      expectNoRawHolder(one.text);
    }
  });
});

/** The same answer once the identifier asked about is blanked out. */
const blank = (text: string, ...ids: string[]) =>
  ids.reduce((t, id) => t.split(id).join('<identifier>'), text);

describe('refusals reveal nothing about what exists', () => {
  it('510000 (no agreement) gets the same verdict for an existing, a withdrawn and a missing 310000 license', async () => {
    const missing = missingIdentifier(deptA);
    const answers = [];
    for (const identifier of [license, withdrawn, missing]) {
      const before = await snapshot(sh);
      const answer = await send(sc.url, '/v1/verify', {
        headers: headers(sc, 'platform'),
        body: verifyBody({ identifier }),
      });
      expect(answer.status, answer.text).toBe(200);
      const v = VerifyResponseSchema.parse(answer.json);
      answers.push({
        verdict: v.verdict,
        reasons: v.reasons.map((r) => r.code),
        messages: v.reasons.map((r) => blank(r.message, identifier)),
        checks: v.checks,
        status: v.status,
        license: v.license,
      });
      const events = await newEvents(sh, before);
      expect(events.map((e) => [e.outcome, e.errorCode])).toEqual([['refused', 'AGREEMENT_REQUIRED']]);
    }
    expect(answers[0]?.verdict).toBe('unverified');
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('a signed call from 510000 gets the same refusal for an existing and a missing license', async () => {
    const missing = missingIdentifier(deptA);
    const answers = [];
    for (const identifier of [license, missing]) {
      const res = await sc.gateway.peers.call(
        '310000',
        'POST',
        '/v1/interop/verify',
        { identifier, matterCode: MATTER, useCause: '跨省核验', requester: { platform: 'attack' } },
        { traceId: identifier === license ? 'ef'.repeat(16) : 'fe'.repeat(16) },
      );
      const body = res.body as { error: { code: string; message: string } };
      answers.push({
        status: res.status,
        code: body.error.code,
        message: blank(body.error.message, identifier),
      });
    }
    expect(answers[0]).toMatchObject({ status: 403, code: 'AGREEMENT_REQUIRED' });
    expect(answers[1]).toEqual(answers[0]);
  });

  it.each([
    ['reading', 'GET', '', undefined],
    ['changing', 'POST', '/versions', '{"number":"X-1","reason":"变更"}'],
    ['revoking', 'POST', '/status', '{"status":"07","reason":"吊销"}'],
  ] as const)(
    'an issuer of another department %s an existing or a missing license gets one answer',
    async (_name, method, suffix, body) => {
      const missing = missingIdentifier(deptA);
      const answers = [];
      for (const identifier of [license, missing]) {
        const before = await snapshot(sh);
        const answer = await send(sh.url, `/v1/licenses/${identifier}${suffix}`, {
          method,
          headers: { authorization: `Bearer ${deptBToken}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body }),
        });
        expectNoImplementationDetail(answer.text);
        const error = (answer.json as { error?: { message?: string; issues?: unknown } }).error;
        answers.push({
          status: answer.status,
          code: answer.code,
          message: blank(error?.message ?? answer.text, identifier),
          issues: error?.issues,
        });
        const events = await expectOnlyRefusal(sh, before);
        expect(events.map((e) => e.errorCode)).toEqual([answer.code]);
      }
      expect(answers[0]).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(answers[1]).toEqual(answers[0]);
    },
  );
});
