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
import { LocalWitnessSigner } from '../../../lib/signing/local-witness-signer.ts';
import { ed25519PrivateKey, generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import { createDocumentClient } from '../../../lib/store/dynamo.ts';
import { tableNames } from '../../../lib/store/tables.ts';
import { ProvinceAdapters } from '../../../lib/wiring/adapters.ts';
import { functionApp } from '../../../lib/wiring/function.ts';
import {
  canUseTable,
  KEYED_ACTIONS,
  type LeadingKeys,
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
  witness: await LocalWitnessSigner.create(ed25519PrivateKey()),
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
    for (const action of KEYED_ACTIONS) {
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

  it('lists the reports table as keyed: puts under FAN only, checks of RPT#* only', () => {
    expect(spec.tables.reports).toBe('keyed');
    expect(spec.leadingKeys).toEqual({ reports: { put: ['FAN'], check: ['RPT#*'] } });
    expect(issuance.changeNotices).toBeDefined();
  });

  it('builds no other store over that table: the reports store needs readwrite', () => {
    expect(() => issuance.reports).toThrow(UndeclaredResourceError);
    expect(() => issuance.reports).toThrow(
      /issuance function needs readwrite access to the reports table; its catalog entry lists keyed/,
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
    // A listing that does not do all it does: getput checks nothing, read puts nothing.
    const { leadingKeys: _, ...unkeyed } = spec;
    const getput = province.scopedTo({ ...unkeyed, tables: { ...spec.tables, reports: 'getput' } });
    expect(() => getput.changeNotices).toThrow(
      /issuance function checks items under RPT#\* in the reports table; its catalog entry lists getput/,
    );
    const read = province.scopedTo({ ...unkeyed, tables: { ...spec.tables, reports: 'read' } });
    expect(() => read.changeNotices).toThrow(
      /issuance function puts items under FAN in the reports table; its catalog entry lists read/,
    );
    const describe = province.scopedTo({ ...unkeyed, tables: { ...spec.tables, reports: 'describe' } });
    expect(() => describe.changeNotices).toThrow(
      /issuance function needs keyed access to the reports table; its catalog entry lists describe/,
    );
  });

  it('gives a keyed listing no read, write, query or describe use of the table', () => {
    const uses = ['describe', 'read', 'write', 'readwrite', 'query', 'keyed'] as const;
    expect(uses.filter((use) => canUseTable(spec, 'reports', use))).toEqual(['keyed']);
    // Report delivery reads and rewrites its outbox: keyed does not wire it.
    const delivery = FUNCTIONS.find((f) => f.name === 'report-delivery') as FunctionSpec;
    const narrowed = {
      ...delivery,
      tables: { ...delivery.tables, reports: 'keyed' as const },
      leadingKeys: { reports: { put: ['FAN'], check: ['RPT#*'] } },
    };
    expect(() => wire(delivery, narrowed)).toThrow(/needs readwrite access to the reports table/);
  });
});

/** The reviews table's partitions, by action, of the two functions that touch only some of it. */
const INTEROP_REVIEWS = {
  get: ['POLICY', 'BRK#*'],
  query: ['CNT#*'],
  put: ['REV#*', 'PENDING', 'BRK#*', 'BREAKERS'],
  update: ['CNT#*'],
};
const REVIEW_DELIVERY_REVIEWS = {
  query: ['PENDING', 'BREAKERS', 'DLV'],
  put: ['REV#*', 'DECIDED', 'DLV'],
  delete: ['PENDING', 'DLV'],
};

/** Every way of taking one partition away from one action of `keys`. */
function eachPartitionLess(keys: LeadingKeys): { listing: string; keys: LeadingKeys }[] {
  return KEYED_ACTIONS.flatMap((action) =>
    (keys[action] ?? []).map((key) => ({
      listing: `${action} ${key}`,
      keys: { ...keys, [action]: (keys[action] ?? []).filter((k) => k !== key) },
    })),
  );
}

describe('interop and review-delivery touch only their own partitions of the reviews table', () => {
  const interop = FUNCTIONS.find((f) => f.name === 'interop') as FunctionSpec;
  const delivery = FUNCTIONS.find((f) => f.name === 'review-delivery') as FunctionSpec;
  const verification = FUNCTIONS.find((f) => f.name === 'verification') as FunctionSpec;
  const reviews = FUNCTIONS.find((f) => f.name === 'reviews') as FunctionSpec;
  const withKeys = (spec: FunctionSpec, keys: LeadingKeys) =>
    province.scopedTo({ ...spec, leadingKeys: { ...spec.leadingKeys, reviews: keys } });

  it('lists the reviews table as keyed for both, with exactly these partitions by action', () => {
    expect(interop.tables.reviews).toBe('keyed');
    expect(interop.leadingKeys).toEqual({ reviews: INTEROP_REVIEWS });
    expect(delivery.tables.reviews).toBe('keyed');
    expect(delivery.leadingKeys).toEqual({ reviews: REVIEW_DELIVERY_REVIEWS });
    // The reviews function serves every route of §18: it keeps the whole table.
    expect(reviews.tables.reviews).toBe('readwrite');
    expect(reviews.leadingKeys).toBeUndefined();
    expect(province.scopedTo(interop).reviewGate).toBeDefined();
    expect(province.scopedTo(delivery).reviewOutbox).toBeDefined();
  });

  it.each(eachPartitionLess(INTEROP_REVIEWS).map(({ listing, keys }) => [listing, keys] as const))(
    'refuses the interop gate without %s',
    (_, keys) => {
      expect(() => withKeys(interop, keys).reviewGate).toThrow(UndeclaredResourceError);
      expect(() => wire(interop, { ...interop, leadingKeys: { reviews: keys } })).toThrow(
        /interop function .* in the reviews table, which its catalog entry's leadingKeys do not list/,
      );
    },
  );

  it.each(eachPartitionLess(REVIEW_DELIVERY_REVIEWS).map(({ listing, keys }) => [listing, keys] as const))(
    'refuses the review-delivery outbox without %s',
    (_, keys) => {
      expect(() => withKeys(delivery, keys).reviewOutbox).toThrow(UndeclaredResourceError);
      expect(() => wire(delivery, { ...delivery, leadingKeys: { reviews: keys } })).toThrow(
        /review-delivery function .* in the reviews table, which its catalog entry's leadingKeys do not list/,
      );
    },
  );

  it('takes a partition listed for one action as no grant of another', () => {
    // The counters listed for get and put instead of query and update.
    expect(
      () =>
        withKeys(interop, { ...INTEROP_REVIEWS, query: [], update: [], get: ['POLICY', 'BRK#*', 'CNT#*'] })
          .reviewGate,
    ).toThrow(
      /interop function queries items under CNT#\* and updates items under CNT#\* in the reviews table/,
    );
    // The pending copy deleted where it is put, and put where it is deleted.
    expect(
      () =>
        withKeys(delivery, {
          ...REVIEW_DELIVERY_REVIEWS,
          put: ['REV#*', 'PENDING', 'DLV'],
          delete: ['DECIDED', 'DLV'],
        }).reviewOutbox,
    ).toThrow(
      /review-delivery function puts items under DECIDED and deletes items under PENDING in the reviews table/,
    );
    // One narrower pattern is no grant of the wider one.
    expect(
      () =>
        withKeys(interop, { ...INTEROP_REVIEWS, put: ['REV#330000-*', 'PENDING', 'BRK#*', 'BREAKERS'] })
          .reviewGate,
    ).toThrow(/interop function puts items under REV#\* in the reviews table/);
  });

  it("builds no broad store over the reviews table for a keyed listing, nor the other functions' views", () => {
    for (const spec of [interop, delivery, verification]) {
      const scoped = province.scopedTo(spec);
      expect(() => scoped.reviews, spec.name).toThrow(
        new RegExp(
          `${spec.name} function needs readwrite access to the reviews table; its catalog entry lists keyed`,
        ),
      );
    }
    expect(() => province.scopedTo(interop).reviewOutbox).toThrow(
      /interop function queries items under PENDING, BREAKERS, DLV and puts items under DECIDED, DLV and deletes items under PENDING, DLV in the reviews table/,
    );
    expect(() => province.scopedTo(interop).reviewWaits).toThrow(/interop function puts items under WAIT#\*/);
    expect(() => province.scopedTo(delivery).reviewGate).toThrow(
      /review-delivery function gets items under POLICY, BRK#\* and queries items under CNT#\* and puts items under PENDING, BRK#\*, BREAKERS and updates items under CNT#\*/,
    );
    expect(() => province.scopedTo(delivery).reviewWaits).toThrow(UndeclaredResourceError);
    expect(() => province.scopedTo(verification).reviewGate).toThrow(UndeclaredResourceError);
    expect(() => province.scopedTo(verification).reviewOutbox).toThrow(UndeclaredResourceError);
    // The reviews function's readwrite listing does everything: the store and every view of it.
    const whole = province.scopedTo(reviews);
    expect([whole.reviews, whole.reviewGate, whole.reviewOutbox, whole.reviewWaits].every(Boolean)).toBe(
      true,
    );
    const uses = ['describe', 'read', 'write', 'readwrite', 'query', 'keyed'] as const;
    for (const spec of [interop, delivery]) {
      expect(uses.filter((use) => canUseTable(spec, 'reviews', use))).toEqual(['keyed']);
    }
  });

  it('takes a wider listing only when it does every action: write neither gets nor queries', () => {
    for (const [spec, view] of [
      [interop, (a: ProvinceAdapters) => a.reviewGate],
      [delivery, (a: ProvinceAdapters) => a.reviewOutbox],
    ] as const) {
      const { leadingKeys: _, ...unkeyed } = spec;
      const as = (access: 'read' | 'write' | 'readwrite') =>
        province.scopedTo({ ...unkeyed, tables: { ...spec.tables, reviews: access } });
      expect(view(as('readwrite')), spec.name).toBeDefined();
      expect(() => view(as('write')), spec.name).toThrow(
        /queries items under .*; its catalog entry lists write/,
      );
      expect(() => view(as('read')), spec.name).toThrow(/puts items under .*; its catalog entry lists read/);
    }
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
    const audit = province.scopedTo(FUNCTIONS.find((f) => f.name === 'audit') as FunctionSpec);
    expect(() => audit.registry).toThrow(/audit function uses the registry table/);
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
