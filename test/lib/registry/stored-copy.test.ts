import { randomBytes } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RegistryClaims, RegistryProvince } from '../../../contracts/registry.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { RegistryError } from '../../../lib/registry/errors.ts';
import { loadOrCreateRootKey, type RootKey, signRegistry } from '../../../lib/registry/sign-registry.ts';
import { TrustRegistry, type TrustRegistryOptions } from '../../../lib/registry/trust-registry.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { createDocumentClient } from '../../../lib/store/dynamo.ts';
import { DynamoRegistryStore } from '../../../lib/store/registry-store.ts';
import { createTableInput, TABLES } from '../../../lib/store/tables.ts';
import { claims, province, tempDir } from './fixtures.ts';

/**
 * The registry's last good copy in DynamoDB (Local): stored after each verified fetch with a
 * higher seq, and the copy a gateway starts from when the source fails, verified again.
 */

const doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
const REGISTRY_TABLE = TABLES.find((t) => t.kind === 'registry');
/** iat of claims(seq) is 1_780_000_000 + seq: 2026-05-28T20:26:40Z and a few seconds. */
const NOW = '2026-06-01T08:00:00.000Z';
const EIGHT_DAYS_LATER = '2026-06-05T20:26:50.000Z';

let root: RootKey;
let impostor: RootKey;
let shanghai: { entry: RegistryProvince; keys: KeyRing };
let zhejiang: { entry: RegistryProvince; keys: KeyRing };

beforeAll(async () => {
  const dir = await tempDir();
  root = await loadOrCreateRootKey(join(dir, 'root.jwk'));
  impostor = await loadOrCreateRootKey(join(dir, 'impostor.jwk'));
  shanghai = await province('310000');
  zhejiang = await province('330000');
});
afterAll(() => doc.destroy());

const registryOf = (seq: number, provinces = [shanghai.entry, zhejiang.entry]): RegistryClaims =>
  claims(seq, provinces);

/** A fresh registry table and a source file, as one province sees them. */
async function province310000() {
  if (!REGISTRY_TABLE) throw new Error('lib/store/tables.ts defines no registry table');
  const table = `reg-${process.pid}-${randomBytes(4).toString('hex')}-310000-registry`;
  await doc.send(new CreateTableCommand(createTableInput(REGISTRY_TABLE, table)));
  const source = join(await tempDir(), 'registry.jwt');
  const store = new DynamoRegistryStore(doc, table);
  const clock = fixedClock(NOW);
  const options = (extra: Partial<TrustRegistryOptions> = {}): TrustRegistryOptions => ({
    source,
    rootPublicJwk: root.publicJwk,
    clock,
    store,
    ...extra,
  });
  return {
    table,
    source,
    store,
    clock,
    options,
    /** Publishes a registry at the source. */
    publish: async (seq: number, by: RootKey = root, provinces?: RegistryProvince[]) => {
      const jws = await signRegistry(by, registryOf(seq, provinces));
      await writeFile(source, jws);
      return jws;
    },
    /** Takes the source away: every read fails. */
    down: () => unlink(source),
    /** The item as DynamoDB holds it. */
    item: async () =>
      (await doc.send(new GetCommand({ TableName: table, Key: { pk: 'REGISTRY' }, ConsistentRead: true })))
        .Item,
    /** Writes the item as someone with access to the table might. */
    putItem: (item: Record<string, unknown>) =>
      doc.send(new PutCommand({ TableName: table, Item: { pk: 'REGISTRY', ...item } })),
  };
}

