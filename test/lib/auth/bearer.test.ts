import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type BearerVerifier, createBearerVerifier } from '../../../lib/auth/bearer.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { DependencyUnavailableError, UnauthenticatedError } from '../../../lib/errors.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';

const ISSUER = 'https://idp.sh.example';
const AUDIENCE = 'elg-310000';
const NOW = new Date('2026-06-01T08:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);
const USCC = '113100000024601315';

let key: KeyObject;
let publicPem: string;
let verifier: BearerVerifier;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  key = generateP256PrivateKey();
  const jwk = { ...(await exportJWK(createPublicKey(key))), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  publicPem = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
  jwks = { keys: [jwk] };
  verifier = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, clock: fixedClock(NOW) });
});

function token(claims: JWTPayload = {}) {
  const standard = {
    sub: 'officer-7',
    iss: ISSUER,
    aud: AUDIENCE,
    iat: nowSeconds - 60,
    exp: nowSeconds + 600,
  };
  return new SignJWT({ roles: ['platform'], ...standard, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .sign(key);
}

async function refusal(authorization: string | undefined): Promise<UnauthenticatedError> {
  const err = await verifier.verify(authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof UnauthenticatedError))
    throw new Error(`expected UnauthenticatedError, got ${String(err)}`);
  expect(err).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  return err;
}

describe('createBearerVerifier', () => {
  it('turns a valid token into the principal with its known roles, uscc and name', async () => {
    // Prepare
    const jwt = await token({
      roles: ['issuer', 'platform', 'janitor', 'issuer'],
      uscc: USCC,
      name: '住建委',
    });

    // Act
    const principal = await verifier.verify(`Bearer ${jwt}`);

    // Assess
    expect(principal).toEqual({
      sub: 'officer-7',
      roles: ['issuer', 'platform'],
      uscc: USCC,
      name: '住建委',
    });
  });

  it('accepts a token whose exp is still ahead of the frozen clock', async () => {
    // Prepare
    const jwt = await token({ roles: ['auditor'], iat: undefined, exp: nowSeconds + 1 });

    // Act
    const principal = await verifier.verify(`Bearer ${jwt}`);

    // Assess
    expect(principal.roles).toEqual(['auditor']);
  });

  it.each([
    ['a missing header', undefined, /Authorization header is missing/],
    ['an empty header', '', /Authorization header is missing/],
    ['the Basic scheme', 'Basic b2ZmaWNlcjpzZWNyZXQ=', /must use the Bearer scheme/],
    ['a bearer without a token', 'Bearer ', /must use the Bearer scheme/],
    ['a token that is not a JWT', 'Bearer opaque-token', /must use the Bearer scheme/],
  ])('refuses %s', async (_name, header, message) => {
    // Act
    const err = await refusal(header);

    // Assess
    expect(err.message).toMatch(message);
  });

  it('refuses an expired token', async () => {
    // Prepare
    const jwt = await token({ exp: nowSeconds - 1 });

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toBe('the token has expired');
  });

  it('refuses a token that is not yet valid', async () => {
    // Prepare
    const jwt = await token({ nbf: nowSeconds + 120 });

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toBe('the token is not yet valid');
  });

  it('refuses a token without exp', async () => {
    // Prepare
    const jwt = await token({ exp: undefined });

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toBe('the token lacks the exp claim');
  });

  it.each([
    ['issuer', { iss: 'https://idp.zj.example' }, /wrong issuer/],
    ['audience', { aud: 'elg-330000' }, /another audience/],
  ])('refuses a token with the wrong %s', async (_name, claims, message) => {
    // Prepare
    const jwt = await token(claims);

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toMatch(message);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    // Prepare
    const [h, , s] = (await token()).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        sub: 'officer-7',
        roles: ['auditor'],
        iss: ISSUER,
        aud: AUDIENCE,
        exp: nowSeconds + 600,
      }),
    ).toString('base64url');

    // Act
    const err = await refusal(`Bearer ${h}.${forged}.${s}`);

    // Assess
    expect(err.message).toMatch(/bad signature/);
  });

  it('refuses an unsigned token (alg none)', async () => {
    // Prepare
    const jwt = new UnsecuredJWT({ roles: ['platform'] })
      .setSubject('a')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowSeconds + 600)
      .encode();

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toMatch(/algorithm is not allowed/);
  });

  it('refuses an HS256 token keyed with the published public key', async () => {
    // Prepare
    const jwt = await new SignJWT({ roles: ['platform'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'idp-1' })
      .setSubject('a')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowSeconds + 600)
      .sign(new TextEncoder().encode(publicPem));

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toMatch(/algorithm is not allowed/);
    expect(err.message).not.toContain('BEGIN PUBLIC KEY');
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    // Prepare
    const other = { privateKey: generateP256PrivateKey() };
    const jwt = await new SignJWT({ roles: ['platform'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-2' })
      .setSubject('a')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowSeconds + 600)
      .sign(other.privateKey);

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toMatch(/key the identity provider does not publish/);
  });

  it.each([
    ['no roles claim', { roles: undefined }, /no roles claim/],
    ['an empty roles array', { roles: [] }, /none of the roles/],
    ['only unknown roles', { roles: ['admin', 'root'] }, /none of the roles/],
    ['roles that are not an array', { roles: 'issuer' }, /no roles claim/],
    ['the issuer role without uscc', { roles: ['issuer'] }, /must carry its department's USCC/],
    ['a malformed uscc', { roles: ['issuer'], uscc: '12345' }, /not an 18-character USCC/],
    [
      'a lower-case uscc',
      { roles: ['issuer'], uscc: USCC.toLowerCase().replace(/\d$/, 'x') },
      /18-character/,
    ],
  ])('refuses a token with %s', async (_name, claims, message) => {
    // Prepare
    const jwt = await token(claims);

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toMatch(message);
  });

  it('refuses a token without sub', async () => {
    // Prepare
    const jwt = await token({ sub: undefined });

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toBe('the token lacks the sub claim');
  });

  it('fetches the provider keys from a JWKS URL', async () => {
    // Prepare
    const server = await serveJson(jwks);
    const remote = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: new URL(`${server.url}/jwks.json`),
      clock: fixedClock(NOW),
    });

    // Act
    const principal = await remote.verify(`Bearer ${await token()}`).finally(server.close);

    // Assess
    expect(principal.sub).toBe('officer-7');
  });

  it('answers DEPENDENCY_UNAVAILABLE, not 401, when the JWKS URL cannot be fetched', async () => {
    // Prepare
    const server = await serveJson(jwks, 500);
    const remote = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: new URL(`${server.url}/jwks.json`),
      clock: fixedClock(NOW),
    });

    // Act
    const act = remote.verify(`Bearer ${await token()}`).finally(server.close);

    // Assess
    await expect(act).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

async function serveJson(body: unknown, status = 200): Promise<{ url: string; close: () => void }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

describe('a token presented again', () => {
  const clock = fixedClock(NOW);
  let again: BearerVerifier;
  beforeAll(() => {
    again = createBearerVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks, clock });
  });
  const refusedBy = (v: BearerVerifier, authorization: string) =>
    v.verify(authorization).then(
      () => undefined,
      (e: unknown) => (e instanceof UnauthenticatedError ? e.message : String(e)),
    );

  it('gives the same principal each time, a copy of its own', async () => {
    const jwt = await token({ roles: ['platform', 'auditor'], name: '平台' });

    const first = await again.verify(`Bearer ${jwt}`);
    first.roles.push('issuer');
    const second = await again.verify(`Bearer ${jwt}`);

    expect(second).toEqual({ sub: 'officer-7', roles: ['platform', 'auditor'], name: '平台' });
    expect(second).not.toBe(first);
  });

  it('is refused once it has expired, and before it is valid, by the clock of each call', async () => {
    const jwt = await token({ nbf: nowSeconds - 10, exp: nowSeconds + 60 });
    await expect(again.verify(`Bearer ${jwt}`)).resolves.toMatchObject({ sub: 'officer-7' });

    clock.set(new Date((nowSeconds + 60) * 1000));
    const expired = await refusedBy(again, `Bearer ${jwt}`);
    clock.set(new Date((nowSeconds - 11) * 1000));
    const early = await refusedBy(again, `Bearer ${jwt}`);
    clock.set(NOW);
    const current = await again.verify(`Bearer ${jwt}`);

    expect(expired).toBe('the token has expired');
    expect(early).toBe('the token is not yet valid');
    expect(current.sub).toBe('officer-7');
  });

  it('is verified again once the key set has changed its key, and refused by the new one', async () => {
    // Prepare: a provider whose key set the gateway fetches, then replaces under the same kid.
    let served: { keys: JWK[] } = jwks;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const remote = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: new URL(`http://127.0.0.1:${address.port}/jwks.json`),
      clock,
    });
    const jwt = await token();
    const replaced = {
      ...(await exportJWK(createPublicKey(generateP256PrivateKey()))),
      kid: 'idp-1',
      alg: 'ES256',
      use: 'sig',
    };
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      await expect(remote.verify(`Bearer ${jwt}`)).resolves.toMatchObject({ sub: 'officer-7' });
      await expect(remote.verify(`Bearer ${jwt}`)).resolves.toMatchObject({ sub: 'officer-7' });

      // Act: the key set is fetched again once its copy is stale (10 minutes).
      served = { keys: [replaced] };
      vi.setSystemTime(Date.now() + 11 * 60_000);
      const refused = await refusedBy(remote, `Bearer ${jwt}`);

      // Assess
      expect(refused).toBe('the token signature does not verify (bad signature)');
    } finally {
      vi.useRealTimers();
      server.close();
    }
  });

  it('answers DEPENDENCY_UNAVAILABLE once the key set it was verified by can no longer be fetched', async () => {
    // Prepare: the provider's key set answers, then fails.
    let failing = false;
    let failedFetches = 0;
    const server = createServer((_req, res) => {
      if (failing) failedFetches++;
      if (failing) res.writeHead(500).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const remote = createBearerVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: new URL(`http://127.0.0.1:${address.port}/jwks.json`),
      clock,
    });
    const jwt = await token();
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      await expect(remote.verify(`Bearer ${jwt}`)).resolves.toMatchObject({ sub: 'officer-7' });

      // Act: the copy of the key set is stale, and fetching it again fails.
      failing = true;
      vi.setSystemTime(Date.now() + 11 * 60_000);
      const act = remote.verify(`Bearer ${jwt}`);

      // Assess: the key set was asked once, as a first verification asks it.
      await expect(act).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(failedFetches).toBe(1);
    } finally {
      vi.useRealTimers();
      server.close();
    }
  });
});

