import { randomBytes } from 'node:crypto';
import { compactVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgreementViewSchema } from '../../../contracts/agreement.ts';
import { AuditEventsPageSchema, HolderHashResponseSchema } from '../../../contracts/audit-api.ts';
import { InteropVerifyResponseSchema, SIGNATURE_HEADER } from '../../../contracts/interop.ts';
import { JwksSchema } from '../../../contracts/keys.ts';
import { IssueResponseSchema, LicenseResponseSchema } from '../../../contracts/license.ts';
import { VerifyResponseSchema } from '../../../contracts/verify.ts';
import { seedYangtzeDeltaAlliance } from '../../../federation/seed-alliance.ts';
import { functionSpec } from '../../../functions/catalog.ts';
import { holderHash } from '../../../lib/audit/holder-hash.ts';
import { verifyReceipt } from '../../../lib/interop/receipt.ts';
import { signRequest } from '../../../lib/interop/request-signature.ts';
import { sampleIssue } from '../../support/gateway.ts';
import {
  errorOf,
  type HttpFunction,
  healthzEvent,
  httpApiEvent,
  httpFunction,
  type Invoke,
} from './apigw.ts';
import { SH, startWorld, type World, ZJ } from './world.ts';

const json = { 'content-type': 'application/json' };
const use = { matterCode: 'DEMO0001', useCause: '窗口核验' };

