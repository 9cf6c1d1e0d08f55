import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createBearerVerifier } from '../../../lib/auth/bearer.ts';
import { DevIdentityProvider } from '../../../lib/auth/dev-idp.ts';
import { fixedClock } from '../../../lib/clock.ts';

const ISSUER = 'http://127.0.0.1:8310/dev-idp';
const AUDIENCE = 'elg-310000';
const NOW = '2026-06-01T08:00:00Z';

const idpFile = async () => join(await mkdtemp(join(tmpdir(), 'elg-idp-')), 'idp', '310000.jwk');

describe('DevIdentityProvider', () => {
  it('mints ES256 tokens that the bearer verifier turns into the principal', async () => {
    // Prepare
    const idp = await DevIdentityProvider.loadOrCreate(await idpFile());
    const clock = fixedClock(NOW);
    const verifier = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: idp.jwks, clock });

    // Act
    const jwt = await idp.mint({
      sub: 'dev-issuer@310000',
      roles: ['issuer'],
      uscc: '113100000024601315',
      name: '上海市住房和城乡建设管理委员会',
      ttlSeconds: 3600,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now(),
    });

    // Assess
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: idp.kid, typ: 'JWT' });
    await expect(verifier.verify(`Bearer ${jwt}`)).resolves.toEqual({
      sub: 'dev-issuer@310000',
      roles: ['issuer'],
      uscc: '113100000024601315',
      name: '上海市住房和城乡建设管理委员会',
    });
  });

  it('mints tokens that expire after ttlSeconds', async () => {
    // Prepare
    const idp = await DevIdentityProvider.loadOrCreate(await idpFile());
    const clock = fixedClock(NOW);
    const verifier = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: idp.jwks, clock });
    const jwt = await idp.mint({
      sub: 's',
      roles: ['auditor'],
      ttlSeconds: 60,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: clock.now(),
    });

    // Act
    clock.set('2026-06-01T08:01:00Z');
    const act = verifier.verify(`Bearer ${jwt}`);

    // Assess
    await expect(act).rejects.toThrow('the token has expired');
  });

  it('keeps its key in a 0600 file and publishes the same JWKS on the next start', async () => {
    // Prepare
    const file = await idpFile();

    // Act
    const first = await DevIdentityProvider.loadOrCreate(file);
    const second = await DevIdentityProvider.loadOrCreate(file);

    // Assess
    expect(second.jwks).toEqual(first.jwks);
    expect(first.jwks.keys).toHaveLength(1);
    expect(first.jwks.keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      kid: first.kid,
      alg: 'ES256',
      use: 'sig',
    });
    expect(first.jwks.keys[0]).not.toHaveProperty('d');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a non-positive ttl as a programming error', async () => {
    // Prepare
    const idp = await DevIdentityProvider.loadOrCreate(await idpFile());

    // Act
    const act = idp.mint({
      sub: 's',
      roles: ['platform'],
      ttlSeconds: 0,
      issuer: ISSUER,
      audience: AUDIENCE,
    });

    // Assess
    await expect(act).rejects.toThrow(TypeError);
  });
});
