import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionSpec } from '../../../functions/catalog.ts';
import { HTTP_FUNCTIONS, SCHEDULED_FUNCTIONS } from '../../../functions/province.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { LocalSigner } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import { createDocumentClient } from '../../../lib/store/dynamo.ts';
import { tableNames } from '../../../lib/store/tables.ts';
import { ProvinceAdapters } from '../../../lib/wiring/adapters.ts';
import { functionApp } from '../../../lib/wiring/function.ts';
import {
  canUseTable,
  type LeadingKeys,
  PUT_CHECK_ACTIONS,
  type ResourceScope,
  UndeclaredResourceError,
} from '../../../lib/wiring/scope.ts';

/**
 * What a function is handed is exactly what its catalog entry lists: each function wires over its
 * own scope, and an entry with any one listing taken away no longer wires. Nothing here reaches
 * storage (wiring builds stores without calling them), so the province's parts are real objects
 * over an endpoint nobody listens on.
 */

const clock = fixedClock('2026-06-01T08:00:00Z');
const p256 = () => generateP256PrivateKey();
const keys = {
  credential: await LocalSigner.create(p256(), 'credential'),
  gateway: await LocalSigner.create(p256(), 'gateway'),
  audit: await LocalSigner.create(p256(), 'audit'),
};
const registry = TrustRegistry.fromClaims({
  iss: 'test-root',
  iat: Math.floor(clock.now().getTime() / 1000),
  seq: 1,
  provinces: [
    { id: '310000', name: 'test', baseUrl: 'http://127.0.0.1:1', jwks: jwksOf(keys), status: 'active' },
  ],
});
const province = new ProvinceAdapters({
  province: '310000',
  provinceName: '上海市',
  clock,
  doc: createDocumentClient({ endpoint: 'http://127.0.0.1:9' }),
  tables: tableNames('wiring-310000'),
  keys,
  registry,
  auth: { verify: async () => ({ sub: 'nobody', roles: [] }) },
  holderHashKey: randomBytes(32),
});

const definitions = [...HTTP_FUNCTIONS, ...Object.values(SCHEDULED_FUNCTIONS)];

/** Wires the function of `spec` as if its catalog entry were `scope`. */
function wire(spec: FunctionSpec, scope: ResourceScope): void {
  const fn = definitions.find((d) => d.scope.name === spec.name);
  if (!fn) throw new Error(`no definition for ${spec.name}`);
  if (fn.kind === 'http') functionApp({ ...fn, scope }, province);
  else fn.wire(province.scopedTo(scope));
}

/** Every single listing of an entry, each as the entry without it. */
function withoutEachListing(spec: FunctionSpec): { listing: string; scope: ResourceScope }[] {
  const out: { listing: string; scope: ResourceScope }[] = [];
  for (const kind of Object.keys(spec.tables) as (keyof FunctionSpec['tables'])[]) {
    const { [kind]: _, ...tables } = spec.tables;
    out.push({ listing: `the ${kind} table`, scope: { ...spec, tables } });
  }
  for (const [kind, indexes] of Object.entries(spec.queriesIndexes ?? {})) {
    for (const index of indexes ?? []) {
      const queriesIndexes = { ...spec.queriesIndexes, [kind]: (indexes ?? []).filter((i) => i !== index) };
      out.push({ listing: `the ${index} index of ${kind}`, scope: { ...spec, queriesIndexes } });
    }
  }
  for (const [kind, byAction] of Object.entries(spec.leadingKeys ?? {})) {
    for (const action of PUT_CHECK_ACTIONS) {
      const keys = byAction?.[action] ?? [];
      for (const key of keys) {
        const leadingKeys = {
          ...spec.leadingKeys,
          [kind]: { ...byAction, [action]: keys.filter((k) => k !== key) },
        };
        out.push({
          listing: `the ${key} partition of ${kind} for ${action}`,
          scope: { ...spec, leadingKeys },
        });
      }
    }
  }
  for (const purpose of spec.signsWith) {
    out.push({
      listing: `the ${purpose} key`,
      scope: { ...spec, signsWith: spec.signsWith.filter((p) => p !== purpose) },
    });
  }
  for (const secret of spec.secrets ?? []) {
    out.push({
      listing: `the ${secret} secret`,
      scope: { ...spec, secrets: (spec.secrets ?? []).filter((s) => s !== secret) },
    });
  }
  if (spec.publishesKeys) out.push({ listing: 'publishesKeys', scope: { ...spec, publishesKeys: false } });
  if (spec.bearerTokens) out.push({ listing: 'bearerTokens', scope: { ...spec, bearerTokens: false } });
  return out;
}

