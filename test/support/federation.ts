import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import {
  type Federation,
  type FederationOptions,
  type RunningProvince,
  startFederation,
} from '../../federation/federation.ts';
import { FEDERATION } from '../../federation/provinces.ts';
import { SCHEDULED_FUNCTIONS } from '../../functions/province.ts';
import { sequencerDeps } from '../../functions/sequencer/function.ts';
import { integrate } from '../../functions/sequencer/sequencer.ts';
import type { TraceSource } from '../../lib/audit/trace.ts';
import { DevIdentityProvider } from '../../lib/auth/dev-idp.ts';

/**
 * The one way tests run a local federation: real gateways over HTTP on ephemeral ports, against
 * the suite's DynamoDB Local, in a temporary directory and under a table prefix of their own.
 */

export interface TestFederationOptions {
  /** Names the temporary directory (`elg-<name>-…`) and, unless `tablePrefix` is given, the tables. */
  name: string;
  /** Province ids to run, in FEDERATION's order whatever the order here; all of FEDERATION by default. */
  provinces?: readonly string[];
  clock?: FederationOptions['clock'];
  baseUrlOverrides?: FederationOptions['baseUrlOverrides'];
  /**
   * Whether the scheduled functions run as loops (deliveries, the sequencer): true by default.
   * False for a test that must be the only one writing to a province's logs and witnesses.
   */
  scheduled?: FederationOptions['scheduled'];
  /** Whether the registry names witnesses (true by default): false for suites that count events of other routes. */
  witnessed?: FederationOptions['witnessed'];
  /** The suite's DynamoDB Local (`inject('dynamodbEndpoint')`) unless a test runs its own. */
  dynamodbEndpoint?: string;
  /** An existing directory to run in (kept on stop); a fresh temporary one (removed on stop) by default. */
  dir?: string;
  /** The table prefix; `<name><6 hex>` by default. With `dir`, starts again on earlier data. */
  tablePrefix?: string;
}

/** A running federation that also knows where it lives, so it can be restarted on the same data. */
export interface TestFederation extends Federation {
  dir: string;
  tablePrefix: string;
  /** Stops the gateways and starts them again on the same directory and tables. */
  restart(): Promise<void>;
  /** Stops the gateways and removes the directory, if this harness made it. */
  stop(): Promise<void>;
}

export async function testFederation(options: TestFederationOptions): Promise<TestFederation> {
  const provinces = options.provinces ?? FEDERATION.map((p) => p.id);
  const unknown = provinces.filter((id) => !FEDERATION.some((p) => p.id === id));
  if (unknown.length > 0) throw new Error(`not provinces of FEDERATION: ${unknown.join(', ')}`);
  const specs = FEDERATION.filter((p) => provinces.includes(p.id));
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `elg-${options.name}-`)));
  const tablePrefix = options.tablePrefix ?? `${options.name}${randomBytes(3).toString('hex')}`;
  const removeDir = async () => {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
  };
  const start = () =>
    startFederation({
      dir,
      dynamodbEndpoint: options.dynamodbEndpoint ?? inject('dynamodbEndpoint'),
      ports: 'ephemeral',
      tablePrefix,
      provinces: specs,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.baseUrlOverrides ? { baseUrlOverrides: options.baseUrlOverrides } : {}),
      ...(options.scheduled === undefined ? {} : { scheduled: options.scheduled }),
      ...(options.witnessed === undefined ? {} : { witnessed: options.witnessed }),
    });

  let current: Federation | undefined;
  try {
    current = await start();
  } catch (err) {
    await removeDir();
    throw err;
  }
  const running = (): Federation => {
    if (!current) throw new Error(`the test federation ${options.name} is not running`);
    return current;
  };
  return {
    dir,
    tablePrefix,
    get provinces() {
      return running().provinces;
    },
    get file() {
      return running().file;
    },
    province: (id) => running().province(id),
    async restart() {
      await running().stop();
      current = undefined;
      current = await start();
    },
    async stop() {
      const was = current;
      current = undefined;
      try {
        await was?.stop();
      } finally {
        await removeDir();
      }
    },
  };
}

export interface CallAnswer {
  status: number;
  /** The parsed JSON body; undefined for an empty one. */
  body: unknown;
  headers: Headers;
}

/**
 * A JSON call to a province's gateway with `role`'s bearer token: GET without a body, POST with
 * one. `init` may set another method and add or replace headers (another province's token, a
 * traceparent).
 */
export async function call(
  p: RunningProvince,
  role: keyof RunningProvince['tokens'],
  path: string,
  body?: unknown,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<CallAnswer> {
  const res = await fetch(`${p.url}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${p.tokens[role]}`,
      'content-type': 'application/json',
      ...init.headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    headers: res.headers,
  };
}

/** Every province of the federation as an auditor's trace reads it: its URL, auditor token and departments. */
export function traceSources(f: Federation): TraceSource[] {
  return f.provinces.map((p) => ({
    province: p.id,
    baseUrl: p.url,
    token: p.tokens.auditor,
    departments: p.departments,
  }));
}

/** Integrates until nothing is pending; the federation's own sequencer loop may hold the lease. */
export async function settle(p: RunningProvince): Promise<void> {
  // As the province's sequencer runs: its batches, then the newest checkpoint's cosignatures.
  const deps = sequencerDeps(p.gateway.scopedTo(SCHEDULED_FUNCTIONS.sequencer.scope));
  let unwitnessed = 0;
  for (let i = 0; i < 100; i++) {
    const round = await integrate(deps, { maxBatch: 500 });
    if (round.outcome === 'idle') {
      // Settled once the head has its quorum; a test with witnesses down gets three tries.
      if (round.witness === undefined || round.witness.quorumMet || ++unwitnessed >= 3) return;
    }
    if (round.outcome !== 'integrated') await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the log of ${p.id} did not settle`);
}

/**
 * A token of a province's dev identity provider with claims of the test's choosing (another
 * department's issuer, a second reviewer), for the same issuer and audience as its own tokens.
 */
export async function mintToken(
  f: Pick<TestFederation, 'dir'>,
  p: RunningProvince,
  claims: Omit<Parameters<DevIdentityProvider['mint']>[0], 'issuer' | 'audience'>,
): Promise<string> {
  const idp = await DevIdentityProvider.loadOrCreate(join(f.dir, 'idp', `${p.id}.jwk`));
  const payload = JSON.parse(Buffer.from(p.tokens.issuer.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return idp.mint({ ...claims, issuer: payload.iss, audience: payload.aud });
}