describe('the strict form of bearer tokens', () => {
  /** A token with exactly this header, signed by the identity provider's own key. */
  async function signedWith(header: Record<string, unknown>) {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const claims = { roles: ['platform'], sub: 'a', iss: ISSUER, aud: AUDIENCE, exp: nowSeconds + 600 };
    const input = `${b64({ alg: 'ES256', kid: 'idp-1', ...header })}.${b64(claims)}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  it('accepts a token signed by hand in the plain form (the cases below differ only in the header)', async () => {
    await expect(verifier.verify(`Bearer ${await signedWith({ typ: 'JWT' })}`)).resolves.toMatchObject({
      sub: 'a',
    });
  });

  it.each([
    ['jwk', { jwk: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } }],
    ['jku', { jku: 'https://evil.example/jwks' }],
    ['x5u', { x5u: 'https://evil.example/cert' }],
    ['x5c', { x5c: ['MIIB'] }],
    ['crit', { crit: ['exp'] }],
    ['b64', { b64: false, crit: ['b64'] }],
  ])('refuses a token whose header carries %s, even with a good signature', async (_name, header) => {
    // Prepare
    const jwt = await signedWith(header);

    // Act
    const err = await refusal(`Bearer ${jwt}`);

    // Assess
    expect(err.message).toMatch(/not allowed/);
  });

  /** The identity provider's key over exactly these payload bytes (claims checks the signer skips). */
  function signedPayload(payload: string) {
    const b64 = (v: string) => Buffer.from(v).toString('base64url');
    const input = `${b64(JSON.stringify({ alg: 'ES256', kid: 'idp-1' }))}.${b64(payload)}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }
  const claims = (extra: Record<string, unknown>) =>
    JSON.stringify({
      roles: ['platform'],
      sub: 'a',
      iss: ISSUER,
      aud: AUDIENCE,
      exp: nowSeconds + 600,
      ...extra,
    });

  it.each([
    ['a claims set that is an array', JSON.stringify([claims({})]), 'the token is malformed'],
    ['a claims set that is not JSON', '{"sub":', 'the token is malformed'],
    ['a string exp', claims({ exp: String(nowSeconds + 600) }), 'the token exp claim is invalid'],
    ['an exp of this very second', claims({ exp: nowSeconds }), 'the token has expired'],
    ['a string nbf', claims({ nbf: String(nowSeconds) }), 'the token is not yet valid'],
    ['an nbf a second ahead', claims({ nbf: nowSeconds + 1 }), 'the token is not yet valid'],
    ['a string iat', claims({ iat: 'yesterday' }), 'the token iat claim is invalid'],
    [
      'an audience list without this gateway',
      claims({ aud: ['elg-330000'] }),
      'the token is meant for another audience',
    ],
    [
      'an issuer that is no string',
      claims({ iss: [ISSUER] }),
      'the token was issued by another identity provider (wrong issuer)',
    ],
  ])('refuses, signed by the provider, %s', async (_name, payload, message) => {
    const err = await refusal(`Bearer ${signedPayload(payload)}`);

    expect(err.message).toBe(message);
  });

  it('accepts an audience list that names this gateway, and an nbf now', async () => {
    const jwt = signedPayload(claims({ aud: ['elg-330000', AUDIENCE], nbf: nowSeconds }));

    await expect(verifier.verify(`Bearer ${jwt}`)).resolves.toMatchObject({ sub: 'a' });
  });

  it('refuses a signature of another length than ES256 gives', async () => {
    const [h, p] = signedPayload(claims({})).split('.');
    const short = Buffer.alloc(48, 1).toString('base64url');

    const err = await refusal(`Bearer ${h}.${p}.${short}`);

    expect(err.message).toMatch(/bad signature/);
  });

  it('refuses a token whose signature segment is not canonical base64url', async () => {
    // Prepare: 64 bytes end in a character with 2 unused bits; flipping one keeps the bytes.
    const [h, p, s = ''] = (await token()).split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1) ?? 'A') ^ 1]}`;
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(s, 'base64url'));

    // Act
    const err = await refusal(`Bearer ${h}.${p}.${respelled}`);

    // Assess
    expect(err.message).toMatch(/canonical base64url/);
  });
});