describe('each function is wired from its catalog entry', () => {
  it('has one definition per catalog entry, under its name', () => {
    expect(definitions.map((d) => d.scope.name).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
    for (const d of definitions) expect(FUNCTIONS).toContain(d.scope);
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('wires %s over exactly its own scope', (_, spec) => {
    expect(() => wire(spec, spec)).not.toThrow();
  });

  it.each(
    FUNCTIONS.flatMap((spec) =>
      withoutEachListing(spec).map(({ listing, scope }) => [spec.name, listing, scope] as const),
    ),
  )('refuses to wire %s without %s: the entry lists nothing the function does not use', (name, _, scope) => {
    const spec = FUNCTIONS.find((f) => f.name === name) as FunctionSpec;
    expect(() => wire(spec, scope)).toThrow(UndeclaredResourceError);
  });

  it('refuses a read-only listing to a function that writes, and a write-only one to a function that reads', () => {
    const issuance = FUNCTIONS.find((f) => f.name === 'issuance') as FunctionSpec;
    expect(() => wire(issuance, { ...issuance, tables: { ...issuance.tables, licenses: 'read' } })).toThrow(
      /issuance function needs readwrite access to the licenses table; its catalog entry lists read/,
    );
    const verification = FUNCTIONS.find((f) => f.name === 'verification') as FunctionSpec;
    expect(() =>
      wire(verification, { ...verification, tables: { ...verification.tables, licenses: 'write' } }),
    ).toThrow(/verification function needs read access to the licenses table/);
  });
});

describe('issuance puts fan-outs and checks reports in the reports table, nothing else', () => {
  const spec = FUNCTIONS.find((f) => f.name === 'issuance') as FunctionSpec;
  const issuance = province.scopedTo(spec);
  const withKeys = (reports: LeadingKeys) => province.scopedTo({ ...spec, leadingKeys: { reports } });

  it('lists the reports table as putcheck: puts under FAN only, checks of RPT#* only', () => {
    expect(spec.tables.reports).toBe('putcheck');
    expect(spec.leadingKeys).toEqual({ reports: { put: ['FAN'], check: ['RPT#*'] } });
    expect(issuance.changeNotices).toBeDefined();
  });

  it('builds no other store over that table: the reports store needs readwrite', () => {
    expect(() => issuance.reports).toThrow(UndeclaredResourceError);
    expect(() => issuance.reports).toThrow(
      /issuance function needs readwrite access to the reports table; its catalog entry lists putcheck/,
    );
  });

  it('refuses the change notices without the put under FAN or the check of RPT#*, or with a narrower one', () => {
    for (const reports of [
      { put: ['FAN'] },
      { check: ['RPT#*'] },
      { put: ['FAN'], check: ['RPT#310000-*'] },
      { put: ['FAN#*'], check: ['RPT#*'] },
      {},
    ] as LeadingKeys[]) {
      expect(() => withKeys(reports).changeNotices, JSON.stringify(reports)).toThrow(UndeclaredResourceError);
    }
    expect(() => province.scopedTo({ ...spec, leadingKeys: {} }).changeNotices).toThrow(
      /issuance function puts items under FAN and checks items under RPT#\* in the reports table, which its catalog entry's leadingKeys do not list/,
    );
  });

  it('takes a partition listed for one action as no grant of the other', () => {
    // The one listing of FAN and RPT#* for both actions, as before: neither is listed per action.
    const both = ['FAN', 'RPT#*'];
    expect(
      () => province.scopedTo({ ...spec, leadingKeys: { reports: both } } as never).changeNotices,
    ).toThrow(/puts items under FAN and checks items under RPT#\*/);
    // Swapped: a put on the reports and a check of the fan-outs.
    expect(() => withKeys({ put: ['RPT#*'], check: ['FAN'] }).changeNotices).toThrow(
      /issuance function puts items under FAN and checks items under RPT#\* in the reports table/,
    );
    // Checks of FAN and RPT#*, but a put under RPT#* only.
    expect(() => withKeys({ put: ['RPT#*'], check: ['FAN', 'RPT#*'] }).changeNotices).toThrow(
      /issuance function puts items under FAN in the reports table/,
    );
    // Puts under FAN and RPT#*, but no check.
    expect(() => withKeys({ put: ['FAN', 'RPT#*'] }).changeNotices).toThrow(
      /issuance function checks items under RPT#\* in the reports table/,
    );
  });

  it('still takes the change notices from a write or readwrite listing, which covers every partition', () => {
    for (const access of ['write', 'readwrite'] as const) {
      const { leadingKeys: _, ...wider } = spec;
      const scope = province.scopedTo({ ...wider, tables: { ...spec.tables, reports: access } });
      expect(scope.changeNotices, access).toBeDefined();
    }
    const getput = province.scopedTo({ ...spec, tables: { ...spec.tables, reports: 'getput' } });
    expect(() => getput.changeNotices).toThrow(
      /issuance function needs putcheck access to the reports table; its catalog entry lists getput/,
    );
  });

  it('gives a putcheck listing no read, write, query or describe use of the table', () => {
    const uses = ['describe', 'read', 'write', 'readwrite', 'query', 'putcheck'] as const;
    expect(uses.filter((use) => canUseTable(spec, 'reports', use))).toEqual(['putcheck']);
    // Report delivery reads and rewrites its outbox: putcheck does not wire it.
    const delivery = FUNCTIONS.find((f) => f.name === 'report-delivery') as FunctionSpec;
    const narrowed = {
      ...delivery,
      tables: { ...delivery.tables, reports: 'putcheck' as const },
      leadingKeys: { reports: { put: ['FAN'], check: ['RPT#*'] } },
    };
    expect(() => wire(delivery, narrowed)).toThrow(/needs readwrite access to the reports table/);
  });
});

describe('a scope refuses what its entry does not list', () => {
  const discovery = province.scopedTo(FUNCTIONS.find((f) => f.name === 'discovery') as FunctionSpec);

  it.each([
    [
      'licenses',
      () => discovery.licenses,
      /discovery function uses the licenses table \(readwrite\), which its catalog entry does not list/,
    ],
    ['nonces', () => discovery.nonces, /uses the nonces table/],
    [
      'the audit sink',
      () => discovery.auditStore,
      /discovery function needs write access to the audit table; its catalog entry lists describe/,
    ],
    [
      'the holder-hash key',
      () => discovery.holderHashKey,
      /reads the holderHash secret, which its catalog entry does not list/,
    ],
    [
      'a signing key',
      () => discovery.signer('gateway'),
      /signs with the gateway key, which its catalog entry does not list/,
    ],
    [
      'bearer tokens',
      () => discovery.auth,
      /authenticates bearer tokens, which its catalog entry does not list/,
    ],
    ['signed calls', () => discovery.peers, /signs with the gateway key/],
  ])('discovery reaching for %s', (_, reach, message) => {
    expect(reach).toThrow(UndeclaredResourceError);
    expect(reach).toThrow(message);
  });

  it('checks on every access, even for a store another scope of the same province built already', () => {
    expect(province.holderHashKey).toHaveLength(32);
    expect(province.licenses).toBeDefined();
    expect(() => discovery.licenses).toThrow(UndeclaredResourceError);
    const sequencer = province.scopedTo(FUNCTIONS.find((f) => f.name === 'sequencer') as FunctionSpec);
    expect(() => sequencer.registry).toThrow(/sequencer function uses the registry table/);
  });

  it('refuses a part that was never configured, naming it', () => {
    const bare = new ProvinceAdapters({ province: '310000', provinceName: 'x', clock }).scopedTo(
      FUNCTIONS.find((f) => f.name === 'issuance') as FunctionSpec,
    );
    expect(() => bare.holderHashKey).toThrow(/issuance function was wired without the holder-hash key/);
    expect(() => bare.licenses).toThrow(/wired without the licenses table's name/);
  });
});

describe('the function folders', () => {
  const root = join(import.meta.dirname, '../../../functions');

  async function sources(): Promise<{ folder: string; file: string; text: string }[]> {
    const out = [];
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      for (const file of await readdir(join(root, entry.name))) {
        if (!file.endsWith('.ts')) continue;
        out.push({ folder: entry.name, file, text: await readFile(join(root, entry.name, file), 'utf8') });
      }
    }
    return out;
  }

  it('import no other function folder', async () => {
    const crossing = (await sources()).flatMap(({ folder, file, text }) =>
      [...text.matchAll(/from '\.\.\/([a-z-]+)\/[^']*'/g)]
        .filter((m) => m[1] !== folder)
        .map((m) => `${folder}/${file} imports ${m[0]}`),
    );
    expect(crossing).toEqual([]);
  });

  it('build no DynamoDB client or store of their own: stores come from the adapter factory', async () => {
    const builders = (await sources()).flatMap(({ folder, file, text }) =>
      [...text.matchAll(/^import (?!type )[^;]*from '([^']*)';/gms)]
        .filter((m) =>
          /^@aws-sdk\/|lib\/store\/(dynamo|[a-z-]+-store|logged-events|audit-query)\.ts$/.test(m[1] ?? ''),
        )
        .map((m) => `${folder}/${file}: ${m[1]}`),
    );
    expect(builders).toEqual([]);
  });
});
