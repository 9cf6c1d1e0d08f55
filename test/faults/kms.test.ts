import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { SignCommand, type SignCommandInput } from '@aws-sdk/client-kms';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { type ProvinceApp, provinceApp } from '../../functions/province.ts';
import { fixedClock } from '../../lib/clock.ts';
import { DependencyUnavailableError } from '../../lib/errors.ts';
import { newTraceId, traceparentOf } from '../../lib/ids.ts';
import { CircuitBreaker } from '../../lib/interop/circuit-breaker.ts';
import { HttpPeerClient } from '../../lib/interop/peer-client.ts';
import { loadOrCreatePrivateKey } from '../../lib/signing/key-file.ts';
import { KmsSigner } from '../../lib/signing/kms-signer.ts';
import { type FakeKey, fakeKey, fakeKms, signDigest } from '../lib/signing/fake-kms.ts';
import { call, type TestFederation, testFederation } from '../support/federation.ts';
import { sampleIssue } from '../support/gateway.ts';

const SIGN_TIMEOUT_MS = 200;
/** What a verification may take beyond a KMS timeout: storage and the audit events. */
const MARGIN_MS = 2000;

type KmsMode = 'ok' | 'throttle' | 'hang';

/** A fake KMS over `key` whose Sign works, throttles like KMS, or never answers. */
function flakyKms(key: FakeKey) {
  const { client, mock } = fakeKms([key]);
  const state = { mode: 'ok' as KmsMode, signs: 0 };
  mock.on(SignCommand).callsFake((input: SignCommandInput) => {
    state.signs++;
    if (state.mode === 'throttle') {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' });
    }
    if (state.mode === 'hang') return new Promise(() => undefined);
    return {
      KeyId: key.arn,
      SigningAlgorithm: 'ECDSA_SHA_256',
      Signature: signDigest(key.privateKey, input.Message ?? new Uint8Array()),
    };
  });
  return { client, state };
}

describe('KmsSigner when KMS does not answer', () => {
  it('gives up on a Sign call after its timeout with DEPENDENCY_UNAVAILABLE', async () => {
    // Prepare
    const key = fakeKey('gw');
    const kms = flakyKms(key);
    const signer = await KmsSigner.create(kms.client, key.arn, 'gateway', { signTimeoutMs: SIGN_TIMEOUT_MS });
    kms.state.mode = 'hang';
    const started = Date.now();

    // Act
    const err = await signer.signDer(new TextEncoder().encode('x')).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
    expect((err as Error).cause).toMatchObject({
      message: `KMS Sign did not answer within ${SIGN_TIMEOUT_MS} ms`,
    });
    expect(Date.now() - started).toBeLessThan(SIGN_TIMEOUT_MS + 500);
  });
});

