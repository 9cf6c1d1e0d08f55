import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../../contracts/interop.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { createBaseApp } from '../../../lib/http/base.ts';
import { signRequest } from '../../../lib/interop/request-signature.ts';
import { type CapturedLogs, captureLogs } from '../../../lib/log/capture.ts';
import { get, post, sampleIssue, type TestGateway, testGateway } from '../../support/gateway.ts';

const HOLDER_CODE = '11010519491231002X';
const HOLDER_NAME = '张三';
const PATH = '/v1/interop/verify';

/** The request lines among what was logged. */
function requestLines(logs: CapturedLogs) {
  return logs.records().filter((r) => r.message === 'request');
}

function traceOf(res: Response): string {
  return res.headers.get('traceparent')?.split('-')[1] ?? '';
}

describe('the request log', () => {
  let t: TestGateway;
  let issuer: string;
  let identifier: string;
  let logs: CapturedLogs;

  beforeAll(async () => {
    t = await testGateway();
    issuer = await t.token('issuer');
    const res = await t.app.request(post('/v1/licenses', sampleIssue(), issuer));
    expect(res.status).toBe(201);
    identifier = IssueResponseSchema.parse(await res.json()).identifier;
  });
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => {
    logs.restore();
  });

  /** Nothing a caller sent but the method reached the log: no token, path, identifier or body. */
  function expectNothingSent(...secrets: string[]) {
    const text = logs.lines.join('\n');
    for (const secret of [HOLDER_CODE, HOLDER_NAME, identifier, issuer, ...secrets]) {
      expect(text).not.toContain(secret);
    }
  }

  it('writes one JSON line per answered call with the route pattern, not the path', async () => {
    // Act
    const res = await t.app.request(get(`/v1/licenses/${identifier}`, issuer));

    // Assess
    expect(res.status).toBe(200);
    const lines = requestLines(logs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      level: 'INFO',
      message: 'request',
      timestamp: expect.any(String),
      service: 'elicense-gateway',
      sampling_rate: 0,
      method: 'GET',
      route: '/v1/licenses/:identifier',
      status: 200,
      latencyMs: expect.any(Number),
      traceId: traceOf(res),
      province: '310000',
    });
    expect(logs.lines).toHaveLength(1);
    expect(logs.lines[0]).not.toContain('\n');
    expectNothingSent();
  });

  it('logs an issue without its body', async () => {
    const res = await t.app.request(post('/v1/licenses', sampleIssue(), issuer));

    expect(res.status).toBe(201);
    const created = IssueResponseSchema.parse(await res.json()).identifier;
    expect(requestLines(logs)).toEqual([
      expect.objectContaining({ method: 'POST', route: '/v1/licenses', status: 201, traceId: traceOf(res) }),
    ]);
    expectNothingSent(created, '沪建安A(2026)000123', '建筑电工');
  });

  it('gives a refusal its error code, and a call no route matched no route', async () => {
    const refused = await t.app.request(get(`/v1/licenses/${identifier}`));
    const unknown = await t.app.request(get(`/v1/holders/${HOLDER_CODE}?name=${HOLDER_NAME}`, issuer));

    expect([refused.status, unknown.status]).toEqual([401, 404]);
    const [first, second] = requestLines(logs);
    expect(first).toMatchObject({
      level: 'INFO',
      route: '/v1/licenses/:identifier',
      status: 401,
      errorCode: 'UNAUTHENTICATED',
      traceId: traceOf(refused),
    });
    expect(second).toMatchObject({ method: 'GET', status: 404, errorCode: 'NOT_FOUND' });
    expect(second).not.toHaveProperty('route');
    expectNothingSent('/v1/holders');
  });

  it('names the verified caller of a signed call, also when it is refused', async () => {
    // Prepare: 330000 signs a verification it has no agreement for.
    const traceId = randomBytes(16).toString('hex');
    const text = JSON.stringify({
      identifier,
      matterCode: 'DEMO0001',
      useCause: '窗口核验',
      requester: { platform: 'zj-window' },
    });
    const { header } = await signRequest(t.peerKeys.gateway, {
      iss: '330000',
      aud: '310000',
      method: 'POST',
      pathWithQuery: PATH,
      body: text,
      traceId,
      now: t.clock.now(),
    });

    // Act
    const signed = await t.app.request(post(PATH, text, undefined, { [SIGNATURE_HEADER]: header }));
    const forged = await t.app.request(post(PATH, text, undefined, { [SIGNATURE_HEADER]: 'a.b.c' }));

    // Assess
    expect([signed.status, forged.status]).toEqual([403, 401]);
    const [first, second] = requestLines(logs);
    expect(first).toMatchObject({
      method: 'POST',
      route: PATH,
      status: 403,
      errorCode: 'AGREEMENT_REQUIRED',
      traceId,
      province: '310000',
      callerProvince: '330000',
    });
    expect(second).toMatchObject({ route: PATH, status: 401, errorCode: 'SIGNATURE_INVALID' });
    expect(second).not.toHaveProperty('callerProvince');
    expect(second?.traceId).not.toBe(traceId);
    expectNothingSent(header, 'zj-window', '窗口核验');
  });

  it('logs a 500 at ERROR, after the unhandled error it answered', async () => {
    // Prepare: the frame every function shares, around a route with a bug.
    const app = createBaseApp(t.gateway).get('/v1/broken/:identifier', () => {
      throw new TypeError('a bug');
    });

    // Act
    const res = await app.request(get(`/v1/broken/${identifier}`, issuer));

    // Assess
    expect(res.status).toBe(500);
    expect(logs.records()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'unhandled error',
        traceId: traceOf(res),
        error: expect.objectContaining({ name: 'TypeError', message: 'a bug' }),
      }),
      expect.objectContaining({
        level: 'ERROR',
        message: 'request',
        method: 'GET',
        route: '/v1/broken/:identifier',
        status: 500,
        errorCode: 'INTERNAL',
        traceId: traceOf(res),
        province: '310000',
      }),
    ]);
    expectNothingSent();
  });

  it('prints nothing at level silent', async () => {
    logs.restore();
    logs = captureLogs(undefined, 'silent');

    await t.app.request(get(`/v1/licenses/${identifier}`, issuer));

    expect(logs.lines).toEqual([]);
  });
});
