import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CompactSign, decodeProtectedHeader, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RegistryClaims } from '../../../contracts/registry.ts';
import { RegistryError } from '../../../lib/registry/errors.ts';
import { loadOrCreateRootKey, type RootKey, signRegistry } from '../../../lib/registry/sign-registry.ts';
import { verifyRegistry } from '../../../lib/registry/verify-registry.ts';
import { signCompactJws } from '../../../lib/signing/jws.ts';
import { claims, province, tempDir } from './fixtures.ts';

let root: RootKey;
let good: RegistryClaims;

beforeAll(async () => {
  root = await loadOrCreateRootKey(join(await tempDir(), 'root.jwk'));
  good = claims(7, [(await province('310000')).entry, (await province('330000')).entry]);
});

async function refusal(jws: string): Promise<RegistryError> {
  const err = await verifyRegistry(jws, root.publicJwk).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RegistryError)) throw new Error(`expected RegistryError, got ${String(err)}`);
  return err;
}

describe('signRegistry and verifyRegistry', () => {
  it('verifies a registry signed by the root key and returns its claims', async () => {
    // Prepare
    const jws = await signRegistry(root, good);

    // Act
    const verified = await verifyRegistry(jws, root.publicJwk);

    // Assess
    expect(verified).toEqual(good);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'ES256', kid: root.kid, typ: 'elg-registry+jwt' });
  });

  it('accepts the root key configured as a bare JWK without kid, alg or use', async () => {
    // Prepare
    const jws = await signRegistry(root, good);
    const { kty, crv, x, y } = root.publicJwk;

    // Act
    const verified = await verifyRegistry(jws, { kty, crv, x, y });

    // Assess
    expect(verified.seq).toBe(7);
  });

  it('refuses an unsigned registry (alg none)', async () => {
    // Prepare
    const jws = new UnsecuredJWT({ ...good }).encode();

    // Act
    const err = await refusal(jws);

    // Assess
    expect(err.code).toBe('REGISTRY_SIGNATURE_INVALID');
    expect(err.message).toMatch(/alg "none"/);
  });

  it('refuses a registry signed by another key', async () => {
    // Prepare
    const impostor = await loadOrCreateRootKey(join(await tempDir(), 'impostor.jwk'));
    const jws = await signRegistry(impostor, good);

    // Act
    const err = await refusal(jws);

    // Assess
    expect(err.code).toBe('REGISTRY_SIGNATURE_INVALID');
    expect(err.message).toBe('the registry signature does not verify against the configured root key');
  });

  it('refuses an HS256 registry keyed with the root public key', async () => {
    // Prepare
    const secret = new TextEncoder().encode(JSON.stringify(root.publicJwk));
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(good)))
      .setProtectedHeader({ alg: 'HS256', typ: 'elg-registry+jwt' })
      .sign(secret);

    // Act
    const err = await refusal(jws);

    // Assess
    expect(err.code).toBe('REGISTRY_SIGNATURE_INVALID');
  });

  it('refuses a registry whose altered payload no longer matches the signature', async () => {
    // Prepare
    const [h, , s] = (await signRegistry(root, good)).split('.');
    const altered = Buffer.from(JSON.stringify({ ...good, seq: 99 })).toString('base64url');

    // Act
    const err = await refusal(`${h}.${altered}.${s}`);

    // Assess
    expect(err.code).toBe('REGISTRY_SIGNATURE_INVALID');
  });

  it('refuses a root-signed document of another type', async () => {
    // Prepare
    const jws = await signCompactJws(root, { typ: 'elicense+jwt' }, good);

    // Act
    const err = await refusal(jws);

    // Assess
    expect(err.code).toBe('REGISTRY_MALFORMED');
    expect(err.message).toBe('the registry is not a strict compact JWS: typ must be elg-registry+jwt');
  });

  it.each([
    ['a negative seq', () => ({ seq: -1 }), /at seq:/],
    [
      'a district code as province id',
      () => ({ provinces: [{ ...firstProvince(), id: '310101' }] }),
      /provinces\.0\.id/,
    ],
    [
      'a key without purpose',
      () => ({ provinces: [withoutPurpose()] }),
      /provinces\.0\.jwks\.keys\.0\.purpose/,
    ],
    [
      'a province listed twice',
      () => ({ provinces: [firstProvince(), firstProvince()] }),
      /lists province 310000 twice/,
    ],
    ['a kid listed twice', () => ({ provinces: [withDuplicateKid()] }), /lists kid .* twice/],
  ])('refuses root-signed claims with %s', async (_name, change, message) => {
    // Prepare
    const jws = await signCompactJws(root, { typ: 'elg-registry+jwt' }, { ...good, ...change() });

    // Act
    const err = await refusal(jws);

    // Assess
    expect(err.code).toBe('REGISTRY_MALFORMED');
    expect(err.message).toMatch(message);
  });

  it.each([
    ['garbage', 'this is not a registry'],
    ['an empty document', ''],
    ['two parts', 'eyJhbGciOiJFUzI1NiJ9.e30'],
    ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln'],
  ])('refuses %s as malformed', async (_name, jws) => {
    // Act
    const err = await refusal(jws);

    // Assess
    expect(err.code).toBe('REGISTRY_MALFORMED');
  });

  it('refuses to sign claims that no gateway would accept', async () => {
    // Act
    const act = signRegistry(root, { ...good, seq: 1.5 });

    // Assess
    await expect(act).rejects.toThrow(TypeError);
  });

  it('keeps the root key in a 0600 file and reuses it', async () => {
    // Prepare
    const file = join(await tempDir(), 'root', 'root.jwk');

    // Act
    const first = await loadOrCreateRootKey(file);
    const second = await loadOrCreateRootKey(file);

    // Assess
    expect(second.publicJwk).toEqual(first.publicJwk);
    expect(first.publicJwk).not.toHaveProperty('d');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

function firstProvince() {
  const p = good.provinces[0];
  if (!p) throw new Error('fixture has no province');
  return p;
}

function withoutPurpose() {
  const p = firstProvince();
  return { ...p, jwks: { keys: p.jwks.keys.map(({ purpose: _purpose, ...k }) => k) } };
}

function withDuplicateKid() {
  const p = firstProvince();
  const [credential, gateway] = p.jwks.keys;
  if (!credential || !gateway) throw new Error('fixture has too few keys');
  return { ...p, jwks: { keys: [credential, { ...gateway, kid: credential.kid }] } };
}