async function refusal(pending: Promise<unknown>): Promise<RegistryError> {
  try {
    await pending;
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error('it loaded');
}

describe('storing the last good copy', () => {
  it('stores the registry it fetched and verified at start', async () => {
    // Prepare
    const p = await province310000();
    const jws = await p.publish(4);

    // Act
    const registry = await TrustRegistry.load(p.options());

    // Assess
    expect(registry.status()).toEqual({ seq: 4, iat: registryOf(4).iat, loadedAt: NOW, from: 'source' });
    expect(await p.item()).toEqual({ pk: 'REGISTRY', seq: 4, iat: registryOf(4).iat, jws, storedAt: NOW });
  });

  it('never replaces a stored copy with an older one', async () => {
    // Prepare
    const p = await province310000();
    const seven = await p.publish(7);
    await TrustRegistry.load(p.options());

    // Act
    const kept = await p.store.offer(await signRegistry(root, registryOf(5)), registryOf(5), new Date());

    // Assess
    expect(kept).toEqual({ seq: 7 });
    expect(await p.item()).toMatchObject({ seq: 7, jws: seven });
  });

  it('starts from the newer stored copy when the source offers an older one, and keeps it', async () => {
    // Prepare
    const p = await province310000();
    const seven = await p.publish(7);
    await TrustRegistry.load(p.options());
    await p.publish(5, root, [shanghai.entry]);

    // Act
    const registry = await TrustRegistry.load(p.options());

    // Assess
    expect(registry.status()).toMatchObject({
      seq: 7,
      from: 'store',
      lastError: {
        code: 'REGISTRY_STALE',
        message: 'the source offers registry seq 5, older than the stored seq 7',
      },
    });
    expect(registry.province('330000')).toEqual(zhejiang.entry);
    expect(await p.item()).toMatchObject({ seq: 7, jws: seven });
  });

  it('replaces the stored copy when a refresh brings a newer registry', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    const registry = await TrustRegistry.load(p.options());
    const six = await p.publish(6, root, [shanghai.entry]);
    p.clock.set('2026-06-01T08:05:00.000Z');

    // Act
    const result = await registry.refresh();

    // Assess
    expect(result).toEqual({ ok: true, updated: true });
    expect(await p.item()).toEqual({
      pk: 'REGISTRY',
      seq: 6,
      iat: registryOf(6).iat,
      jws: six,
      storedAt: '2026-06-01T08:05:00.000Z',
    });
  });

  it('keeps serving, and says so, when the copy cannot be stored', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    const store = new DynamoRegistryStore(doc, `${p.table}-absent`);

    // Act
    const registry = await TrustRegistry.load(p.options({ store }));

    // Assess
    expect(registry.status()).toMatchObject({
      seq: 4,
      from: 'source',
      lastStoreError: {
        message: expect.stringMatching(/^registry seq 4 could not be stored: ResourceNotFoundException/),
        at: NOW,
      },
    });
    expect(await p.item()).toBeUndefined();
  });
});

