import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type ServerType, serve } from '@hono/node-server';
import type { Role } from '../contracts/auth.ts';
import { type WitnessPolicy, witnessName } from '../contracts/registry.ts';
import { startDeliveryLoop } from '../functions/agreements/delivery.ts';
import { provinceApp, SCHEDULED_FUNCTIONS } from '../functions/province.ts';
import { reportRound } from '../functions/reports/delivery.ts';
import { reportRoundDeps } from '../functions/reports/function.ts';
import { reviewRound } from '../functions/reviews/delivery.ts';
import { reviewRoundDeps } from '../functions/reviews/function.ts';
import { sequencerDeps } from '../functions/sequencer/function.ts';
import { startSequencerLoop } from '../functions/sequencer/sequencer.ts';
import { createBearerVerifier } from '../lib/auth/bearer.ts';
import { DevIdentityProvider } from '../lib/auth/dev-idp.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { log } from '../lib/log/logger.ts';
import { loadOrCreateRootKey, signRegistry } from '../lib/registry/sign-registry.ts';
import { TrustRegistry } from '../lib/registry/trust-registry.ts';
import { jwksOf } from '../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../lib/signing/local-signer.ts';
import { createDocumentClient, ensureTables } from '../lib/store/dynamo.ts';
import { DynamoRegistryStore } from '../lib/store/registry-store.ts';
import { type TableNames, tableNames } from '../lib/store/tables.ts';
import { ProvinceAdapters } from '../lib/wiring/adapters.ts';
import { scheduledRun } from '../lib/wiring/function.ts';
import { freePort } from './dynamodb-local.ts';
import { FEDERATION, type ProvinceSpec } from './provinces.ts';
import { seedYangtzeDeltaAlliance } from './seed-alliance.ts';

export interface FederationOptions {
  /** Where keys, the registry and federation.json live (`.elg` for `npm start`). */
  dir: string;
  dynamodbEndpoint: string;
  /** Fixed ports of docs/protocol.md §15, or free ones (tests). */
  ports?: 'fixed' | 'ephemeral';
  /** Table name prefix before the province id; tests isolate themselves with it. */
  tablePrefix?: string;
  provinces?: readonly ProvinceSpec[];
  clock?: Clock;
  host?: string;
  /** Registry `baseUrl` per province id instead of its own port (tests stand a hostile server in). */
  baseUrlOverrides?: Readonly<Record<string, string>>;
  /**
   * Runs the scheduled functions (deliveries, the sequencer) as loops; default true. The bench
   * turns them off to measure the request path alone, then runs the sequencer itself.
   */
  scheduled?: boolean;
  /**
   * Whether the registry names each province's witnesses (docs/protocol.md §19); default true.
   * Test suites about other routes turn it off, so no collection of cosignatures adds its calls
   * to the events and nonces they count.
   */
  witnessed?: boolean;
  /** Sees the DynamoDB client before any request (the bench counts requests and capacity). */
  instrument?: (doc: DynamoDBDocumentClient) => void;
}

export interface RunningProvince {
  id: string;
  name: string;
  url: string;
  departments: ProvinceSpec['departments'];
  tokens: Record<Role, string>;
  /**
   * The province's adapters over every resource, as its operator holds them: what the federation
   * seeds agreements with and tests inspect stores through. Each function runs over its own scope
   * of these (functions/province.ts), never over this whole.
   */
  gateway: ProvinceAdapters;
  /** The DynamoDB client and the province's tables, for tests that look at what was stored. */
  storage: { doc: DynamoDBDocumentClient; tables: TableNames };
}

export interface Federation {
  provinces: RunningProvince[];
  file: string;
  province(id: string): RunningProvince;
  stop(): Promise<void>;
}

const ROLES: readonly Role[] = [
  'issuer',
  'platform',
  'operator',
  'auditor',
  'holder',
  'investigator',
  'reviewer',
];
/** The holder of the documented example license (contracts/examples), whom the dev holder token names. */
const DEV_HOLDER = { typeCode: '111', code: '11010519491231002X' };
const TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** How often each province sends its pending agreement deliveries. */
const DELIVERY_INTERVAL_MS = 1000;
/** How often each province integrates its waiting audit events into its Merkle log. */
const SEQUENCER_INTERVAL_MS = 1000;
/**
 * How far apart the sequencer's rounds get while they find nothing (the wait doubles from the
 * interval; lib/interval-loop.ts): an event written after a quiet spell waits this long at most.
 */
