import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InteropVerifyResponseSchema, SIGNATURE_HEADER } from '../../../contracts/interop.ts';
import { JwksSchema } from '../../../contracts/keys.ts';
import { type IssueResponse, IssueResponseSchema } from '../../../contracts/license.ts';
import { VerifyResponseSchema } from '../../../contracts/verify.ts';
import { seedYangtzeDeltaAlliance } from '../../../federation/seed-alliance.ts';
import { signRequest } from '../../../lib/interop/request-signature.ts';
import { loadOrCreateLocalKey } from '../../../lib/signing/local-signer.ts';
import type { Signer } from '../../../lib/signing/signer.ts';
import { sampleIssue } from '../../support/gateway.ts';
import { errorOf, httpApiEvent, httpFunction, type Invoke } from './apigw.ts';
import { type ProvinceKey, SH, startWorld, type World, ZJ } from './world.ts';

const json = { 'content-type': 'application/json' };
const use = { matterCode: 'DEMO0001', useCause: '窗口核验' };

/**
 * A key rotation across cold starts: functions started before it sign with the old keys;
 * functions started after it sign with the new ones, publish both, and accept both.
 */
describe('a KMS key rotation', () => {
  let world: World;
  let before: IssueResponse;
  let after: IssueResponse;
  let rotated: { old: ProvinceKey; current: ProvinceKey };
  let signsBeforeRotation: number;
  const fn = {} as Record<'issuance' | 'verification' | 'interop' | 'discovery', Invoke>;

  const issue = async (issuance: Invoke, number: string) => {
    const res = await issuance(
      httpApiEvent({
        method: 'POST',
        path: '/v1/licenses',
        headers: { ...json, authorization: `Bearer ${await world.token('issuer')}` },
        body: JSON.stringify(sampleIssue({ number })),
      }),
    );
    expect(res.statusCode).toBe(201);
    return IssueResponseSchema.parse(JSON.parse(res.body));
  };

  beforeAll(async () => {
    world = await startWorld();
    before = await issue(await httpFunction('issuance', world), '沪建安A(2025)000001');
    signsBeforeRotation = world.kmsCalls.sign.length;

    rotated = await world.rotate('credential');
    vi.resetModules();
    fn.issuance = await httpFunction('issuance', world);
    fn.verification = await httpFunction('verification', world);
    fn.interop = await httpFunction('interop', world);
    fn.discovery = await httpFunction('discovery', world);
    after = await issue(fn.issuance, '沪建安A(2026)000001');
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('signs new credentials with the new key only', () => {
    expect(decodeProtectedHeader(before.credential).kid).toBe(rotated.old.publicJwk.kid);
    expect(decodeProtectedHeader(after.credential).kid).toBe(rotated.current.publicJwk.kid);
    expect(world.kmsCalls.sign.slice(signsBeforeRotation)).not.toContain(rotated.old.arn);
  });

  it('publishes the new key as current and the old one beside it, both for credentials', async () => {
    const res = await fn.discovery(httpApiEvent({ method: 'GET', path: '/.well-known/jwks.json' }));

    const jwks = JwksSchema.parse(JSON.parse(res.body));
    expect(jwks.keys[0]).toEqual(rotated.current.publicJwk);
    expect(jwks.keys.at(-1)).toEqual(rotated.old.publicJwk);
    expect(jwks.keys.filter((k) => k.purpose === 'credential')).toHaveLength(2);
  });

  it.each([
    ['before', () => before],
    ['after', () => after],
  ])(
    'verifies a credential issued %s the rotation: the registry entry lists both keys',
    async (_, license) => {
      const res = await fn.verification(
        httpApiEvent({
          method: 'POST',
          path: '/v1/verify',
          headers: { ...json, authorization: `Bearer ${await world.token('platform')}` },
          body: JSON.stringify({ credential: license().credential, ...use }),
        }),
      );

      expect(res.statusCode).toBe(200);
      expect(VerifyResponseSchema.parse(JSON.parse(res.body))).toMatchObject({
        verdict: 'valid',
        status: '01',
      });
    },
  );

  describe('of a peer gateway key', () => {
    let next: Signer;

    beforeAll(async () => {
      next = await loadOrCreateLocalKey(
        join(await mkdtemp(join(tmpdir(), 'elg-zj-')), 'gateway.jwk'),
        'gateway',
      );
      await world.publishRegistry(
        (entry) => ({ ...entry, jwks: { keys: [...entry.jwks.keys, next.publicJwk] } }),
        ZJ,
      );
      vi.resetModules();
      fn.interop = await httpFunction('interop', world);
      await seedYangtzeDeltaAlliance([await world.operator(), world.peer.gateway], new Date());
    });

    const call = async (signer: Signer) => {
      const body = JSON.stringify({
        identifier: after.identifier,
        ...use,
        requester: { platform: 'zj-window' },
      });
      const { header } = await signRequest(signer, {
        iss: ZJ,
        aud: SH,
        method: 'POST',
        pathWithQuery: '/v1/interop/verify',
        body,
        traceId: randomBytes(16).toString('hex'),
        now: new Date(),
      });
      return fn.interop(
        httpApiEvent({
          method: 'POST',
          path: '/v1/interop/verify',
          headers: { ...json, [SIGNATURE_HEADER]: header },
          body,
        }),
      );
    };

    it('accepts calls signed with either gateway key the registry lists for 330000', async () => {
      for (const signer of [world.peer.keys.gateway, next]) {
        const res = await call(signer);
        expect(res.statusCode).toBe(200);
        expect(InteropVerifyResponseSchema.parse(JSON.parse(res.body)).identifier).toBe(after.identifier);
      }
    });

    it('still refuses a gateway key the registry does not list', async () => {
      const stranger = await loadOrCreateLocalKey(
        join(await mkdtemp(join(tmpdir(), 'elg-stranger-')), 'gateway.jwk'),
        'gateway',
      );

      const res = await call(stranger);

      expect(res.statusCode).toBe(401);
      expect(errorOf(res).code).toBe('SIGNATURE_INVALID');
    });
  });
});
