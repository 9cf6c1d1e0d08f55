import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../contracts/errors.ts';
import { FUNCTIONS, functionSpec } from '../../../functions/catalog.ts';
import { ConfigError, readConfig } from '../../../lib/config.ts';
import type { FunctionName } from '../../functions/handlers/apigw.ts';
import { startWorld, type World } from '../../functions/handlers/world.ts';

/**
 * The adapter wiring (lib/wiring/from-env.ts) as a new execution environment sees it: nothing
 * cached yet. Its errors come from that fresh module graph, so they are told apart by name and
 * code rather than by class.
 */
async function coldRuntime() {
  vi.resetModules();
  const { adaptersFromEnv } = await import('../../../lib/wiring/from-env.ts');
  return {
    /** The function's adapters, built from `env` as its cold start builds them. */
    start: (name: FunctionName, env: Record<string, string | undefined>) =>
      adaptersFromEnv(functionSpec(name), env),
  };
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
  /** What the stack sets on `name`, changed. */
  const env = (name: FunctionName, changes: Record<string, string | undefined> = {}) => ({
    ...world.envOf(name),
    ...changes,
  });

  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world?.stop();
  });

  it.each(FUNCTIONS.map((f) => f.name as FunctionName))(
    'are accepted as the stack sets them on %s',
    (name) => {
      expect(() => readConfig(world.envOf(name), functionSpec(name))).not.toThrow();
    },
  );

  it('give each setting its meaning', () => {
    const audit = readConfig(world.envOf('audit'), functionSpec('audit'));
    const discovery = readConfig(world.envOf('discovery'), functionSpec('discovery'));

    expect(audit.ELG_HOLDER_HASH_SECRET_ARN).toBe(world.holderHashSecretArn);
    expect(audit.ELG_MAX_BODY_BYTES).toBe(4096);
    expect(discovery.ELG_KMS_KEYS_PREVIOUS).toEqual([]);
  });

  it('need the holder-hash key or its secret, naming both when neither is set', () => {
    const err = configError(() =>
      readConfig(env('issuance', { ELG_HOLDER_HASH_SECRET_ARN: undefined }), functionSpec('issuance')),
    );

    expect(err.message).toMatch(/^the issuance function is misconfigured:/);
    expect(err.message).toMatch(/ELG_HOLDER_HASH_KEY, ELG_HOLDER_HASH_SECRET_ARN: neither is set/);
  });

  it('refuse both the key and its secret at once', () => {
    const err = configError(() =>
      readConfig(
        env('issuance', { ELG_HOLDER_HASH_KEY: randomBytes(32).toString('hex') }),
        functionSpec('issuance'),
      ),
    );

    expect(err.message).toMatch(/ELG_HOLDER_HASH_KEY, ELG_HOLDER_HASH_SECRET_ARN: both are set/);
  });

  it('ignore what the function does not read, however malformed', () => {
    const config = readConfig(
      env('sequencer', {
        ELG_IDP_JWKS_URL: 'not a url',
        ELG_HOLDER_HASH_SECRET_ARN: 'elg-310000-holder-hash',
        ELG_TABLE_LICENSES: '',
      }),
      functionSpec('sequencer'),
    );

    expect(config).not.toHaveProperty('ELG_IDP_JWKS_URL');
    expect(config).not.toHaveProperty('ELG_HOLDER_HASH_SECRET_ARN');
    expect(config).not.toHaveProperty('ELG_TABLE_LICENSES');
  });

  it('name every missing or malformed setting at once', () => {
    const err = configError(() =>
      readConfig(
        env('verification', {
          ELG_PROVINCE_ID: undefined,
          ELG_REGISTRY_URL: 'not a url',
          ELG_HOLDER_HASH_SECRET_ARN: 'elg-310000-holder-hash',
        }),
        functionSpec('verification'),
      ),
    );

    expect(err.message).toMatch(/^the verification function is misconfigured:/);
    expect(err.message).toContain('ELG_PROVINCE_ID');
    expect(err.message).toContain('ELG_REGISTRY_URL');
    expect(err.message).toMatch(/ELG_HOLDER_HASH_SECRET_ARN: a Secrets Manager secret ARN/);
  });

  it('read earlier key generations as purpose=keyArn and refuse any other form', () => {
    const arn = (n: string) => `arn:aws-cn:kms:cn-north-1:111122223333:key/${n}`;

    const discovery = functionSpec('discovery');
    const read = (value: string) => readConfig(env('discovery', { ELG_KMS_KEYS_PREVIOUS: value }), discovery);

    expect(read(` credential=${arn('a')}, audit=${arn('b')} `).ELG_KMS_KEYS_PREVIOUS).toEqual([
      { purpose: 'credential', keyId: arn('a') },
      { purpose: 'audit', keyId: arn('b') },
    ]);
    expect(configError(() => read(arn('a'))).message).toMatch(
      /ELG_KMS_KEYS_PREVIOUS: ".*key\/a" names no purpose/,
    );
    for (const bad of [
      arn('a'),
      `signing=${arn('a')}`,
      'credential=',
      `gateway=${arn('a')},audit=${arn('a')}`,
    ]) {
      expect(configError(() => read(bad)).message).toContain('ELG_KMS_KEYS_PREVIOUS');
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
      const { start } = await coldRuntime();

      const err = await rejection(start('audit', world.envOf('audit')));

      expect(err.name).toBe('ConfigError');
      expect(err.message).toContain('ELG_HOLDER_HASH_SECRET_ARN');
      expect(err.message).toContain('64 lowercase hex characters');
      expect(err.message).not.toContain(secret.trim());
    });

    it('stops the function when it holds no text', async () => {
      world.setHolderHashSecret(undefined);
      const { start } = await coldRuntime();

      const err = await rejection(start('audit', world.envOf('audit')));

      expect(err.name).toBe('ConfigError');
      expect(err.message).toContain('no SecretString');
    });

    it('stops the function when Secrets Manager cannot give it, and starts once it can', async () => {
      const key = randomBytes(32).toString('hex');
      world.setHolderHashSecret(key);
      const { start } = await coldRuntime();
      const elsewhere = world.holderHashSecretArn.replace('holder-hash', 'other');

      const err = await rejection(start('audit', env('audit', { ELG_HOLDER_HASH_SECRET_ARN: elsewhere })));
      const g = await start('audit', world.envOf('audit'));

      expect(err).toMatchObject({ code: ErrorCode.DEPENDENCY_UNAVAILABLE });
      expect(err.message).toContain(elsewhere);
      expect(Buffer.from(g.holderHashKey).toString('hex')).toBe(key);
    });

    it('is not needed where the key itself is set', async () => {
      const key = randomBytes(32).toString('hex');
      world.setHolderHashSecret(undefined);
      const { start } = await coldRuntime();

      const g = await start(
        'audit',
        env('audit', { ELG_HOLDER_HASH_SECRET_ARN: undefined, ELG_HOLDER_HASH_KEY: key }),
      );

      expect(Buffer.from(g.holderHashKey).toString('hex')).toBe(key);
    });
  });

  describe('earlier key generations', () => {
    const current = () => [world.keys.credential, world.keys.gateway, world.keys.audit, world.keys.witness];

    beforeAll(() => {
      world.setHolderHashSecret(randomBytes(32).toString('hex'));
    });

    it('are read and checked like the current keys, and published after them with their purpose', async () => {
      const earlier = await world.extraKmsKey('gateway');
      const { start } = await coldRuntime();

      const discovery = await start(
        'discovery',
        env('discovery', { ELG_KMS_KEYS_PREVIOUS: `gateway=${earlier.arn}` }),
      );

      expect(discovery.publishedKeys.keys).toEqual([...current().map((k) => k.publicJwk), earlier.publicJwk]);
    });

    it('refuse a key that is not a P-256 signing key', async () => {
      const rsa = await world.extraKmsKey('audit', { KeySpec: 'RSA_2048' });
      const { start } = await coldRuntime();

      const err = await rejection(
        start('discovery', env('discovery', { ELG_KMS_KEYS_PREVIOUS: `audit=${rsa.arn}` })),
      );

      expect(err.message).toMatch(/KeySpec RSA_2048; expected ECC_NIST_P256/);
    });

    it('refuse the current key listed as an earlier one', async () => {
      const { start } = await coldRuntime();

      const err = await rejection(
        start(
          'discovery',
          env('discovery', { ELG_KMS_KEYS_PREVIOUS: `credential=${world.keys.credential.arn}` }),
        ),
      );

      expect(err.name).toBe('ConfigError');
      expect(err.message).toMatch(/ELG_KMS_KEYS_PREVIOUS lists .* which is the current credential key/);
    });

    it('are not read at all when none are listed: discovery reads the current keys only', async () => {
      const { start } = await coldRuntime();
      const reads = world.kmsCalls.getPublicKey.length;

      const discovery = await start('discovery', world.envOf('discovery'));

      expect(discovery.publishedKeys.keys).toEqual(current().map((k) => k.publicJwk));
      expect(new Set(world.kmsCalls.getPublicKey.slice(reads))).toEqual(new Set(current().map((k) => k.arn)));
      expect(world.kmsCalls.getPublicKey.length - reads).toBe(4);
    });

    it('are read by no function that does not publish keys, even when its environment lists them', async () => {
      const earlier = await world.extraKmsKey('credential');
      const { start } = await coldRuntime();
      const reads = world.kmsCalls.getPublicKey.length;

      const issuance = await start(
        'issuance',
        env('issuance', { ELG_KMS_KEYS_PREVIOUS: `credential=${earlier.arn}` }),
      );

      expect(world.kmsCalls.getPublicKey.slice(reads)).toEqual([world.keys.credential.arn]);
      expect(() => issuance.publishedKeys).toThrow(/publishesKeys/);
    });
  });
});
