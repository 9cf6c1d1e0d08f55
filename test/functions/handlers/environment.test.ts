import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JwksSchema, KeyPurpose } from '../../../contracts/keys.ts';
import { FUNCTIONS, functionSpec } from '../../../functions/catalog.ts';
import {
  HOLDER_HASH_SECRET_ENV,
  keyEnvName,
  keyPurposesOf,
  PUBLISHED_KEYS_ENV,
  settingsOf,
} from '../../../lib/config.ts';
import { TableKind, tableEnvName } from '../../../lib/store/tables.ts';
import {
  type FunctionName,
  type HttpApiEvent,
  type HttpFunction,
  handlerOf,
  healthzEvent,
  httpApiEvent,
  httpFunction,
  lambdaContext,
  type ScheduledFunction,
  scheduledEvent,
  scheduledFunction,
} from './apigw.ts';
import { isGatewayVariable, SH, startWorld, type World } from './world.ts';

const NAMES = FUNCTIONS.map((f) => f.name as FunctionName);

/** The functions EventBridge runs (the catalog's scheduled entries), by the names apigw.ts types. */
const SCHEDULED: readonly ScheduledFunction[] = [
  'delivery',
  'report-delivery',
  'review-delivery',
  'sequencer',
];
const isScheduled = (name: FunctionName): name is ScheduledFunction =>
  (SCHEDULED as readonly string[]).includes(name);

/** The gateway's variables process.env holds now, sorted. */
const gatewayVariables = () => Object.keys(process.env).filter(isGatewayVariable).sort();

/** Settings with a default or only for local runs: a function starts without them. */
const OPTIONAL = new Set(['ELG_MAX_BODY_BYTES', 'ELG_DYNAMODB_ENDPOINT', PUBLISHED_KEYS_ENV]);

const json = { 'content-type': 'application/json' };

/** A request each HTTP function answers without credentials: it started and serves. */
const PROBES: Record<HttpFunction, { event: () => HttpApiEvent; status: number }> = {
  discovery: { event: healthzEvent, status: 200 },
  issuance: {
    event: () => httpApiEvent({ method: 'POST', path: '/v1/licenses', headers: json, body: '{}' }),
    status: 401,
  },
  verification: {
    event: () => httpApiEvent({ method: 'POST', path: '/v1/verify', headers: json, body: '{}' }),
    status: 401,
  },
  interop: {
    event: () => httpApiEvent({ method: 'POST', path: '/v1/interop/verify', headers: json, body: '{}' }),
    status: 401,
  },
  agreements: { event: () => httpApiEvent({ method: 'GET', path: '/v1/agreements' }), status: 401 },
  reports: { event: () => httpApiEvent({ method: 'GET', path: '/v1/notices' }), status: 401 },
  reviews: { event: () => httpApiEvent({ method: 'GET', path: '/v1/review-policy' }), status: 401 },
  audit: { event: () => httpApiEvent({ method: 'GET', path: '/v1/audit/checkpoint' }), status: 401 },
  witness: {
    event: () =>
      httpApiEvent({
        method: 'POST',
        path: '/v1/witness/add-checkpoint',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'old 0\n\n',
      }),
    status: 401,
  },
};

/**
 * Each Lambda function starts in a new execution environment holding only the variables the stack
 * sets on it (its catalog entry's tables, keys, secret and settings), and nothing of another's.
 */
