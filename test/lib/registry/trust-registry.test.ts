import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeyPurpose } from '../../../contracts/keys.ts';
import type { RegistryClaims, RegistryProvince } from '../../../contracts/registry.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { KeyResolutionError, RegistryError } from '../../../lib/registry/errors.ts';
import { loadOrCreateRootKey, type RootKey, signRegistry } from '../../../lib/registry/sign-registry.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { signCompactJws } from '../../../lib/signing/jws.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { claims, province, tempDir } from './fixtures.ts';

let root: RootKey;
let shanghai: { entry: RegistryProvince; keys: KeyRing };
let zhejiang: { entry: RegistryProvince; keys: KeyRing };
let jiangsu: { entry: RegistryProvince; keys: KeyRing };
const NOW = '2026-06-01T08:00:00.000Z';
type Args = readonly [provinceId: string, kid: string, purpose: KeyPurpose];

beforeAll(async () => {
  root = await loadOrCreateRootKey(join(await tempDir(), 'root.jwk'));
  shanghai = await province('310000');
  zhejiang = await province('330000');
  jiangsu = await province('320000', { status: 'suspended' });
});

const registryOf = (seq: number, provinces = [shanghai.entry, zhejiang.entry]): RegistryClaims =>
  claims(seq, provinces);

async function registryFile(seq: number): Promise<string> {
  const file = join(await tempDir(), 'registry.jwt');
  await writeFile(file, await signRegistry(root, registryOf(seq)));
  return file;
}

describe('TrustRegistry.load', () => {
  it('loads a root-signed registry from a file', async () => {
    // Prepare
    const source = await registryFile(3);

    // Act
    const registry = await TrustRegistry.load({
      source,
      rootPublicJwk: root.publicJwk,
      clock: fixedClock(NOW),
    });

    // Assess
    expect(registry.provinces().map((p) => p.id)).toEqual(['310000', '330000']);
    expect(registry.province('330000')).toEqual(zhejiang.entry);
    expect(registry.province('440000')).toBeUndefined();
    expect(registry.status()).toEqual({ seq: 3, iat: registryOf(3).iat, loadedAt: NOW, from: 'source' });
  });

  it.each([
    ['a missing file', async () => join(await tempDir(), 'absent.jwt'), 'REGISTRY_UNAVAILABLE'],
    [
      'a registry signed by another key',
      async () => {
        const file = join(await tempDir(), 'r.jwt');
        const impostor = await loadOrCreateRootKey(join(await tempDir(), 'impostor.jwk'));
        await writeFile(file, await signRegistry(impostor, registryOf(1)));
        return file;
      },
      'REGISTRY_SIGNATURE_INVALID',
    ],
    [
      'garbage',
      async () => {
        const file = join(await tempDir(), 'r.jwt');
        await writeFile(file, '{"provinces": []}');
        return file;
      },
      'REGISTRY_MALFORMED',
    ],
  ])('fails at start with %s', async (_name, source, code) => {
    // Act
    const act = TrustRegistry.load({ source: await source(), rootPublicJwk: root.publicJwk });

    // Assess
    await expect(act).rejects.toBeInstanceOf(RegistryError);
    await expect(act).rejects.toMatchObject({ code });
  });
});

describe('TrustRegistry.refresh', () => {
  it('moves to a newer registry', async () => {
    // Prepare
    const source = await registryFile(1);
    const clock = fixedClock(NOW);
    const registry = await TrustRegistry.load({ source, rootPublicJwk: root.publicJwk, clock });
    await writeFile(source, await signRegistry(root, registryOf(2, [shanghai.entry])));
    clock.set('2026-06-01T08:05:00.000Z');

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toEqual({ ok: true, updated: true });
    expect(registry.provinces().map((p) => p.id)).toEqual(['310000']);
    expect(registry.status()).toEqual({
      seq: 2,
      iat: registryOf(2).iat,
      loadedAt: '2026-06-01T08:05:00.000Z',
      from: 'source',
      lastRefreshAt: '2026-06-01T08:05:00.000Z',
    });
  });

  it('keeps the last good copy when the file is rewritten with garbage', async () => {
    // Prepare
    const source = await registryFile(5);
    const clock = fixedClock(NOW);
    const registry = await TrustRegistry.load({ source, rootPublicJwk: root.publicJwk, clock });
    await writeFile(source, 'garbage');
    clock.set('2026-06-01T08:05:00.000Z');

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'REGISTRY_MALFORMED' } });
    expect(registry.status()).toEqual({
      seq: 5,
      iat: registryOf(5).iat,
      loadedAt: NOW,
      from: 'source',
      lastRefreshAt: '2026-06-01T08:05:00.000Z',
      lastError: {
        code: 'REGISTRY_MALFORMED',
        message: 'the registry is not a strict compact JWS: not a compact JWS of three segments',
        at: '2026-06-01T08:05:00.000Z',
      },
    });
    await expect(registry.resolveKey('330000', zhejiang.keys.gateway.kid, 'gateway')).resolves.toBeDefined();
  });

  it('refuses an older registry and keeps the newer copy', async () => {
    // Prepare
    const source = await registryFile(5);
    const registry = await TrustRegistry.load({ source, rootPublicJwk: root.publicJwk });
    await writeFile(source, await signRegistry(root, registryOf(4, [shanghai.entry])));

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'REGISTRY_STALE' } });
    expect(registry.status().lastError?.message).toBe(
      'the source offers registry seq 4, older than the cached seq 5',
    );
    expect(registry.status().seq).toBe(5);
    expect(registry.province('330000')).toBeDefined();
  });

  it('clears the last error once a refresh succeeds again', async () => {
    // Prepare
    const source = await registryFile(5);
    const registry = await TrustRegistry.load({ source, rootPublicJwk: root.publicJwk });
    const good = await signRegistry(root, registryOf(5));
    await writeFile(source, 'garbage');
    await registry.refresh();
    await writeFile(source, good);

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toEqual({ ok: true, updated: false });
    expect(registry.status().lastError).toBeUndefined();
  });

  it('is a no-op for a registry made from claims', async () => {
    // Prepare
    const registry = TrustRegistry.fromClaims(registryOf(1));

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toEqual({ ok: true, updated: false });
  });
});