describe('starting from the stored copy', () => {
  it('starts from the stored copy, verified, when the source is down, and says so', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    await TrustRegistry.load(p.options());
    await p.down();

    // Act
    const registry = await TrustRegistry.load(p.options());

    // Assess
    expect(registry.status()).toEqual({
      seq: 4,
      iat: registryOf(4).iat,
      loadedAt: NOW,
      from: 'store',
      lastError: {
        code: 'REGISTRY_UNAVAILABLE',
        message: `the registry file ${p.source} cannot be read (ENOENT)`,
        at: NOW,
      },
    });
    await expect(registry.resolveKey('330000', zhejiang.keys.gateway.kid, 'gateway')).resolves.toBeDefined();
  });

  it('keeps trying the source, and runs from it again once a refresh succeeds', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    await TrustRegistry.load(p.options());
    await p.down();
    const registry = await TrustRegistry.load(p.options());
    p.clock.set('2026-06-01T08:05:00.000Z');
    const failed = await registry.refresh();
    await p.publish(4);
    p.clock.set('2026-06-01T08:10:00.000Z');

    // Act
    const result = await registry.refresh();

    // Assess
    expect(failed).toMatchObject({ ok: false, error: { code: 'REGISTRY_UNAVAILABLE' } });
    expect(result).toEqual({ ok: true, updated: false });
    expect(registry.status()).toEqual({
      seq: 4,
      iat: registryOf(4).iat,
      loadedAt: NOW,
      from: 'source',
      lastRefreshAt: '2026-06-01T08:10:00.000Z',
    });
  });

  it('gives up on a source that does not answer within the start limit', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    await TrustRegistry.load(p.options());
    const silent: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const started = Date.now();

    // Act
    const registry = await TrustRegistry.load(
      p.options({ source: 'https://registry.example/registry.jwt', fetch: silent, startFetchTimeoutMs: 100 }),
    );

    // Assess
    expect(Date.now() - started).toBeLessThan(2000);
    expect(registry.status()).toMatchObject({
      seq: 4,
      from: 'store',
      lastError: { message: 'the registry at https://registry.example/registry.jwt cannot be reached' },
    });
  });

  it.each([
    [
      'tampered with',
      async (p: Awaited<ReturnType<typeof province310000>>) => {
        const genuine = await signRegistry(root, registryOf(4));
        const [header, , signature] = genuine.split('.');
        const payload = Buffer.from(JSON.stringify(registryOf(4, [shanghai.entry]))).toString('base64url');
        await p.putItem({ seq: 4, jws: `${header}.${payload}.${signature}` });
      },
      'REGISTRY_SIGNATURE_INVALID',
      'the registry signature does not verify against the configured root key',
    ],
    [
      'signed by another root key',
      async (p: Awaited<ReturnType<typeof province310000>>) => {
        await p.putItem({ seq: 4, jws: await signRegistry(impostor, registryOf(4)) });
      },
      'REGISTRY_SIGNATURE_INVALID',
      'the registry signature does not verify against the configured root key',
    ],
    [
      'filed under another seq than the one signed',
      async (p: Awaited<ReturnType<typeof province310000>>) => {
        await p.putItem({ seq: 9, jws: await signRegistry(root, registryOf(4)) });
      },
      'REGISTRY_MALFORMED',
      'it is stored under seq 9 but signed as seq 4',
    ],
    ['not there', async () => {}, 'REGISTRY_UNAVAILABLE', 'no copy is stored yet'],
  ])('refuses to start from a stored copy %s, naming both causes', async (_case, prepare, code, why) => {
    // Prepare
    const p = await province310000();
    await prepare(p);

    // Act
    const err = await refusal(TrustRegistry.load(p.options()));

    // Assess
    expect(err.code).toBe('REGISTRY_UNAVAILABLE');
    expect(err.message).toBe(
      `the registry file ${p.source} cannot be read (ENOENT); the stored copy cannot be used either: ${why}`,
    );
    expect((err.cause as AggregateError).errors.map((e: RegistryError) => e.code)).toEqual([
      'REGISTRY_UNAVAILABLE',
      code,
    ]);
  });

  it('refuses a stored copy older than the maximum age, counted from its iat', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    await TrustRegistry.load(p.options());
    await p.down();
    p.clock.set(EIGHT_DAYS_LATER);

    // Act
    const err = await refusal(TrustRegistry.load(p.options()));

    // Assess
    expect(err.message).toBe(
      `the registry file ${p.source} cannot be read (ENOENT); the stored copy cannot be used either: ` +
        'registry seq 4 was issued at 2026-05-28T20:26:44.000Z, more than 7 days ago, too old to start from',
    );
    expect((err.cause as AggregateError).errors[1]).toMatchObject({ code: 'REGISTRY_STALE' });
  });

  it('starts from the same copy when the maximum age allows it', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    await TrustRegistry.load(p.options());
    await p.down();
    p.clock.set(EIGHT_DAYS_LATER);

    // Act
    const registry = await TrustRegistry.load(p.options({ maxStoredAgeMs: 9 * 24 * 3600_000 }));

    // Assess
    expect(registry.status()).toMatchObject({ seq: 4, from: 'store' });
  });

  it('fails as before when there is no store', async () => {
    // Prepare
    const p = await province310000();
    await p.publish(4);
    await TrustRegistry.load(p.options());
    await p.down();

    // Act
    const err = await refusal(TrustRegistry.load({ source: p.source, rootPublicJwk: root.publicJwk }));

    // Assess
    expect(err.message).toBe(`the registry file ${p.source} cannot be read (ENOENT)`);
  });
});
