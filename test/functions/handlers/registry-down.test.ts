import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { VerifyResponseSchema } from '../../../contracts/verify.ts';
import { functionSpec } from '../../../functions/catalog.ts';
import { sampleIssue } from '../../support/gateway.ts';
import { handlerOf, healthzEvent, httpApiEvent, httpFunction } from './apigw.ts';
import { SH, startWorld, type World } from './world.ts';

const json = { 'content-type': 'application/json' };

/**
 * A new execution environment of `name`, with its own environment: nothing of an earlier cold
 * start is cached. Its adapters are those its handler built (adaptersFromEnv keeps one per function).
 */
async function coldStart(world: World, name: 'discovery' | 'issuance' | 'verification') {
  vi.resetModules();
  const invoke = await httpFunction(name, world);
  const { adaptersFromEnv } = await import('../../../lib/wiring/from-env.ts');
  return { invoke, adapters: await adaptersFromEnv(functionSpec(name)) };
}

async function healthOf(invoke: Awaited<ReturnType<typeof coldStart>>['invoke']) {
  const res = await invoke(healthzEvent());
  return { statusCode: res.statusCode, body: JSON.parse(res.body) };
}

/**
 * The national registry URL goes down: functions that start afterwards start from the province's
 * stored copy of the registry, serve, say so on /healthz, and go back to the URL once it answers.
 */
describe('cold starts while the registry URL is down', () => {
  let world: World;
  const item = async () =>
    (
      await world.doc.send(
        new GetCommand({ TableName: world.tables.registry, Key: { pk: 'REGISTRY' }, ConsistentRead: true }),
      )
    ).Item;

  beforeAll(async () => {
    world = await startWorld();
    // One cold start while the URL is up stores the registry it loaded.
    await coldStart(world, 'discovery');
  });
  afterAll(async () => {
    world?.setRegistryDown(false);
    await world?.stop();
  });

  it('stores the registry a function loaded from the URL', async () => {
    expect(await item()).toMatchObject({ seq: 1, jws: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/) });
  });

  it('starts from the stored copy and serves, and /healthz says so', async () => {
    world.setRegistryDown(true);

    const discovery = await coldStart(world, 'discovery');
    const issuance = await coldStart(world, 'issuance');
    const verification = await coldStart(world, 'verification');
    const health = await healthOf(discovery.invoke);
    const issued = await issuance.invoke(
      httpApiEvent({
        method: 'POST',
        path: '/v1/licenses',
        headers: { ...json, authorization: `Bearer ${await world.token('issuer')}` },
        body: JSON.stringify(sampleIssue()),
      }),
    );
    const verified = await verification.invoke(
      httpApiEvent({
        method: 'POST',
        path: '/v1/verify',
        headers: { ...json, authorization: `Bearer ${await world.token('platform')}` },
        body: JSON.stringify({
          credential: IssueResponseSchema.parse(JSON.parse(issued.body)).credential,
          matterCode: 'DEMO0001',
          useCause: '窗口核验',
        }),
      }),
    );

    expect(health).toEqual({
      statusCode: 200,
      body: {
        status: 'ok',
        province: SH,
        dependencies: {
          storage: 'up',
          registry: {
            seq: 1,
            iat: expect.any(Number),
            loadedAt: expect.any(String),
            from: 'store',
            lastError: {
              code: 'REGISTRY_UNAVAILABLE',
              message: `the registry at ${world.registryUrl} cannot be reached`,
              at: expect.any(String),
            },
          },
        },
      },
    });
    expect(issued.statusCode).toBe(201);
    // Issuance loads no registry; verification, which does, checks the credential by the stored copy.
    expect(verified.statusCode).toBe(200);
    expect(VerifyResponseSchema.parse(JSON.parse(verified.body)).verdict).toBe('valid');
    expect(verification.adapters.registry.province(SH)?.jwks.keys.map((k) => k.kid)).toContain(
      world.keys.credential.publicJwk.kid,
    );
    expect(() => issuance.adapters.registry).toThrow(/does not list/);
  });

  it('does not start at all when the stored copy was not signed by the root key, naming both causes', async () => {
    world.setRegistryDown(true);
    const genuine = await item();
    const [header, , signature] = String(genuine?.jws).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: 'x', iat: 1, seq: 1, provinces: [] })).toString(
      'base64url',
    );
    await world.doc.send(
      new PutCommand({
        TableName: world.tables.registry,
        Item: { ...genuine, jws: `${header}.${forged}.${signature}` },
      }),
    );

    vi.resetModules();
    world.enter('discovery');
    const start = handlerOf('discovery');

    await expect(start).rejects.toMatchObject({
      name: 'RegistryError',
      code: 'REGISTRY_UNAVAILABLE',
      message:
        `the registry at ${world.registryUrl} cannot be reached; the stored copy cannot be used either: ` +
        'the registry signature does not verify against the configured root key',
    });
    await world.doc.send(new PutCommand({ TableName: world.tables.registry, Item: genuine }));
  });

  it('goes back to the URL once it answers, and stores the newer registry it finds there', async () => {
    world.setRegistryDown(true);
    const discovery = await coldStart(world, 'discovery');
    world.setRegistryDown(false);
    await world.publishRegistry((entry) => ({ ...entry, name: '上海市 (new)' }));

    const result = await discovery.adapters.registry.refresh();
    const health = await healthOf(discovery.invoke);

    expect(result).toEqual({ ok: true, updated: true });
    expect(health.body.dependencies.registry).toMatchObject({ seq: 2, from: 'source' });
    expect(health.body.dependencies.registry.lastError).toBeUndefined();
    expect(await item()).toMatchObject({ seq: 2 });
  });
});