describe('TrustRegistry over HTTP', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function serve(state: { status: number; body: string }): Promise<string> {
    server = createServer((_req, res) =>
      res.writeHead(state.status, { 'content-type': 'application/jwt' }).end(state.body),
    );
    const s = server;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `http://127.0.0.1:${address.port}/registry.jwt`;
  }

  it('keeps the last good copy while the server answers 500', async () => {
    // Prepare
    const state = { status: 200, body: await signRegistry(root, registryOf(8)) };
    const source = await serve(state);
    const registry = await TrustRegistry.load({ source, rootPublicJwk: root.publicJwk });
    state.status = 500;

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'REGISTRY_UNAVAILABLE' } });
    expect(registry.status().lastError?.message).toBe(`the registry at ${source} answered HTTP 500`);
    expect(registry.status().seq).toBe(8);
  });

  it('keeps the last good copy while the server is unreachable', async () => {
    // Prepare
    const source = await serve({ status: 200, body: await signRegistry(root, registryOf(8)) });
    const registry = await TrustRegistry.load({ source, rootPublicJwk: root.publicJwk });
    await new Promise<void>((resolve) => server?.close(() => resolve()));

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toMatchObject({ ok: false, error: { code: 'REGISTRY_UNAVAILABLE' } });
    expect(registry.status().lastError?.message).toBe(`the registry at ${source} cannot be reached`);
    expect(registry.provinces()).toHaveLength(2);
  });

  it('uses the fetch it is given', async () => {
    // Prepare
    const body = await signRegistry(root, registryOf(9));
    const fetch = vi.fn(async () => new Response(body, { status: 200 }));

    // Act
    const registry = await TrustRegistry.load({
      source: 'https://registry.example/registry.jwt',
      rootPublicJwk: root.publicJwk,
      fetch,
    });

    // Assess
    expect(registry.status().seq).toBe(9);
    expect(fetch).toHaveBeenCalledWith('https://registry.example/registry.jwt', expect.any(Object));
  });
});

describe('TrustRegistry timer', () => {
  afterEach(() => vi.useRealTimers());

  it('refreshes on the interval between start() and stop()', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const source = await registryFile(1);
    const registry = await TrustRegistry.load({
      source,
      rootPublicJwk: root.publicJwk,
      refreshIntervalMs: 60_000,
    });
    const refresh = vi.spyOn(registry, 'refresh');

    // Act
    registry.start();
    registry.start();
    await vi.advanceTimersByTimeAsync(120_000);
    registry.stop();
    await vi.advanceTimersByTimeAsync(120_000);

    // Assess
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});

describe('TrustRegistry.resolveKey', () => {
  const registry = () =>
    TrustRegistry.fromClaims(registryOf(1, [shanghai.entry, zhejiang.entry, jiangsu.entry]));

  it("returns the province's key, which verifies what that key signed", async () => {
    // Prepare
    const jws = await signCompactJws(zhejiang.keys.credential, { typ: 'elicense+jwt' }, { iss: '330000' });

    // Act
    const key = await registry().resolveKey('330000', zhejiang.keys.credential.kid, 'credential');

    // Assess
    await expect(compactVerify(jws, key, { algorithms: ['ES256'] })).resolves.toBeDefined();
  });

  it('imports each key once per registry version', async () => {
    // Prepare
    const r = registry();

    // Act
    const first = await r.resolveKey('310000', shanghai.keys.gateway.kid, 'gateway');
    const second = await r.resolveKey('310000', shanghai.keys.gateway.kid, 'gateway');

    // Assess
    expect(second).toBe(first);
  });

  it.each([
    [
      'UNKNOWN_ISSUER',
      'a province not in the registry',
      (): Args => ['440000', shanghai.keys.credential.kid, 'credential'],
      /"440000" is not a province/,
    ],
    [
      'UNKNOWN_ISSUER',
      'a suspended province',
      (): Args => ['320000', jiangsu.keys.credential.kid, 'credential'],
      /320000 is suspended/,
    ],
    [
      'UNKNOWN_KEY',
      "another province's kid",
      (): Args => ['310000', zhejiang.keys.credential.kid, 'credential'],
      /310000 publishes no key/,
    ],
    [
      'WRONG_KEY_PURPOSE',
      'a gateway key used for a credential',
      (): Args => ['310000', shanghai.keys.gateway.kid, 'credential'],
      /gateway key, not its credential key/,
    ],
  ] as const)('refuses with %s for %s', async (code, _case, args, message) => {
    // Prepare
    const [provinceId, kid, purpose] = args();

    // Act
    const act = registry().resolveKey(provinceId, kid, purpose);

    // Assess
    await expect(act).rejects.toBeInstanceOf(KeyResolutionError);
    await expect(act).rejects.toMatchObject({ code });
    await expect(act).rejects.toThrow(message);
  });

  it('refuses claims that do not match the contract when built from claims', () => {
    // Act
    const act = () => TrustRegistry.fromClaims({ ...registryOf(1), seq: -1 });

    // Assess
    expect(act).toThrow(RegistryError);
  });
});