describe("verification when the gateway key's KMS fails", () => {
  let f: TestFederation;
  let identifier: string;
  let kms: ReturnType<typeof flakyKms>;
  let app: ProvinceApp;
  const breakerClock = fixedClock('2026-06-01T00:00:00Z');
  const breaker = new CircuitBreaker({ clock: breakerClock, failureThreshold: 1, openMs: 30_000 });

  beforeAll(async () => {
    f = await testFederation({ name: 'fk', provinces: ['310000', '330000'] });
    const issued = await call(f.province('310000'), 'issuer', '/v1/licenses', sampleIssue());
    expect(issued.status).toBe(201);
    identifier = IssueResponseSchema.parse(issued.body).identifier;

    // 330000 again, with its gateway key held by (fake) KMS: the key the registry publishes.
    const zj = f.province('330000').gateway;
    const privateKey = await loadOrCreatePrivateKey(join(f.dir, 'keys', '330000', 'gateway.jwk'));
    const key: FakeKey = { arn: fakeKey('gw').arn, privateKey, publicKey: createPublicKey(privateKey) };
    kms = flakyKms(key);
    const gatewayKey = await KmsSigner.create(kms.client, key.arn, 'gateway', {
      signTimeoutMs: SIGN_TIMEOUT_MS,
    });
    expect(gatewayKey.kid).toBe(zj.keys.gateway.kid);
    const caller = zj.withParts({
      keys: { ...zj.keys, gateway: gatewayKey },
      peers: new HttpPeerClient({
        self: zj.province,
        signer: gatewayKey,
        registry: zj.registry,
        auditStore: zj.auditStore,
        clock: zj.clock,
        breaker,
      }),
    });
    app = provinceApp(caller);
  });
  afterAll(async () => {
    await f?.stop();
  });

  /** A platform of 330000 verifies the 310000 license; returns the answer, its time and trace. */
  async function verify() {
    const traceId = newTraceId();
    const started = Date.now();
    const res = await app.request('/v1/verify', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${f.province('330000').tokens.platform}`,
        traceparent: traceparentOf(traceId),
      },
      body: JSON.stringify({ identifier, matterCode: 'DEMO0001', useCause: '窗口核验' }),
    });
    const ms = Date.now() - started;
    const body: unknown = await res.json();
    return { status: res.status, body, ms, traceId };
  }

  /** The audit events of one trace, as stored in the province's audit table. */
  async function eventsOf(province: '310000' | '330000', traceId: string) {
    const { doc, tables } = f.province(province).storage;
    const out = await doc.send(new ScanCommand({ TableName: tables.audit, ConsistentRead: true }));
    return (out.Items ?? []).filter((e) => e.traceId === traceId);
  }

  /**
   * A clear answer, promptly: 503 DEPENDENCY_UNAVAILABLE, this province's own failure, never a
   * 500 and never a verdict that blames the issuing province.
   */
  function expectClearRefusal(answer: Awaited<ReturnType<typeof verify>>, withinMs: number) {
    expect(answer.ms).toBeLessThan(withinMs);
    expect(answer.status).toBe(503);
    expect(ErrorBodySchema.parse(answer.body).error.code).toBe('DEPENDENCY_UNAVAILABLE');
  }

  /**
   * The attempt is on record as this province's signing failure, and nothing reached 310000: no
   * verify event records the call (the verification answered 503), so its own `interop.outbound` does.
   */
  async function expectSigningFailureOnRecord(traceId: string, cause: RegExp) {
    const events = await eventsOf('330000', traceId);
    expect(events.filter((e) => e.action === 'verify' && e.outcome === 'success')).toEqual([]);
    const outbound = events.find((e) => e.action === 'interop.outbound');
    expect(outbound).toMatchObject({
      outcome: 'error',
      peer: '310000',
      details: { error: 'signing failed' },
    });
    expect(outbound?.details.cause).toMatch(cause);
    expect(outbound?.details.jti).toBeUndefined();
    expect(await eventsOf('310000', traceId)).toEqual([]);
  }

  it('answers clearly and at once when KMS throttles the gateway key, and audits the attempt', async () => {
    kms.state.mode = 'throttle';

    const answer = await verify();

    expectClearRefusal(answer, MARGIN_MS);
    await expectSigningFailureOnRecord(answer.traceId, /ThrottlingException: Rate exceeded/);
    expect(breaker.state('310000')).toBe('closed');
  });

  it('answers clearly within the Sign timeout when KMS does not answer, and audits the attempt', async () => {
    kms.state.mode = 'hang';

    const answer = await verify();

    expectClearRefusal(answer, SIGN_TIMEOUT_MS + MARGIN_MS);
    await expectSigningFailureOnRecord(answer.traceId, /did not answer within 200 ms/);
  });

  it('does not leave the circuit stuck when its trial call cannot be signed', async () => {
    // Prepare: the circuit to 310000 opened, its pause is over, and the trial call fails to sign.
    breaker.permit('310000')?.failure();
    expect(breaker.state('310000')).toBe('open');
    breakerClock.set('2026-06-01T00:00:30Z');
    kms.state.mode = 'throttle';
    expectClearRefusal(await verify(), MARGIN_MS);

    // Act: KMS signs again.
    kms.state.mode = 'ok';
    const answer = await verify();

    // Assess: the call went out, 310000 answered, and the circuit closed.
    expect(answer.status).toBe(200);
    expect(VerifyResponseSchema.parse(answer.body).verdict).toBe('valid');
    // Answered: the verify event records the call, and no separate outbound event is written.
    const events = await eventsOf('330000', answer.traceId);
    expect(events.map((e) => e.action)).toEqual(['verify']);
    expect(events[0]).toMatchObject({ outcome: 'success', details: { direction: 'outbound', status: 200 } });
    expect(breaker.state('310000')).toBe('closed');
  });
});