describe("each function's environment", () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld({ previous: ['credential'] });
  });
  afterAll(async () => {
    await world?.stop();
  });

  it.each(NAMES)('%s starts and serves with only the variables its catalog entry lists', async (name) => {
    const spec = functionSpec(name);
    vi.resetModules();

    let answered: unknown;
    let vars: string[];
    if (isScheduled(name)) {
      const run = await scheduledFunction(name, world);
      vars = gatewayVariables();
      const quiet = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
      try {
        answered = await run(scheduledEvent(`elg-310000-${name}`), lambdaContext(name));
      } finally {
        quiet.mockRestore();
      }
      expect(answered).toBeTypeOf('object');
    } else {
      const invoke = await httpFunction(name, world);
      vars = gatewayVariables();
      const probe = PROBES[name];
      answered = (await invoke(probe.event())).statusCode;
      expect(answered).toBe(probe.status);
    }

    const has = (variable: string) => vars.includes(variable);
    expect(vars).toEqual(Object.keys(world.envOf(name)).filter(isGatewayVariable).sort());
    // Nothing it does not read: every variable is one of its settings (lib/config.ts).
    expect(vars.filter((v) => !(settingsOf(spec) as string[]).includes(v))).toEqual([]);
    // And each resource's variable exactly when the entry lists the resource.
    for (const kind of Object.values(TableKind)) {
      expect(has(tableEnvName(kind)), tableEnvName(kind)).toBe(spec.tables[kind] !== undefined);
    }
    for (const purpose of Object.values(KeyPurpose)) {
      expect(has(keyEnvName(purpose)), keyEnvName(purpose)).toBe(keyPurposesOf(spec).includes(purpose));
    }
    expect(has(PUBLISHED_KEYS_ENV)).toBe(spec.publishesKeys === true);
    expect(has(HOLDER_HASH_SECRET_ENV)).toBe((spec.secrets ?? []).includes('holderHash'));
    expect(has('ELG_HOLDER_HASH_KEY')).toBe(false);
    expect(has('ELG_REGISTRY_URL')).toBe(spec.tables.registry !== undefined);
    expect(has('ELG_REGISTRY_ROOT_JWK')).toBe(spec.tables.registry !== undefined);
    for (const idp of ['ELG_IDP_ISSUER', 'ELG_IDP_AUDIENCE', 'ELG_IDP_JWKS_URL']) {
      expect(has(idp), idp).toBe(spec.bearerTokens === true);
    }
  });

  it('runs on EventBridge exactly the functions the catalog schedules, and serves the others on HTTP', () => {
    expect(
      FUNCTIONS.filter((f) => f.scheduleMinutes !== undefined)
        .map((f) => f.name)
        .sort(),
    ).toEqual([...SCHEDULED].sort());
    for (const f of FUNCTIONS) {
      expect(f.routes.length === 0, f.name).toBe(isScheduled(f.name as FunctionName));
    }
    expect(Object.keys(PROBES).sort()).toEqual(NAMES.filter((n) => !isScheduled(n)).sort());
  });

  it('sequencer is told only its tables, the audit key and, for its calls to the witnesses, the gateway key and the registry', () => {
    expect(Object.keys(world.envOf('sequencer')).filter(isGatewayVariable).sort()).toEqual(
      expect.arrayContaining([
        'ELG_DYNAMODB_ENDPOINT',
        'ELG_KMS_KEY_AUDIT',
        'ELG_KMS_KEY_GATEWAY',
        'ELG_MAX_BODY_BYTES',
        'ELG_PROVINCE_ID',
        'ELG_PROVINCE_NAME',
        'ELG_REGISTRY_ROOT_JWK',
        'ELG_REGISTRY_URL',
        'ELG_TABLE_AUDIT',
        'ELG_TABLE_LOG',
        'ELG_TABLE_REGISTRY',
      ]),
    );
    expect(
      Object.keys(world.envOf('sequencer'))
        .filter(isGatewayVariable)
        .filter((v) => /HOLDER|IDP|LICENSES|NONCES|AGREEMENTS|REPORTS|REVIEWS|WITNESS$|CREDENTIAL/.test(v)),
    ).toEqual([]);
  });

  describe('discovery', () => {
    it('starts without the holder-hash secret and without any table but audit and registry', async () => {
      vi.resetModules();
      const invoke = await httpFunction('discovery', world);
      const vars = gatewayVariables();

      expect(vars.filter((v) => v.startsWith('ELG_HOLDER_HASH_'))).toEqual([]);
      expect(vars.filter((v) => v.startsWith('ELG_TABLE_'))).toEqual([
        'ELG_TABLE_AUDIT',
        'ELG_TABLE_REGISTRY',
      ]);
      expect(vars.filter((v) => v.startsWith('ELG_IDP_'))).toEqual([]);

      const health = await invoke(healthzEvent());
      expect(health.statusCode).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({
        province: SH,
        dependencies: { storage: 'up', registry: { seq: 1 } },
      });
      const jwks = await invoke(httpApiEvent({ method: 'GET', path: '/.well-known/jwks.json' }));
      expect(JwksSchema.parse(JSON.parse(jwks.body)).keys).toEqual([
        world.keys.credential.publicJwk,
        world.keys.gateway.publicJwk,
        world.keys.audit.publicJwk,
        world.keys.witness.publicJwk,
        ...world.previous.map((k) => k.publicJwk),
      ]);
    });
  });

  it.each(NAMES)(
    '%s does not start without any variable its entry lists, and names the one missing',
    async (name) => {
      const own = world.envOf(name);
      const required = Object.keys(own).filter((v) => isGatewayVariable(v) && !OPTIONAL.has(v));
      expect(required.length).toBeGreaterThan(3);

      for (const variable of required) {
        const { [variable]: _, ...without } = own;
        vi.resetModules();
        world.enter(name, without);

        const err = await handlerOf(name).then(
          () => undefined,
          (e: unknown) => e,
        );

        expect(err, `${name} without ${variable}`).toMatchObject({ name: 'ConfigError' });
        const message = (err as Error).message;
        expect(message, `${name} without ${variable}`).toMatch(
          new RegExp(`^the ${name} function is misconfigured:\n`),
        );
        expect(message, `${name} without ${variable}`).toContain(variable);
      }
    },
  );
});