const SEQUENCER_MAX_INTERVAL_MS = 16_000;

/**
 * Runs several province gateways in this process, each on its own HTTP port, over one DynamoDB
 * Local, with local keys and a registry signed by a local root key. Keys and data persist in
 * `dir`, so a second start reuses them.
 */
export async function startFederation(options: FederationOptions): Promise<Federation> {
  const specs = options.provinces ?? FEDERATION;
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const doc = createDocumentClient({ endpoint: options.dynamodbEndpoint });
  options.instrument?.(doc);
  const ports = new Map<string, number>();
  for (const spec of specs) ports.set(spec.id, options.ports === 'ephemeral' ? await freePort() : spec.port);
  const urlOf = (id: string) => `http://${host}:${ports.get(id) ?? 0}`;

  const prepared = await Promise.all(
    specs.map(async (spec) => {
      const keyDir = join(options.dir, 'keys', spec.id);
      const keys = await loadLocalKeyRing(keyDir);
      const idp = await DevIdentityProvider.loadOrCreate(join(options.dir, 'idp', `${spec.id}.jwk`));
      const holderHashKey = await loadOrCreateSecret(join(keyDir, 'holder-hash.key'));
      return { spec, keys, idp, holderHashKey };
    }),
  );

  const present = new Set(prepared.map(({ spec }) => spec.id));
  const root = await loadOrCreateRootKey(join(options.dir, 'root.jwk'));
  const registryFile = join(options.dir, 'registry.jwt');
  await writeFile(
    registryFile,
    await signRegistry(root, {
      iss: 'elg-national-root',
      iat: Math.floor(clock.now().getTime() / 1000),
      seq: Math.floor(clock.now().getTime() / 1000),
      provinces: prepared.map(({ spec, keys }) => ({
        id: spec.id,
        name: spec.name,
        baseUrl: options.baseUrlOverrides?.[spec.id] ?? urlOf(spec.id),
        jwks: jwksOf(keys),
        status: 'active' as const,
        witnessName: witnessName(spec.id),
        ...(options.witnessed === false ? {} : witnessPolicyAmong(spec, present)),
      })),
    }),
  );

  const servers: ServerType[] = [];
  const registries: TrustRegistry[] = [];
  const running: RunningProvince[] = [];
  try {
    const namesOf = (id: string) => tableNames(`${options.tablePrefix ?? 'elg'}-${id}`);
    await Promise.all(
      prepared.map(({ spec }) => ensureTables({ endpoint: options.dynamodbEndpoint }, namesOf(spec.id))),
    );
    for (const { spec, keys, idp, holderHashKey } of prepared) {
      const names = namesOf(spec.id);
      const registry = await TrustRegistry.load({
        source: registryFile,
        rootPublicJwk: root.publicJwk,
        refreshIntervalMs: 60_000,
        clock,
        store: new DynamoRegistryStore(doc, names.registry),
      });
      registry.start();
      registries.push(registry);
      const issuer = `${urlOf(spec.id)}/dev-idp`;
      const audience = `elg-${spec.id}`;
      const gateway = new ProvinceAdapters({
        province: spec.id,
        provinceName: spec.name,
        doc,
        tables: names,
        keys,
        registry,
        auth: createBearerVerifier({ issuer, audience, jwks: idp.jwks, clock }),
        holderHashKey,
        clock,
        // Metric lines are for CloudWatch: locally, only with ELG_LOG_LEVEL=debug.
        writeMetrics: (line) => log.debug('metric', { emf: line.trim() }),
      });
      const app = provinceApp(gateway);
      const port = ports.get(spec.id) ?? 0;
      const server = await listen(app.fetch, host, port);
      servers.push(server);
      const tokens = {} as Record<Role, string>;
      const first = spec.departments[0];
      for (const role of ROLES) {
        tokens[role] = await idp.mint({
          sub: `dev-${role}@${spec.id}`,
          roles: [role],
          ...(role === 'issuer' && first ? { uscc: first.uscc, name: first.name } : {}),
          // The name other provinces see as requester.platform of this province's verifications.
          ...(role === 'platform' ? { name: `${spec.name}政务服务平台` } : {}),
          ...(role === 'investigator' ? { name: `${spec.name}公安厅` } : {}),
          ...(role === 'reviewer' ? { name: `${spec.name}数据共享审核员` } : {}),
          ...(role === 'holder' ? { holder: DEV_HOLDER } : {}),
          ttlSeconds: TOKEN_TTL_SECONDS,
          issuer,
          audience,
        });
      }
      running.push({
        id: spec.id,
        name: spec.name,
        url: urlOf(spec.id),
        departments: spec.departments,
        tokens,
        gateway,
        storage: { doc, tables: names },
      });
    }
    await seedYangtzeDeltaAlliance(
      running.map((r) => r.gateway),
      clock.now(),
    );
  } catch (err) {
    await Promise.all(servers.map(close));
    for (const r of registries) r.stop();
    throw err;
  }

  // The scheduled functions as loops, each over its own scope as on AWS.
  const { delivery, reportDelivery, reviewDelivery, sequencer } = SCHEDULED_FUNCTIONS;
  const loops = options.scheduled ?? true;
  const stopDeliveries = (loops ? running : []).flatMap((r) => [
    startDeliveryLoop(scheduledRun(delivery, r.gateway), DELIVERY_INTERVAL_MS),
    // Without the overdue metric a Lambda run publishes: the federation prints no metric lines.
    startDeliveryLoop(() => {
      const deps = reportRoundDeps(r.gateway.scopedTo(reportDelivery.scope));
      return reportRound(deps, deps.clock.now());
    }, DELIVERY_INTERVAL_MS),
    // Without the open-breakers metric, for the same reason.
    startDeliveryLoop(() => {
      const deps = reviewRoundDeps(r.gateway.scopedTo(reviewDelivery.scope));
      return reviewRound(deps, deps.clock.now());
    }, DELIVERY_INTERVAL_MS),
  ]);
  const stopSequencers = (loops ? running : []).map((r) =>
    startSequencerLoop(sequencerDeps(r.gateway.scopedTo(sequencer.scope)), SEQUENCER_INTERVAL_MS, {
      maxIntervalMs: SEQUENCER_MAX_INTERVAL_MS,
    }),
  );
  const file = join(options.dir, 'federation.json');
  await writeFile(
    file,
    `${JSON.stringify(
      {
        root: { jwk: root.publicJwk },
        registry: registryFile,
        provinces: running.map(({ id, name, url, departments, tokens }) => ({
          id,
          name,
          url,
          departments,
          tokens,
        })),
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );

  return {
    provinces: running,
    file,
    province(id) {
      const p = running.find((r) => r.id === id);
      if (!p) throw new TypeError(`province ${id} is not in this federation`);
      return p;
    },
    async stop() {
      await Promise.all(stopDeliveries.map((stopDelivery) => stopDelivery()));
      await Promise.all(stopSequencers.map((stopSequencer) => stopSequencer()));
      for (const r of registries) r.stop();
      await Promise.all(servers.map(close));
      doc.destroy();
    },
  };
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number) {
  return new Promise<ServerType>((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} is already in use: is a federation already running?`)
          : err,
      ),
    );
  });
}

function close(server: ServerType) {
  return new Promise<void>((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function loadOrCreateSecret(file: string): Promise<Uint8Array> {
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
    throw new Error(`${file} is not a 32-byte hex key`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await writeFile(file, key.toString('hex'), { mode: 0o600 });
  return key;
}

/**
 * A province's witness policy among the provinces started: its witnesses that run, and the quorum
 * capped at their number; none when no witness of it runs (a federation of a few provinces).
 */
function witnessPolicyAmong(
  spec: ProvinceSpec,
  present: ReadonlySet<string>,
): { witnessPolicy?: WitnessPolicy } {
  const witnesses = spec.witnessedBy.witnesses.filter((w) => present.has(w));
  if (witnesses.length === 0) return {};
  return { witnessPolicy: { witnesses, quorum: Math.min(spec.witnessedBy.quorum, witnesses.length) } };
}
