import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { JwksSchema } from '../../../contracts/keys.ts';
import { jwksOf, publicKeyCache, signCompactJws } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';

const ring = async () => loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-jws-')));

describe('signCompactJws', () => {
  it('makes the protected header exactly alg ES256, the signer kid and typ', async () => {
    // Prepare
    const keys = await ring();

    // Act
    const jws = await signCompactJws(keys.gateway, { typ: 'x+jwt' }, { a: 1 });

    // Assess
    const [header] = jws.split('.');
    expect(Object.keys(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()))).toEqual([
      'alg',
      'kid',
      'typ',
    ]);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: keys.gateway.kid, typ: 'x+jwt' });
  });

  it.each([{ alg: 'none' }, { kid: 'someone-else' }, { cty: 'json' }, { b64: false }])(
    'refuses a header that sets %o',
    async (override) => {
      // Prepare
      const keys = await ring();

      // Act
      const act = signCompactJws(keys.credential, { typ: 'x+jwt', ...override } as { typ: string }, {});

      // Assess
      await expect(act).rejects.toThrow(TypeError);
    },
  );

  it('makes a signature that fails verification once the payload is altered', async () => {
    // Prepare
    const keys = await ring();
    const jws = await signCompactJws(keys.credential, { typ: 'x+jwt' }, { n: 1 });
    const [h, , s] = jws.split('.');
    const tampered = `${h}.${Buffer.from('{"n":2}').toString('base64url')}.${s}`;
    const key = publicKeyCache().get(keys.credential.publicJwk);

    // Act
    const act = compactVerify(tampered, key, { algorithms: ['ES256'] });

    // Assess
    await expect(act).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });
});

describe('jwksOf', () => {
  it('publishes the four public keys with their purposes and no private members', async () => {
    // Prepare
    const keys = await ring();

    // Act
    const jwks = jwksOf(keys);

    // Assess
    expect(JwksSchema.parse(jwks)).toEqual(jwks);
    expect(jwks.keys.map((k) => k.purpose)).toEqual(['credential', 'gateway', 'audit', 'witness']);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });
});

describe('publicKeyCache', () => {
  it('imports a key once and serves jose verification from the cache', async () => {
    // Prepare
    const keys = await ring();
    const cache = publicKeyCache();
    const jws = await signCompactJws(keys.audit, { typ: 'x+jwt' }, { ok: true });

    // Act
    const first = cache.get(keys.audit.publicJwk);
    const second = cache.get({ ...keys.audit.publicJwk });

    // Assess
    expect(second).toBe(first);
    expect(cache.size).toBe(1);
    await expect(compactVerify(jws, first, { algorithms: ['ES256'] })).resolves.toBeDefined();
  });

  it('does not serve a cached key for a different key that reuses the kid', async () => {
    // Prepare
    const keys = await ring();
    const cache = publicKeyCache();
    const original = cache.get(keys.audit.publicJwk);

    // Act
    const impostor = cache.get({ ...keys.gateway.publicJwk, kid: keys.audit.kid });

    // Assess
    expect(impostor).not.toBe(original);
    expect(impostor.equals(original)).toBe(false);
  });
});
