import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../contracts/errors.ts';
import { ConfigError, readConfig } from '../../lib/config.ts';
import { startWorld, type World } from './handlers/world.ts';

/**
 * runtime.ts as a new execution environment sees it: nothing cached yet. Its errors come from
 * that fresh module graph, so they are told apart by name and code rather than by class.
 */
async function coldRuntime() {
  vi.resetModules();
  return import('../../functions/runtime.ts');
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError');
}

async function rejection(pending: Promise<unknown>): Promise<Error> {
  try {
    await pending;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('it resolved');
}

describe('the settings of a deployed function', () => {
  let world: World;
  const env = (changes: Record<string, string | undefined>) => ({ ...world.env, ...changes });

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('are accepted as the stack sets them', () => {
    const config = readConfig(world.env);

    expect(config.ELG_HOLDER_HASH_SECRET_ARN).toBe(world.holderHashSecretArn);
    expect(config.ELG_KMS_KEYS_PREVIOUS).toEqual([]);
    expect(config.ELG_MAX_BODY_BYTES).toBe(4096);
  });

  it('need the holder-hash key or its secret, naming both when neither is set', () => {
    const err = configError(() => readConfig(env({ ELG_HOLDER_HASH_SECRET_ARN: undefined })));

    expect(err.message).toMatch(/ELG_HOLDER_HASH_KEY, ELG_HOLDER_HASH_SECRET_ARN: neither is set/);
  });

  it('refuse both the key and its secret at once', () => {
    const err = configError(() => readConfig(env({ ELG_HOLDER_HASH_KEY: randomBytes(32).toString('hex') })));

    expect(err.message).toMatch(/ELG_HOLDER_HASH_KEY, ELG_HOLDER_HASH_SECRET_ARN: both are set/);
  });

  it('name every missing or malformed setting at once', () => {
    const err = configError(() =>
      readConfig(
        env({
          ELG_PROVINCE_ID: undefined,
          ELG_REGISTRY_URL: 'not a url',
          ELG_HOLDER_HASH_SECRET_ARN: 'elg-310000-holder-hash',
        }),
      ),
    );

    expect(err.message).toContain('ELG_PROVINCE_ID');
    expect(err.message).toContain('ELG_REGISTRY_URL');
    expect(err.message).toMatch(/ELG_HOLDER_HASH_SECRET_ARN: a Secrets Manager secret ARN/);
  });

  it('read earlier key generations as purpose=keyArn and refuse any other form', () => {
    const arn = (n: string) => `arn:aws-cn:kms:cn-north-1:111122223333:key/${n}`;

    expect(
      readConfig(env({ ELG_KMS_KEYS_PREVIOUS: ` credential=${arn('a')}, audit=${arn('b')} ` }))
        .ELG_KMS_KEYS_PREVIOUS,
    ).toEqual([
      { purpose: 'credential', keyId: arn('a') },
      { purpose: 'audit', keyId: arn('b') },
    ]);
    expect(configError(() => readConfig(env({ ELG_KMS_KEYS_PREVIOUS: arn('a') }))).message).toMatch(
      /ELG_KMS_KEYS_PREVIOUS: ".*key\/a" names no purpose/,
    );
    for (const bad of [
      arn('a'),
      `signing=${arn('a')}`,
      'credential=',
      `gateway=${arn('a')},audit=${arn('a')}`,
    ]) {
      expect(configError(() => readConfig(env({ ELG_KMS_KEYS_PREVIOUS: bad }))).message).toContain(
        'ELG_KMS_KEYS_PREVIOUS',
      );
    }
  });

  describe('the holder-hash secret', () => {
    it.each([
      ['upper-case hex', () => randomBytes(32).toString('hex').toUpperCase()],
      ['63 characters', () => randomBytes(32).toString('hex').slice(1)],
      ['a trailing newline', () => `${randomBytes(32).toString('hex')}\n`],
      ['a JSON object', () => JSON.stringify({ key: randomBytes(32).toString('hex') })],
    ])('stops the function when it holds %s, without echoing it', async (_, value) => {
      const secret = value();
      world.setHolderHashSecret(secret);
      const { gatewayFromEnv } = await coldRuntime();

      const err = await rejection(gatewayFromEnv(world.env));

      expect(err.name).toBe('ConfigError');
      expect(err.message).toContain('ELG_HOLDER_HASH_SECRET_ARN');
      expect(err.message).toContain('64 lowercase hex characters');
      expect(err.message).not.toContain(secret.trim());
    });

    it('stops the function when it holds no text', async () => {
      world.setHolderHashSecret(undefined);
      const { gatewayFromEnv } = await coldRuntime();

      const err = await rejection(gatewayFromEnv(world.env));

      expect(err.name).toBe('ConfigError');
      expect(err.message).toContain('no SecretString');
    });

    it('stops the function when Secrets Manager cannot give it, and starts once it can', async () => {
      const key = randomBytes(32).toString('hex');
      world.setHolderHashSecret(key);
      const { gatewayFromEnv } = await coldRuntime();
      const elsewhere = world.holderHashSecretArn.replace('holder-hash', 'other');

      const err = await rejection(gatewayFromEnv(env({ ELG_HOLDER_HASH_SECRET_ARN: elsewhere })));
      const g = await gatewayFromEnv(world.env);

      expect(err).toMatchObject({ code: ErrorCode.DEPENDENCY_UNAVAILABLE });
      expect(err.message).toContain(elsewhere);
      expect(Buffer.from(g.holderHashKey).toString('hex')).toBe(key);
    });

    it('is not needed where the key itself is set', async () => {
      const key = randomBytes(32).toString('hex');
      world.setHolderHashSecret(undefined);
      const { gatewayFromEnv } = await coldRuntime();

      const g = await gatewayFromEnv(
        env({ ELG_HOLDER_HASH_SECRET_ARN: undefined, ELG_HOLDER_HASH_KEY: key }),
      );

      expect(Buffer.from(g.holderHashKey).toString('hex')).toBe(key);
    });
  });

  describe('earlier key generations', () => {
    beforeAll(() => {
      world.setHolderHashSecret(randomBytes(32).toString('hex'));
    });

    it('are read and checked like the current keys, and published with their purpose', async () => {
      const earlier = await world.extraKmsKey('gateway');
      const { previousKeysFromEnv } = await coldRuntime();

      const keys = await previousKeysFromEnv(env({ ELG_KMS_KEYS_PREVIOUS: `gateway=${earlier.arn}` }));

      expect(keys).toEqual([earlier.publicJwk]);
    });

    it('refuse a key that is not a P-256 signing key', async () => {
      const rsa = await world.extraKmsKey('audit', { KeySpec: 'RSA_2048' });
      const { previousKeysFromEnv } = await coldRuntime();

      const err = await rejection(previousKeysFromEnv(env({ ELG_KMS_KEYS_PREVIOUS: `audit=${rsa.arn}` })));

      expect(err.message).toMatch(/KeySpec RSA_2048; expected ECC_NIST_P256/);
    });

    it('refuse the current key listed as an earlier one', async () => {
      const { previousKeysFromEnv } = await coldRuntime();

      const err = await rejection(
        previousKeysFromEnv(env({ ELG_KMS_KEYS_PREVIOUS: `credential=${world.keys.credential.arn}` })),
      );

      expect(err.name).toBe('ConfigError');
      expect(err.message).toMatch(/ELG_KMS_KEYS_PREVIOUS lists .* which is the current credential key/);
    });

    it('are not read at all when none are listed', async () => {
      const { previousKeysFromEnv } = await coldRuntime();
      const reads = world.kmsCalls.getPublicKey.length;

      expect(await previousKeysFromEnv(world.env)).toEqual([]);
      expect(world.kmsCalls.getPublicKey.length).toBe(reads);
    });
  });
});