describe('the HTTP functions behind API Gateway (payload format 2.0)', () => {
  let world: World;
  const fn = {} as Record<HttpFunction, Invoke>;
  /** The public keys each function read from KMS at its cold start. */
  const readAtStart = {} as Record<HttpFunction, string[]>;
  let issued: ReturnType<typeof IssueResponseSchema.parse>;

  beforeAll(async () => {
    world = await startWorld({ previous: ['credential'] });
    // Cold starts, one after another as Lambda might run them, each with its own environment.
    for (const name of ['issuance', 'verification', 'interop', 'agreements', 'audit', 'discovery'] as const) {
      const before = world.kmsCalls.getPublicKey.length;
      fn[name] = await httpFunction(name, world);
      readAtStart[name] = world.kmsCalls.getPublicKey.slice(before);
    }

    const res = await fn.issuance(
      httpApiEvent({
        method: 'POST',
        path: '/v1/licenses',
        headers: { ...json, authorization: `Bearer ${await world.token('issuer')}` },
        body: JSON.stringify(sampleIssue()),
      }),
    );
    expect(res.statusCode).toBe(201);
    issued = IssueResponseSchema.parse(JSON.parse(res.body));
  });
  afterAll(async () => {
    await world?.stop();
  });

  describe('discovery', () => {
    it('answers the recorded health probe with its dependencies up', async () => {
      const res = await fn.discovery(healthzEvent());

      expect(res.statusCode).toBe(200);
      expect(res.isBase64Encoded).toBe(false);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(JSON.parse(res.body)).toMatchObject({
        status: 'ok',
        province: SH,
        dependencies: { storage: 'up', registry: { seq: 1 } },
      });
    });

    it('publishes the four KMS keys and the earlier credential key, each with its purpose', async () => {
      const res = await fn.discovery(httpApiEvent({ method: 'GET', path: '/.well-known/jwks.json' }));

      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      const jwks = JwksSchema.parse(JSON.parse(res.body));
      const [previous] = world.previous;
      expect(jwks.keys).toEqual([
        world.keys.credential.publicJwk,
        world.keys.gateway.publicJwk,
        world.keys.audit.publicJwk,
        world.keys.witness.publicJwk,
        previous?.publicJwk,
      ]);
      expect(jwks.keys.map((k) => k.purpose)).toEqual([
        'credential',
        'gateway',
        'audit',
        'witness',
        'credential',
      ]);
    });

    it('leaves the earlier keys to discovery: every other function reads only the keys it signs with', () => {
      const previousArn = world.previous[0]?.arn ?? '';
      const current = Object.values(world.keys).map((k) => k.arn);

      for (const name of ['issuance', 'verification', 'interop', 'agreements', 'audit'] as const) {
        const signsWith = functionSpec(name).signsWith.map((p) => world.keys[p].arn);
        expect(readAtStart[name], name).toEqual(signsWith);
      }
      expect(new Set(readAtStart.discovery)).toEqual(new Set([...current, previousArn]));
      expect(readAtStart.discovery.at(-1)).toBe(previousArn);
      expect(world.kmsCalls.sign).not.toContain(previousArn);
    });

    it('answers a route no function serves ($default) with 404 in the error shape', async () => {
      const event = httpApiEvent({ method: 'GET', path: '/v2/nothing?x=1' });
      expect(event.routeKey).toBe('$default');

      const res = await fn.discovery(event);

      expect(res.statusCode).toBe(404);
      const error = errorOf(res);
      expect(error.code).toBe('NOT_FOUND');
      expect(res.headers.traceparent).toContain(error.traceId);
    });
  });

  describe('issuance', () => {
    it('issued a credential signed by the KMS credential key, and reads the license back', async () => {
      const signed = await compactVerify(issued.credential, world.keys.credential.publicKey);
      expect(signed.protectedHeader).toMatchObject({
        kid: world.keys.credential.publicJwk.kid,
        typ: 'elicense+jwt',
      });

      const res = await fn.issuance(
        httpApiEvent({
          method: 'GET',
          path: `/v1/licenses/${issued.identifier}`,
          headers: { authorization: `Bearer ${await world.token('platform')}` },
        }),
      );

      expect(res.statusCode).toBe(200);
      expect(LicenseResponseSchema.parse(JSON.parse(res.body)).license.identifier).toBe(issued.identifier);
    });

    it('takes a base64-encoded body as API Gateway passes it', async () => {
      const res = await fn.issuance(
        httpApiEvent({
          method: 'POST',
          path: '/v1/licenses',
          headers: { ...json, authorization: `Bearer ${await world.token('issuer')}` },
          body: JSON.stringify(sampleIssue({ number: '沪建安A(2026)000777' })),
          base64: true,
        }),
      );

      expect(res.statusCode).toBe(201);
      const body = IssueResponseSchema.parse(JSON.parse(res.body));
      expect(body.license.number).toBe('沪建安A(2026)000777');
      expect(res.headers.location).toBe(`/v1/licenses/${body.identifier}`);
    });

    it('refuses a call without a token: 401 UNAUTHENTICATED', async () => {
      const res = await fn.issuance(
        httpApiEvent({
          method: 'POST',
          path: '/v1/licenses',
          headers: json,
          body: JSON.stringify(sampleIssue()),
        }),
      );

      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('UNAUTHENTICATED');
    });

    it('refuses a platform token where an issuer is needed: 403 FORBIDDEN', async () => {
      const res = await fn.issuance(
        httpApiEvent({
          method: 'POST',
          path: '/v1/licenses',
          headers: { ...json, authorization: `Bearer ${await world.token('platform')}` },
          body: JSON.stringify(sampleIssue()),
        }),
      );

      expect(res.statusCode).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
    });

    it('refuses an invalid body with the field issues: 400 INVALID_REQUEST', async () => {
      const res = await fn.issuance(
        httpApiEvent({
          method: 'POST',
          path: '/v1/licenses',
          headers: { ...json, authorization: `Bearer ${await world.token('issuer')}` },
          body: JSON.stringify(sampleIssue({ areaCode: 'nowhere' })),
        }),
      );

      expect(res.statusCode).toBe(400);
      const error = errorOf(res);
      expect(error.code).toBe('INVALID_REQUEST');
      expect(JSON.stringify(error.issues)).toContain('areaCode');
    });

    it('refuses a body over ELG_MAX_BODY_BYTES: 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await fn.issuance(
        httpApiEvent({
          method: 'POST',
          path: '/v1/licenses',
          headers: { ...json, authorization: `Bearer ${await world.token('issuer')}` },
          body: JSON.stringify(sampleIssue({ fields: { note: 'x'.repeat(5000) } })),
        }),
      );

      expect(res.statusCode).toBe(413);
      expect(errorOf(res).code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('verification', () => {
    it('finds the credential it issued valid', async () => {
      const res = await fn.verification(
        httpApiEvent({
          method: 'POST',
          path: '/v1/verify',
          headers: { ...json, authorization: `Bearer ${await world.token('platform')}` },
          body: JSON.stringify({ credential: issued.credential, ...use }),
        }),
      );

      expect(res.statusCode).toBe(200);
      const answer = VerifyResponseSchema.parse(JSON.parse(res.body));
      expect(answer).toMatchObject({ verdict: 'valid', identifier: issued.identifier, status: '01' });
    });
  });

  describe('interop', () => {
    const path = '/v1/interop/verify';
    const body = () =>
      JSON.stringify({ identifier: issued.identifier, ...use, requester: { platform: 'zj-window' } });

    it('answers a call signed by 330000 with the shared license and a receipt by the KMS gateway key', async () => {
      await seedYangtzeDeltaAlliance([await world.operator(), world.peer.gateway], new Date());
      const traceId = randomBytes(16).toString('hex');
      const text = body();
      const { header, jti } = await signRequest(world.peer.keys.gateway, {
        iss: ZJ,
        aud: SH,
        method: 'POST',
        pathWithQuery: path,
        body: text,
        traceId,
        now: new Date(),
      });

      const res = await fn.interop(
        httpApiEvent({
          method: 'POST',
          path,
          headers: { ...json, [SIGNATURE_HEADER]: header, traceparent: `00-${traceId}-${'1'.repeat(16)}-01` },
          body: text,
        }),
      );

      expect(res.statusCode).toBe(200);
      const answer = InteropVerifyResponseSchema.parse(JSON.parse(res.body));
      expect(answer).toMatchObject({ identifier: issued.identifier, status: '01' });
      const receipt = await verifyReceipt(res.headers['elg-receipt'], {
        peer: SH,
        self: ZJ,
        rjti: jti,
        body: res.body,
        status: 200,
        traceId,
        registry: world.peer.gateway.registry,
      });
      expect(receipt.iss).toBe(SH);
    });

    it('refuses an unsigned call: 401 SIGNATURE_INVALID', async () => {
      const res = await fn.interop(httpApiEvent({ method: 'POST', path, headers: json, body: body() }));

      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('SIGNATURE_INVALID');
    });
  });

  describe('agreements', () => {
    it('lists the agreements this province holds to an operator', async () => {
      const res = await fn.agreements(
        httpApiEvent({
          method: 'GET',
          path: '/v1/agreements',
          headers: { authorization: `Bearer ${await world.token('operator')}` },
        }),
      );

      expect(res.statusCode).toBe(200);
      const { items } = JSON.parse(res.body) as { items: unknown[] };
      const views = items.map((i) => AgreementViewSchema.parse(i));
      expect(views.some((v) => v.state === 'active' && v.parties.includes(ZJ))).toBe(true);
    });
  });

  describe('audit', () => {
    it("answers an auditor's query for the issued license's events", async () => {
      const res = await fn.audit(
        httpApiEvent({
          method: 'GET',
          path: `/v1/audit/events?identifier=${encodeURIComponent(issued.identifier)}&action=license.issue`,
          headers: { authorization: `Bearer ${await world.token('auditor')}` },
        }),
      );

      expect(res.statusCode).toBe(200);
      const page = AuditEventsPageSchema.parse(JSON.parse(res.body));
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({
        action: 'license.issue',
        identifier: issued.identifier,
        province: SH,
      });
    });

    it('hashes holders with the key held in Secrets Manager', async () => {
      const holder = sampleIssue().holder;

      const res = await fn.audit(
        httpApiEvent({
          method: 'POST',
          path: '/v1/audit/holder-hash',
          headers: { ...json, authorization: `Bearer ${await world.token('auditor')}` },
          body: JSON.stringify({ holderTypeCode: holder.typeCode, holderCode: holder.code }),
        }),
      );

      expect(res.statusCode).toBe(200);
      const key = Buffer.from(world.holderHashSecret() ?? '', 'hex');
      expect(HolderHashResponseSchema.parse(JSON.parse(res.body)).holderHash).toBe(
        holderHash(key, holder.typeCode, holder.code),
      );
    });

    it('refuses an issuer token: 403 FORBIDDEN', async () => {
      const res = await fn.audit(
        httpApiEvent({
          method: 'GET',
          path: '/v1/audit/checkpoint',
          headers: { authorization: `Bearer ${await world.token('issuer')}` },
        }),
      );

      expect(res.statusCode).toBe(403);
      expect(errorOf(res).code).toBe('FORBIDDEN');
    });
  });
});
