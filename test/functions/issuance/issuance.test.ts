import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIdentifier } from '../../../contracts/codes/index.ts';
import { CredentialClaimsSchema } from '../../../contracts/credential.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import {
  get,
  post,
  sampleIssue,
  type TestGateway,
  testGateway,
  unknownIdentifier,
  ZHEJIANG_DEPT,
} from '../../support/gateway.ts';

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

describe('issuing an e-license', () => {
  let t: TestGateway;
  let issuer: string;
  beforeAll(async () => {
    t = await testGateway();
    issuer = await t.token('issuer');
  });

  it('assigns a national identifier, stores the license and returns a credential signed by the credential key', async () => {
    const res = await t.app.request(post('/v1/licenses', sampleIssue(), issuer));

    expect(res.status).toBe(201);
    const body = IssueResponseSchema.parse(await res.json());
    const parsed = parseIdentifier(body.identifier);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.typeCode).toBe('11100000000013338W032');
    expect(parsed.value.issuerCode).toBe('113100000024601315');
    expect(parsed.value.version).toBe('001');
    expect(body.status).toBe('01');
    expect(res.headers.get('location')).toBe(`/v1/licenses/${body.identifier}`);
    const header = decodeProtectedHeader(body.credential);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'elicense+jwt', kid: t.keys.credential.kid });
    const { payload } = await compactVerify(body.credential, createLocalJWKSet(jwksOf(t.keys)));
    const claims = CredentialClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
    expect(claims.iss).toBe('310000');
    expect(claims.jti).toBe(body.identifier);
    expect(claims.lic.holder.code).toBe('11010519491231002X');
    expect(claims.nbf).toBe(Date.parse('2026-02-28T16:00:00Z') / 1000);
    expect(claims.exp).toBe(Date.parse('2032-02-28T16:00:00Z') / 1000);
  });

  it('gives each license its own serial', async () => {
    const a = IssueResponseSchema.parse(
      await (await t.app.request(post('/v1/licenses', sampleIssue(), issuer))).json(),
    );
    const b = IssueResponseSchema.parse(
      await (await t.app.request(post('/v1/licenses', sampleIssue(), issuer))).json(),
    );
    expect(a.identifier).not.toBe(b.identifier);
  });

  it('writes an audit event with the license and keeps raw holder data out of it', async () => {
    const res = await t.app.request(
      post('/v1/licenses', sampleIssue(), issuer, {
        traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`,
      }),
    );
    const { identifier } = IssueResponseSchema.parse(await res.json());

    const events = (await t.scan('audit')).filter((e) => e.identifier === identifier);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'license.issue',
      outcome: 'success',
      traceId: 'ab'.repeat(16),
    });
    expect(typeof events[0]?.holderHash).toBe('string');
    const all = JSON.stringify(await t.scan('audit'));
    expect(all).not.toContain('11010519491231002X');
    expect(all).not.toContain('张三');
  });

  it('returns the first result for a retried Idempotency-Key instead of issuing twice', async () => {
    const key = `retry-${Date.now()}`;
    const first = await t.app.request(
      post('/v1/licenses', sampleIssue(), issuer, { 'idempotency-key': key }),
    );
    const second = await t.app.request(
      post('/v1/licenses', sampleIssue(), issuer, { 'idempotency-key': key }),
    );

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const a = IssueResponseSchema.parse(await first.json());
    const b = IssueResponseSchema.parse(await second.json());
    expect(b.identifier).toBe(a.identifier);
    expect(b.credential).toBe(a.credential);
  });

  it('issues once when the same Idempotency-Key arrives concurrently', async () => {
    const key = `race-${Date.now()}`;
    const before = (await t.scan('licenses')).filter((i) => i.sk === 'HEAD').length;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.app.request(post('/v1/licenses', sampleIssue(), issuer, { 'idempotency-key': key })),
      ),
    );
    const ids = new Set(
      await Promise.all(answers.map(async (r) => IssueResponseSchema.parse(await r.json()).identifier)),
    );
    expect(ids.size).toBe(1);
    const after = (await t.scan('licenses')).filter((i) => i.sk === 'HEAD').length;
    expect(after - before).toBe(1);
  });

  it('leaves an audit event for a replay, marked replayed, and still one license', async () => {
    const key = `audit-${Date.now()}`;
    const first = await t.app.request(
      post('/v1/licenses', sampleIssue(), issuer, { 'idempotency-key': key }),
    );
    const { identifier } = IssueResponseSchema.parse(await first.json());

    const second = await t.app.request(
      post('/v1/licenses', sampleIssue(), issuer, {
        'idempotency-key': key,
        traceparent: `00-${'ef'.repeat(16)}-${'cd'.repeat(8)}-01`,
      }),
    );

    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const events = (await t.scan('audit')).filter((e) => e.identifier === identifier);
    expect(events).toHaveLength(2);
    const replay = events.find((e) => e.traceId === 'ef'.repeat(16));
    expect(replay).toMatchObject({
      action: 'license.issue',
      outcome: 'success',
      details: { replayed: true, idempotencyKey: key },
    });
    expect(typeof replay?.holderHash).toBe('string');
    expect(events.filter((e) => (e.details as { replayed?: boolean }).replayed !== true)).toHaveLength(1);
    const heads = (await t.scan('licenses')).filter(
      (i) => i.sk === 'HEAD' && i.currentIdentifier === identifier,
    );
    expect(heads).toHaveLength(1);
  });

  it('leaves one audit event per answered call when the same Idempotency-Key races', async () => {
    const key = `race-audit-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.app.request(post('/v1/licenses', sampleIssue(), issuer, { 'idempotency-key': key })),
      ),
    );
    const ids = new Set(
      await Promise.all(answers.map(async (r) => IssueResponseSchema.parse(await r.json()).identifier)),
    );

    expect(ids.size).toBe(1);
    const [identifier] = [...ids];
    const events = (await t.scan('audit')).filter((e) => e.identifier === identifier);
    expect(events).toHaveLength(6);
    expect(events.filter((e) => (e.details as { replayed?: boolean }).replayed === true)).toHaveLength(5);
  });

  it('refuses an Idempotency-Key reused with another body', async () => {
    const key = `reuse-${Date.now()}`;
    await t.app.request(post('/v1/licenses', sampleIssue(), issuer, { 'idempotency-key': key }));
    const res = await t.app.request(
      post('/v1/licenses', sampleIssue({ number: 'X-2' }), issuer, { 'idempotency-key': key }),
    );
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('refusing bad issue requests', () => {
  let t: TestGateway;
  let issuer: string;
  beforeAll(async () => {
    t = await testGateway();
    issuer = await t.token('issuer');
  });

  const cases: [string, () => Promise<Request>, number, string][] = [
    ['malformed JSON', async () => post('/v1/licenses', '{"typeCode":', issuer), 400, 'INVALID_REQUEST'],
    [
      'an unknown field',
      async () => post('/v1/licenses', sampleIssue({ extra: 1 }), issuer),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a wrong type',
      async () => post('/v1/licenses', sampleIssue({ fields: 'x' }), issuer),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a bad issuer USCC',
      async () =>
        post('/v1/licenses', sampleIssue({ issuer: { name: 'x', uscc: '113100000024601310' } }), issuer),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a bad citizen ID',
      async () =>
        post(
          '/v1/licenses',
          sampleIssue({ holder: { name: '张三', typeCode: '111', code: '110105194912310021' } }),
          issuer,
        ),
      400,
      'INVALID_REQUEST',
    ],
    [
      'dates in the wrong order',
      async () =>
        post('/v1/licenses', sampleIssue({ validFrom: '2030-01-01', validUntil: '2029-01-01' }), issuer),
      400,
      'INVALID_REQUEST',
    ],
    [
      'a body over the limit',
      async () => post('/v1/licenses', sampleIssue({ fields: { note: 'x'.repeat(70_000) } }), issuer),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a non-JSON media type',
      async () =>
        new Request('http://gateway.test/v1/licenses', {
          method: 'POST',
          headers: { authorization: `Bearer ${issuer}`, 'content-type': 'text/plain' },
          body: JSON.stringify(sampleIssue()),
        }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['no token', async () => post('/v1/licenses', sampleIssue()), 401, 'UNAUTHENTICATED'],
    ['a garbage token', async () => post('/v1/licenses', sampleIssue(), 'not-a-jwt'), 401, 'UNAUTHENTICATED'],
    [
      'a platform token',
      async () => post('/v1/licenses', sampleIssue(), await t.token('platform')),
      403,
      'FORBIDDEN',
    ],
    [
      "another authority's USCC",
      async () => post('/v1/licenses', sampleIssue(), await t.token('issuer', { uscc: ZHEJIANG_DEPT.uscc })),
      403,
      'FORBIDDEN',
    ],
  ];

  it.each(cases)(
    'refuses %s with its code and stores nothing but the refusal event',
    async (_name, make, status, code) => {
      const auditBefore = (await t.scan('audit')).length;
      const res = await t.app.request(await make());

      expect(res.status).toBe(status);
      const error = await errorOf(res);
      expect(error.code).toBe(code);
      expect(error.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(await t.scan('licenses')).toHaveLength(0);
      const audit = await t.scan('audit');
      expect(audit).toHaveLength(auditBefore + 1);
      expect(audit.find((e) => e.traceId === error.traceId)).toMatchObject({
        action: 'license.issue',
        outcome: 'refused',
        errorCode: code,
      });
    },
  );

  it('names the failing field of an invalid request', async () => {
    const res = await t.app.request(
      post('/v1/licenses', sampleIssue({ issuer: { name: 'x', uscc: '113100000024601310' } }), issuer),
    );
    const error = await errorOf(res);
    expect(error.issues?.some((i) => i.path.join('.') === 'issuer.uscc')).toBe(true);
  });
});

describe('reading, changing and ending a license', () => {
  let t: TestGateway;
  let issuer: string;
  let identifier: string;
  beforeAll(async () => {
    t = await testGateway();
    issuer = await t.token('issuer');
    identifier = await issueOne();
  });

  /** A license of the case's own, so no case reads what another changed. */
  async function issueOne() {
    return IssueResponseSchema.parse(
      await (await t.app.request(post('/v1/licenses', sampleIssue(), issuer))).json(),
    ).identifier;
  }

  /** The trace id a gateway answer names in its traceparent. */
  const traceOf = (res: Response) => res.headers.get('traceparent')?.split('-')[1];

  it('shows the issuing authority everything and the credential', async () => {
    const res = await t.app.request(get(`/v1/licenses/${identifier}`, issuer));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { license: { holder: { code: string } }; credential?: string };
    expect(body.license.holder.code).toBe('11010519491231002X');
    expect(typeof body.credential).toBe('string');
  });

  it('masks the holder code for a platform', async () => {
    const successfulReads = async () =>
      (await t.scan('audit')).filter((e) => e.action === 'license.read' && e.outcome === 'success').length;
    const readsBefore = await successfulReads();
    const res = await t.app.request(get(`/v1/licenses/${identifier}`, await t.token('platform')));
    const body = (await res.json()) as { license: { holder: { code: string } }; credential?: string };
    expect(body.license.holder.code).toBe('110105********002X');
    expect(body.credential).toBeUndefined();
    expect(await successfulReads()).toBe(readsBefore + 1);
  });

  it("refuses another authority's issuer token", async () => {
    const res = await t.app.request(
      get(`/v1/licenses/${identifier}`, await t.token('issuer', { uscc: ZHEJIANG_DEPT.uscc })),
    );
    expect(res.status).toBe(403);
  });

  it('answers 404 for an unknown license and 400 for a malformed identifier', async () => {
    const unknown = unknownIdentifier();
    const res404 = await t.app.request(get(`/v1/licenses/${unknown}`, issuer));
    expect(res404.status).toBe(404);
    expect((await errorOf(res404)).code).toBe('NOT_FOUND');
    const res400 = await t.app.request(get('/v1/licenses/1.2.156.3005.2.nonsense', issuer));
    expect(res400.status).toBe(400);
    expect((await errorOf(res400)).code).toBe('INVALID_REQUEST');
  });

  it('makes a new version that supersedes the old one', async () => {
    const identifier = await issueOne();
    const res = await t.app.request(
      post(`/v1/licenses/${identifier}/versions`, { validUntil: '2033-02-28', reason: '延续' }, issuer),
    );
    expect(res.status).toBe(201);
    const next = IssueResponseSchema.parse(await res.json());
    expect(next.version).toBe('002');
    expect(next.license.validUntil).toBe('2033-02-28');
    const old = (await (await t.app.request(get(`/v1/licenses/${identifier}`, issuer))).json()) as {
      license: { supersededBy?: string };
    };
    expect(old.license.supersededBy).toBe(next.identifier);

    const again = await t.app.request(
      post(`/v1/licenses/${identifier}/versions`, { number: 'N2', reason: 'x' }, issuer),
    );
    expect(again.status).toBe(409);
  });

  it('revokes a license and refuses to revive it', async () => {
    const identifier = await issueOne();
    const revoke = await t.app.request(
      post(`/v1/licenses/${identifier}/status`, { status: '07', reason: '违规' }, issuer),
    );
    expect(revoke.status).toBe(200);
    const revive = await t.app.request(
      post(`/v1/licenses/${identifier}/status`, { status: '01', reason: '恢复' }, issuer),
    );
    expect(revive.status).toBe(409);
    expect((await errorOf(revive)).code).toBe('TRANSITION_NOT_ALLOWED');
    const traces = [traceOf(revoke), traceOf(revive)];
    const events = (await t.scan('audit')).filter(
      (e) => e.action === 'license.status' && traces.includes(String(e.traceId)),
    );
    expect(events.map((e) => e.outcome).sort()).toEqual(['refused', 'success']);
  });

  it('refuses a status change by another authority', async () => {
    const res = await t.app.request(
      post(
        `/v1/licenses/${identifier}/status`,
        { status: '04', reason: 'x' },
        await t.token('issuer', { uscc: ZHEJIANG_DEPT.uscc }),
      ),
    );
    expect(res.status).toBe(403);
  });
});
