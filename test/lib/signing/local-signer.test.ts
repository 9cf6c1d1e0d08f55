import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { PublicJwkSchema } from '../../../contracts/keys.ts';
import { signCompactJws } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing, loadOrCreateLocalKey } from '../../../lib/signing/local-signer.ts';

const tempDir = () => mkdtemp(join(tmpdir(), 'elg-signing-'));

describe('LocalSigner', () => {
  it('makes a JWS that jose verifies against its published key', async () => {
    // Prepare
    const signer = await loadOrCreateLocalKey(join(await tempDir(), 'k.jwk'), 'credential');

    // Act
    const jws = await signCompactJws(signer, { typ: 'test+jwt' }, { hello: '世界' });

    // Assess
    const { payload, protectedHeader } = await compactVerify(
      jws,
      await importJWK(signer.publicJwk, 'ES256'),
      {
        algorithms: ['ES256'],
      },
    );
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: signer.kid, typ: 'test+jwt' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ hello: '世界' });
  });

  it('names its key by the RFC 7638 thumbprint and publishes alg, use and purpose', async () => {
    // Act
    const signer = await loadOrCreateLocalKey(join(await tempDir(), 'k.jwk'), 'audit');

    // Assess
    const { kty, crv, x, y } = signer.publicJwk;
    expect(signer.kid).toBe(await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256'));
    expect(PublicJwkSchema.parse(signer.publicJwk)).toEqual(signer.publicJwk);
    expect(signer.publicJwk).toMatchObject({ kid: signer.kid, alg: 'ES256', use: 'sig', purpose: 'audit' });
    expect(signer.publicJwk).not.toHaveProperty('d');
  });

  it('writes a new key with mode 0600 into created directories and reuses it on the next load', async () => {
    // Prepare
    const file = join(await tempDir(), 'nested', 'keys', 'k.jwk');

    // Act
    const first = await loadOrCreateLocalKey(file, 'gateway');
    const second = await loadOrCreateLocalKey(file, 'gateway');

    // Assess
    expect(second.kid).toBe(first.kid);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700);
  });

  it('creates one key when two loads race for the same file', async () => {
    // Prepare
    const file = join(await tempDir(), 'k.jwk');

    // Act
    const signers = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateLocalKey(file, 'gateway')));

    // Assess
    expect(new Set(signers.map((s) => s.kid)).size).toBe(1);
  });

  it('keeps three distinct keys per province across loads of the key ring', async () => {
    // Prepare
    const dir = await tempDir();

    // Act
    const first = await loadLocalKeyRing(dir);
    const second = await loadLocalKeyRing(dir);

    // Assess
    expect(new Set([first.credential.kid, first.gateway.kid, first.audit.kid]).size).toBe(3);
    expect([second.credential.kid, second.gateway.kid, second.audit.kid]).toEqual([
      first.credential.kid,
      first.gateway.kid,
      first.audit.kid,
    ]);
    expect(first.credential.purpose).toBe('credential');
    expect(first.gateway.purpose).toBe('gateway');
    expect(first.audit.purpose).toBe('audit');
    for (const name of ['credential.jwk', 'gateway.jwk', 'audit.jwk']) {
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
  });

  it('refuses a key file that is not a P-256 private JWK, without echoing its content', async () => {
    // Prepare
    const file = join(await tempDir(), 'k.jwk');
    await writeFile(file, JSON.stringify({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldA' }));

    // Act
    const act = loadOrCreateLocalKey(file, 'credential');

    // Assess
    await expect(act).rejects.toThrow(/is not a P-256 private JWK/);
    await expect(act).rejects.not.toThrow(/c2VjcmV0/);
    expect(await readFile(file, 'utf8')).toContain('oct');
  });

  it('refuses a key file whose public coordinates do not belong to its private key', async () => {
    // Prepare
    const dir = await tempDir();
    const a = JSON.parse(await readFileAfterCreate(join(dir, 'a.jwk')));
    const b = JSON.parse(await readFileAfterCreate(join(dir, 'b.jwk')));
    await writeFile(join(dir, 'mixed.jwk'), JSON.stringify({ ...a, d: b.d }));

    // Act
    const act = loadOrCreateLocalKey(join(dir, 'mixed.jwk'), 'credential');

    // Assess
    await expect(act).rejects.toThrow(/invalid P-256 key pair/);
  });
});

async function readFileAfterCreate(file: string): Promise<string> {
  await loadOrCreateLocalKey(file, 'credential');
  return readFile(file, 'utf8');
}
