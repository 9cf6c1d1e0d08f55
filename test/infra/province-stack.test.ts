import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionSpec, functionSpec } from '../../functions/catalog.ts';
import { provinceApp } from '../../infra/app-settings.ts';
import {
  checkProvinceTemplate,
  grantsByFunction,
  resourceDescriber,
  type Template as TemplateJson,
} from '../../infra/checks.ts';
import { LOG_UNWITNESSED_ALARM, SPLIT_VIEW_ALARM } from '../../infra/constructs/alarms.ts';
import { KEYED_ITEM_ACTIONS, keyedGrants } from '../../infra/constructs/tables.ts';
import {
  type KeyPlans,
  keyPlans,
  MAX_CALENDAR_DATES,
  type ProvinceContext,
  readProvinceContext,
} from '../../infra/context.ts';
import {
  alarmName,
  BREAKER_TRIPPED_ALARM,
  BREAKERS_OPEN_ALARM,
  leadingKeysCondition,
  ProvinceStack,
  REPORTS_OVERDUE_METRIC,
  TABLE_ACTIONS,
  tableActions,
} from '../../infra/province-stack.ts';
import { placeholderContext } from '../../infra/synth-all.ts';
import { GatewayConfigSchema, keyPurposesOf, readConfig, settingsOf } from '../../lib/config.ts';
import { LEASE_MS } from '../../lib/delivery/deliver.ts';
import {
  BreakerMetric,
  CosigningMetric,
  PROVINCE_DIMENSION,
  REPORTS_METRICS_NAMESPACE,
  REVIEWS_METRICS_NAMESPACE,
  ReportMetric,
  WITNESS_METRICS_NAMESPACE,
  WitnessMetric,
} from '../../lib/metrics/names.ts';
import { createTableInput, TABLES, tableEnvName, tableNames } from '../../lib/store/tables.ts';
import { KEYED_ACTIONS, KEYED_ACTIONS_OF, type KeyedAction } from '../../lib/wiring/scope.ts';

/**
 * The province stack as CloudFormation sees it. Stacks are synthesized once, in one App:
 * Zhejiang with rotated keys (credential generation 2, audit generation 3), an alarm email,
 * two-year logs and a report calendar (7 working days, 2025's National Day); Sichuan with every default; Jiangsu built from a catalog in which issuance
 * may sign with the gateway key, and Guangdong from one in which the sequencer also reads the
 * holder-hash secret and takes bearer tokens, to prove the checks notice a
 * grant or a setting the catalog does not make;
 * and Shanghai four times, as the successive deploys of a key rotation would make it (the new
 * gateway key staged, then signing, then the old one retired; and a mix of all three).
 * The functions' code is a stand-in here: test/infra/synth-all.test.ts synthesizes the real bundles.
 * One file over 300 lines on purpose: every suite reads these same stacks, synthesized once.
 */

/** Template JSON is untyped: its values are read as the tests go. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON has no static shape.
type Cfn = Record<string, any>;
type Resource = {
  Type: string;
  Properties: Cfn;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Json = TemplateJson & {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
};

/**
 * Zhejiang's report calendar: 2025's National Day (1 to 8 October, the weekdays among them given
 * out of order and one twice) with its two weekend working days.
 */
const ZJ_CALENDAR = {
  reportDueWorkingDays: '7',
  publicHolidays: '2025-10-08, 2025-10-01,2025-10-02,2025-10-03,2025-10-06,2025-10-07,2025-10-01',
  makeupWorkdays: '2025-10-11,2025-09-28',
};

/** Zhejiang's calendar as its functions read it: ascending, each date once. */
const ZJ_CALENDAR_CONFIG = {
  ELG_REPORT_DUE_WORKING_DAYS: 7,
  ELG_PUBLIC_HOLIDAYS: '2025-10-01,2025-10-02,2025-10-03,2025-10-06,2025-10-07,2025-10-08',
  ELG_MAKEUP_WORKDAYS: '2025-09-28,2025-10-11',
};

let assetDir: string;
let zj: Json;
let sc: Json;
let js: Json;
let gd: Json;
/** Shanghai's stack at each deploy of a gateway key rotation (README, "Rotating a key"). */
const sh = {} as Record<keyof typeof ROTATION, Json>;
const contexts = new Map<string, ProvinceContext>();
/** The warnings CDK recorded for each stack, by stack id. */
const warnings = new Map<string, string[]>();

/** The key plans of the context a stack was built with, by stack id. */
function plansOf(id: string): KeyPlans {
  const ctx = contexts.get(id);
  if (!ctx) throw new Error(`no stack ${id}`);
  return keyPlans(ctx);
}

const ROTATED = {
  keyGenerations: 'credential=2,audit=3',
  alarmEmail: 'ops@zj.example',
  logRetentionDays: '731',
  ...ZJ_CALENDAR,
};

/** Context of each Shanghai deploy: steps (a), (c) and (d) of the rotation, and a mix of all. */
const ROTATION = {
  staged: { keyGenerations: 'gateway=2', stagedKeys: 'gateway' },
  switched: { keyGenerations: 'gateway=2' },
  retired: { keyGenerations: 'gateway=2', retiredKeys: 'gateway=1' },
  mixed: {
    keyGenerations: 'credential=3,gateway=3',
    stagedKeys: 'gateway',
    retiredKeys: 'credential=1-2,gateway=1',
  },
} as const;

const WIDER_ISSUANCE: readonly FunctionSpec[] = FUNCTIONS.map((f) =>
  f.name === 'issuance' ? { ...f, signsWith: ['credential', 'gateway'] } : f,
);

/** The sequencer as if it read the holder-hash secret and took bearer tokens. */
const WIDER_SEQUENCER: readonly FunctionSpec[] = FUNCTIONS.map((f) =>
  f.name === 'sequencer' ? { ...f, secrets: ['holderHash'], bearerTokens: true } : f,
);

beforeAll(async () => {
  assetDir = await mkdtemp(join(tmpdir(), 'elg-stack-test-'));
  for (const f of FUNCTIONS) {
    await mkdir(join(assetDir, f.name));
    await writeFile(join(assetDir, f.name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  const app = provinceApp({ outdir: join(assetDir, 'cdk.out') });
  const stack = (
    id: string,
    province: string,
    extra: Record<string, string> = {},
    functions?: readonly FunctionSpec[],
  ) => {
    const values: Record<string, string> = { ...placeholderContext(province), ...extra };
    const context = readProvinceContext((k) => values[k]);
    contexts.set(id, context);
    return new ProvinceStack(app, id, { context, assetDir, ...(functions ? { functions } : {}) });
  };
  stack('elg-330000', '330000', ROTATED);
  stack('elg-510000', '510000');
  stack('elg-320000', '320000', {}, WIDER_ISSUANCE);
  stack('elg-440000', '440000', {}, WIDER_SEQUENCER);
  // The same stack (elg-310000) at successive deploys: construct ids differ only for the App.
  for (const [step, extra] of Object.entries(ROTATION)) stack(step, '310000', extra);
  const assembly = app.synth();
  const template = (id: string) => assembly.getStackArtifact(id).template as Json;
  for (const id of ['elg-330000', 'elg-510000']) {
    warnings.set(
      id,
      assembly
        .getStackArtifact(id)
        .messages.filter((m) => m.level === 'warning')
        .map((m) => String(m.entry.data)),
    );
  }
  zj = template('elg-330000');
  sc = template('elg-510000');
  js = template('elg-320000');
  gd = template('elg-440000');
  for (const step of Object.keys(ROTATION) as (keyof typeof ROTATION)[]) sh[step] = template(step);
}, 180_000);

afterAll(async () => {
  await rm(assetDir, { recursive: true, force: true });
});

function ofType(t: Json, type: string): [string, Resource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

function byName(t: Json, type: string, property: string, name: string): [string, Resource] {
  const found = ofType(t, type).find(([, r]) => r.Properties[property] === name);
  if (!found) throw new Error(`no ${type} with ${property} ${name}`);
  return found;
}

const fnOf = (t: Json, p: string, name: string) =>
  byName(t, 'AWS::Lambda::Function', 'FunctionName', `elg-${p}-${name}`);

/** The environment variables of a function as the template sets them. */
const variablesOf = (t: Json, p: string, name: string): Cfn =>
  fnOf(t, p, name)[1].Properties.Environment?.Variables ?? {};

/** The signing generation of each purpose in Zhejiang's stack (credential=2, audit=3). */
const ZJ_CURRENT: Record<string, string> = {
  credential: 'key credential g2',
  gateway: 'key gateway g1',
  audit: 'key audit g3',
  witness: 'key witness g1',
};

/**
 * The functions that load the trust registry: those that check other provinces' keys, and those
 * that witness or are witnessed (the witness reads the logs' audit keys and its policy, the
 * sequencer its log's witnesses and their keys, docs/protocol.md §19).
 */
const LOADS_REGISTRY = [
  'discovery',
  'verification',
  'interop',
  'agreements',
  'reports',
  'reviews',
  'witness',
  'delivery',
  'report-delivery',
  'review-delivery',
  'sequencer',
];
/** The functions that read the holder-hash secret: they hash holders (audit: and page cursors). */
const READS_HOLDER_HASH = ['issuance', 'verification', 'interop', 'reports', 'audit'];

/** Every statement of every policy attached to the function's role. */
function statementsOf(t: Json, p: string, name: string): Cfn[] {
  const roleId = fnOf(t, p, name)[1].Properties.Role['Fn::GetAtt'][0] as string;
  const role = t.Resources[roleId];
  const docs = [
    ...(role?.Properties.Policies ?? []).map((x: { PolicyDocument: unknown }) => x.PolicyDocument),
    ...ofType(t, 'AWS::IAM::Policy')
      .filter(([, r]) => r.Properties.Roles.some((x: { Ref: string }) => x.Ref === roleId))
      .map(([, r]) => r.Properties.PolicyDocument),
  ];
  return docs.flatMap((d: { Statement: Cfn[] }) => d.Statement);
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A template value as CloudFormation would fill it in, in account 123456789012 of cn-north-1. */
function deployed(t: Json, value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Cfn;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((p) => deployed(t, p)).join(v['Fn::Join'][0]);
  const id: string = v.Ref ?? v['Fn::GetAtt']?.[0];
  const r = t.Resources[id];
  switch (r?.Type) {
    case 'AWS::DynamoDB::Table':
      return String(r.Properties.TableName);
    case 'AWS::KMS::Key':
      return `arn:aws-cn:kms:cn-north-1:123456789012:key/${id}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:${r.Properties.Name}-Ab12Cd`;
    default:
      throw new Error(`cannot fill in ${JSON.stringify(value)}`);
  }
}

/** Resources the function may perform `action` on, named by checks.resourceDescriber. */
function targetsOf(t: Json, p: string, name: string, action: string): string[] {
  const describe = resourceDescriber(t);
  return statementsOf(t, p, name)
    .filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action))
    .flatMap((s) => list(s.Resource).map(describe))
    .sort();
}

/** Which keys each function may sign with: what docs/protocol.md §3.1 asks of each purpose. */
const SIGNS: Record<string, string[]> = {
  discovery: [],
  issuance: ['credential'],
  verification: ['gateway'],
  interop: ['gateway'],
  agreements: ['gateway'],
  reports: ['gateway'],
  delivery: ['gateway'],
  'report-delivery': ['gateway'],
  reviews: ['gateway'],
  'review-delivery': ['gateway'],
  // The only signer with the witness key (cosignatures); receipts of its signed calls with the gateway key.
  witness: ['witness', 'gateway'],
  audit: [],
  // Checkpoints with the audit key, its add-checkpoint calls to the witnesses with the gateway key.
  sequencer: ['audit', 'gateway'],
};

describe('least privilege', () => {
  it('grants every function exactly its catalog entry, in every synthesized stack', () => {
    expect(checkProvinceTemplate(zj, '330000', plansOf('elg-330000'))).toEqual([]);
    expect(checkProvinceTemplate(sc, '510000', plansOf('elg-510000'))).toEqual([]);
    for (const step of Object.keys(ROTATION) as (keyof typeof ROTATION)[]) {
      expect(checkProvinceTemplate(sh[step], '310000', plansOf(step)), step).toEqual([]);
    }
  });

  it('knows what every function of the catalog signs with', () => {
    expect(Object.keys(SIGNS).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
    for (const f of FUNCTIONS)
      expect([...f.signsWith].sort(), f.name).toEqual([...(SIGNS[f.name] ?? [])].sort());
  });

  it.each(Object.entries(SIGNS))('lets %s sign with the current keys of %j only', (name, purposes) => {
    const current: Record<string, string> = { credential: 'g2', gateway: 'g1', audit: 'g3', witness: 'g1' };
    expect(targetsOf(zj, '330000', name, 'kms:Sign')).toEqual(
      purposes.map((k) => `key ${k} ${current[k]}`).sort(),
    );
    expect(targetsOf(sc, '510000', name, 'kms:Sign')).toEqual(purposes.map((k) => `key ${k} g1`).sort());
  });

  it('signs with no earlier key generation, and only discovery reads their public keys', () => {
    const previous = ['key audit g1', 'key audit g2', 'key credential g1'];
    for (const f of FUNCTIONS) {
      for (const key of previous) {
        expect(targetsOf(zj, '330000', f.name, 'kms:Sign')).not.toContain(key);
        expect(targetsOf(zj, '330000', f.name, 'kms:GetPublicKey').includes(key)).toBe(
          f.name === 'discovery',
        );
      }
      // The public keys of the purposes it signs with, no other's (all four for discovery).
      expect(
        targetsOf(zj, '330000', f.name, 'kms:GetPublicKey').filter((k) => !previous.includes(k)),
      ).toEqual(
        keyPurposesOf(f)
          .map((k) => ZJ_CURRENT[k])
          .sort(),
      );
    }
    expect(keyPurposesOf(functionSpec('discovery'))).toEqual(['credential', 'gateway', 'audit', 'witness']);
    expect(keyPurposesOf(functionSpec('audit'))).toEqual([]);
    expect(keyPurposesOf(functionSpec('sequencer'))).toEqual(['gateway', 'audit']);
    expect(keyPurposesOf(functionSpec('witness'))).toEqual(['gateway', 'witness']);
    // Only the witness function signs with, or reads, the witness key, besides discovery publishing it.
    expect(FUNCTIONS.filter((f) => keyPurposesOf(f).includes('witness')).map((f) => f.name)).toEqual([
      'discovery',
      'witness',
    ]);
  });

  it('has no wildcard action anywhere and no * resource outside X-Ray', () => {
    for (const t of [zj, sc]) {
      const p = t === zj ? '330000' : '510000';
      for (const f of FUNCTIONS) {
        for (const s of statementsOf(t, p, f.name)) {
          expect(s.NotAction ?? s.NotResource).toBeUndefined();
          for (const action of list(s.Action)) expect(String(action)).not.toContain('*');
          if (list(s.Resource).includes('*')) {
            expect(list(s.Action).every((a) => String(a).startsWith('xray:'))).toBe(true);
          }
        }
      }
      for (const [, role] of ofType(t, 'AWS::IAM::Role'))
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('touches only the tables of the catalog, and a read-only table is never written', () => {
    const names = tableNames('elg-330000');
    const writes = new Set(TABLE_ACTIONS.write.filter((a) => !TABLE_ACTIONS.read.includes(a)));
    const grants = grantsByFunction(zj);
    for (const f of FUNCTIONS) {
      const own = [...(grants.get(`elg-330000-${f.name}`)?.grants ?? [])].filter((g) =>
        g.startsWith('dynamodb:'),
      );
      // `<action> on table <name>[/index/<index>][ if <condition>]`
      const tableOf = (g: string) => g.replace(/^.* on table ([^/ ]+).*$/, '$1');
      const tablesTouched = new Set(own.map(tableOf));
      expect([...tablesTouched].sort()).toEqual(
        Object.keys(f.tables)
          .map((k) => names[k as keyof typeof names])
          .sort(),
      );
      for (const [kind, access] of Object.entries(f.tables)) {
        const table = names[kind as keyof typeof names];
        const on = own.filter((g) => tableOf(g) === table && !g.includes(`${table}/index/`));
        const written = on.some((g) => writes.has(g.split(' ')[0] ?? ''));
        expect(written, `${f.name} writes ${kind}`).toBe(access !== 'read' && access !== 'describe');
        // A keyed table is granted only under a condition (its leading keys), no other is.
        const conditioned = on.filter((g) => g.includes(' if '));
        expect(conditioned, `${f.name} ${kind}`).toEqual(access === 'keyed' ? on : []);
      }
    }
    // The catalog as the code uses it: discovery only describes the audit table for /healthz,
    // verification reads licenses only, and each function that loads the registry keeps its last
    // good copy (GetItem, conditional PutItem) and nothing else of that table.
    expect(targetsOf(zj, '330000', 'discovery', 'dynamodb:GetItem')).toEqual(['table elg-330000-registry']);
    expect(targetsOf(zj, '330000', 'discovery', 'dynamodb:DescribeTable')).toEqual([
      'table elg-330000-audit',
    ]);
    // Its reviews grant is PutItem under WAIT#* only (docs/protocol.md §18.5).
    expect(targetsOf(zj, '330000', 'verification', 'dynamodb:PutItem')).toEqual([
      'table elg-330000-audit',
      'table elg-330000-registry',
      'table elg-330000-reviews',
    ]);
    // A holder's licenses (byHolder) and the uses of one (byIdentifier), docs/protocol.md §16.
    expect(targetsOf(zj, '330000', 'verification', 'dynamodb:Query').sort()).toEqual([
      'table elg-330000-audit',
      'table elg-330000-audit/index/byIdentifier',
      'table elg-330000-licenses',
      'table elg-330000-licenses/index/byHolder',
      'table elg-330000-log',
    ]);
    // Held requests and breaker trips (docs/protocol.md §18) in the reviews table.
    expect(targetsOf(zj, '330000', 'interop', 'dynamodb:PutItem')).toEqual([
      'table elg-330000-audit',
      'table elg-330000-nonces',
      'table elg-330000-registry',
      'table elg-330000-reviews',
    ]);
    expect(targetsOf(zj, '330000', 'audit', 'dynamodb:PutItem')).toEqual(['table elg-330000-audit']);
    expect(targetsOf(zj, '330000', 'issuance', 'dynamodb:PutItem')).toEqual([
      'table elg-330000-audit',
      'table elg-330000-licenses',
      'table elg-330000-reports',
    ]);
    expect(targetsOf(zj, '330000', 'audit', 'dynamodb:BatchGetItem')).toEqual([
      'table elg-330000-audit',
      'table elg-330000-log',
    ]);
    expect(targetsOf(zj, '330000', 'audit', 'dynamodb:UpdateItem')).toEqual(['table elg-330000-audit']);
  });

  it('lets the functions that load the registry read and conditionally write its last good copy, no other', () => {
    expect(FUNCTIONS.filter((f) => f.tables.registry !== undefined).map((f) => f.name)).toEqual(
      LOADS_REGISTRY,
    );
    const grants = grantsByFunction(zj);
    for (const f of FUNCTIONS) {
      if (f.tables.registry === undefined) {
        // Neither granted anything on the table nor told its name, nor where the registry is.
        expect(
          [...(grants.get(`elg-330000-${f.name}`)?.grants ?? [])].filter((g) =>
            g.includes('table elg-330000-registry'),
          ),
          f.name,
        ).toEqual([]);
        expect(Object.keys(variablesOf(zj, '330000', f.name)).filter((v) => v.includes('REGISTRY'))).toEqual(
          [],
        );
        continue;
      }
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) {
        expect(targetsOf(zj, '330000', f.name, action), `${f.name} ${action}`).toContain(
          'table elg-330000-registry',
        );
      }
      for (const action of [
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Scan',
      ]) {
        expect(
          targetsOf(zj, '330000', f.name, action).filter((t) => t.startsWith('table elg-330000-registry')),
          `${f.name} ${action}`,
        ).toEqual([]);
      }
    }
  });

  it('queries each index only where the code does, by name: the auditor the search indexes, the sequencer pending, holders byHolder and byIdentifier, notices byIdentifier', () => {
    const expected: Record<string, string[]> = {
      audit: ['byTrace', 'byIdentifier', 'byHolder', 'byPeer', 'byAction', 'byDay'].map(
        (i) => `table elg-330000-audit/index/${i}`,
      ),
      sequencer: ['table elg-330000-audit/index/pending'],
      // Holders (docs/protocol.md §16): their licenses at home, the uses of one at its issuer.
      verification: ['table elg-330000-licenses/index/byHolder', 'table elg-330000-audit/index/byIdentifier'],
      interop: ['table elg-330000-audit/index/byIdentifier'],
      // Change notices go to the provinces whose verifications of the license it finds there (§17.7).
      'report-delivery': ['table elg-330000-audit/index/byIdentifier'],
    };
    for (const f of FUNCTIONS) {
      const indexes = targetsOf(zj, '330000', f.name, 'dynamodb:Query').filter((r) => r.includes('/index/'));
      expect([...indexes].sort(), f.name).toEqual([...(expected[f.name] ?? [])].sort());
      expect(
        indexes.filter((r) => r.endsWith('/index/*')),
        f.name,
      ).toEqual([]);
    }
  });

  it('reads the holder-hash secret only where the catalog lists it, and nothing else of Secrets Manager', () => {
    expect(FUNCTIONS.filter((f) => f.secrets?.includes('holderHash')).map((f) => f.name)).toEqual(
      READS_HOLDER_HASH,
    );
    for (const f of FUNCTIONS) {
      expect(targetsOf(zj, '330000', f.name, 'secretsmanager:GetSecretValue'), f.name).toEqual(
        READS_HOLDER_HASH.includes(f.name) ? ['secret elg/330000/holder-hash-key'] : [],
      );
    }
  });

  it('notices a stack that lets issuance sign with the gateway key', () => {
    expect(targetsOf(js, '320000', 'issuance', 'kms:Sign')).toEqual(['key credential g1', 'key gateway g1']);
    expect(checkProvinceTemplate(js, '320000', plansOf('elg-320000'))).toEqual([
      'elg-320000-issuance: ELG_KMS_KEY_GATEWAY names key gateway g1, a key its catalog entry neither signs with nor publishes',
      'elg-320000-issuance: may kms:GetPublicKey on key gateway g1, beyond its catalog entry',
      'elg-320000-issuance: may kms:Sign on key gateway g1, beyond its catalog entry',
    ]);
  });

  it('notices a stack that lets the sequencer read the holder-hash secret and the IdP', () => {
    expect(targetsOf(gd, '440000', 'sequencer', 'secretsmanager:GetSecretValue')).toEqual([
      'secret elg/440000/holder-hash-key',
    ]);
    expect(checkProvinceTemplate(gd, '440000', plansOf('elg-440000')).sort()).toEqual(
      [
        'elg-440000-sequencer: ELG_HOLDER_HASH_SECRET_ARN names secret elg/440000/holder-hash-key, a secret its catalog entry does not list',
        'elg-440000-sequencer: sets ELG_IDP_ISSUER, a setting its catalog entry does not give it',
        'elg-440000-sequencer: sets ELG_IDP_AUDIENCE, a setting its catalog entry does not give it',
        'elg-440000-sequencer: sets ELG_IDP_JWKS_URL, a setting its catalog entry does not give it',
        'elg-440000-sequencer: may secretsmanager:GetSecretValue on secret elg/440000/holder-hash-key, beyond its catalog entry',
      ].sort(),
    );
    // Held to the catalog it was built from, the same stack passes.
    expect(checkProvinceTemplate(gd, '440000', plansOf('elg-440000'), WIDER_SEQUENCER)).toEqual([]);
  });

  it('notices wider grants, wildcards and missing grants written into a template', () => {
    const mutated = structuredClone(sc);
    const roleOf = (name: string) =>
      mutated.Resources[fnOf(mutated, '510000', name)[1].Properties.Role['Fn::GetAtt'][0]];
    const licenses = byName(mutated, 'AWS::DynamoDB::Table', 'TableName', 'elg-510000-licenses')[0];
    roleOf('verification')?.Properties.Policies[0].PolicyDocument.Statement.push(
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': [licenses, 'Arn'] } },
      { Effect: 'Allow', Action: 'kms:*', Resource: '*' },
    );
    const sequencer = roleOf('sequencer')?.Properties.Policies[0].PolicyDocument;
    sequencer.Statement = sequencer.Statement.filter((s: { Sid?: string }) => s.Sid !== 'Sign');
    const problems = checkProvinceTemplate(mutated, '510000', plansOf('elg-510000'));
    expect(problems).toEqual(
      expect.arrayContaining([
        'elg-510000-verification: may dynamodb:PutItem on table elg-510000-licenses, beyond its catalog entry',
        'elg-510000-verification: wildcard action kms:*',
        'elg-510000-verification: kms:* on every resource (*)',
        'elg-510000-sequencer: lacks kms:Sign on key audit g1, which its catalog entry needs',
      ]),
    );
  });

  it('notices a holder-hash secret granted to, or missing from, a function by its catalog entry', () => {
    const mutated = structuredClone(sc);
    const policyOf = (name: string) =>
      mutated.Resources[fnOf(mutated, '510000', name)[1].Properties.Role['Fn::GetAtt'][0]]?.Properties
        .Policies[0].PolicyDocument;
    const secret = byName(mutated, 'AWS::SecretsManager::Secret', 'Name', 'elg/510000/holder-hash-key')[0];
    // Agreements list no secret; the audit function lists the holder-hash secret.
    policyOf('agreements').Statement.push({
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: { Ref: secret },
    });
    const audit = policyOf('audit');
    audit.Statement = audit.Statement.filter((s: { Sid?: string }) => s.Sid !== 'HolderHashKey');
    expect(checkProvinceTemplate(mutated, '510000', plansOf('elg-510000'))).toEqual([
      'elg-510000-agreements: may secretsmanager:GetSecretValue on secret elg/510000/holder-hash-key, beyond its catalog entry',
      'elg-510000-audit: lacks secretsmanager:GetSecretValue on secret elg/510000/holder-hash-key, which its catalog entry needs',
    ]);
  });

  it('notices an environment that names a table, key, secret or setting the catalog entry does not list', () => {
    const mutated = structuredClone(sc);
    const env = (name: string): Cfn => fnOf(mutated, '510000', name)[1].Properties.Environment.Variables;
    const ref = (type: string, property: string, name: string) => ({
      Ref: byName(mutated, type, property, name)[0],
    });
    const secret = ref('AWS::SecretsManager::Secret', 'Name', 'elg/510000/holder-hash-key');
    // Issuance does not load the registry; the sequencer reads no secret and takes no bearer
    // tokens; the audit function signs with no key; interop's table is another province's;
    // verification lost a table its entry lists, and delivery the registry URL it starts from.
    env('issuance').ELG_TABLE_REGISTRY = ref('AWS::DynamoDB::Table', 'TableName', 'elg-510000-registry');
    env('sequencer').ELG_HOLDER_HASH_SECRET_ARN = secret;
    env('sequencer').ELG_IDP_ISSUER = 'https://idp-510000.elicense.example';
    env('audit').ELG_KMS_KEY_CREDENTIAL = fnOf(
      mutated,
      '510000',
      'issuance',
    )[1].Properties.Environment.Variables.ELG_KMS_KEY_CREDENTIAL;
    env('audit').ELG_HOLDER_HASH_KEY = '00'.repeat(32);
    env('interop').ELG_TABLE_NONCES = 'elg-330000-nonces';
    delete env('verification').ELG_TABLE_AUDIT;
    delete env('delivery').ELG_REGISTRY_URL;
    expect(checkProvinceTemplate(mutated, '510000', plansOf('elg-510000'))).toEqual([
      'elg-510000-audit: ELG_KMS_KEY_CREDENTIAL names key credential g1, a key its catalog entry neither signs with nor publishes',
      'elg-510000-issuance: ELG_TABLE_REGISTRY names table elg-510000-registry, a table its catalog entry does not list',
      'elg-510000-verification: lacks ELG_TABLE_AUDIT naming table elg-510000-audit, which its catalog entry lists',
      'elg-510000-interop: ELG_TABLE_NONCES names elg-330000-nonces, not table elg-510000-nonces',
      'elg-510000-delivery: lacks ELG_REGISTRY_URL, a setting it reads and cannot start without',
      'elg-510000-audit: sets ELG_HOLDER_HASH_KEY, so the holder-hash key itself is in the template',
      'elg-510000-sequencer: ELG_HOLDER_HASH_SECRET_ARN names secret elg/510000/holder-hash-key, a secret its catalog entry does not list',
      'elg-510000-sequencer: sets ELG_IDP_ISSUER, a setting its catalog entry does not give it',
    ]);
  });
});

describe('tables', () => {
  it.each(TABLES.map((d) => [d.kind, d] as const))(
    'builds the %s table from lib/store/tables.ts',
    (_kind, def) => {
      for (const [t, p] of [
        [zj, '330000'],
        [sc, '510000'],
      ] as const) {
        const name = tableNames(`elg-${p}`)[def.kind];
        const input = createTableInput(def, name);
        const [, table] = byName(t, 'AWS::DynamoDB::Table', 'TableName', name);
        expect(table.Properties.KeySchema).toEqual(input.KeySchema);
        expect(new Set(table.Properties.AttributeDefinitions)).toEqual(new Set(input.AttributeDefinitions));
        expect(table.Properties.GlobalSecondaryIndexes ?? []).toEqual(input.GlobalSecondaryIndexes ?? []);
        expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
        expect(table.Properties.PointInTimeRecoverySpecification).toEqual({
          PointInTimeRecoveryEnabled: true,
        });
        expect(table.Properties.DeletionProtectionEnabled).toBe(true);
        expect(table.Properties.TimeToLiveSpecification).toEqual(
          def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : undefined,
        );
        expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
      }
    },
  );

  it('has exactly the tables of the definition', () => {
    expect(
      ofType(zj, 'AWS::DynamoDB::Table')
        .map(([, r]) => r.Properties.TableName)
        .sort(),
    ).toEqual(Object.values(tableNames('elg-330000')).sort());
  });
});

describe('error reports and change notices (docs/protocol.md §17)', () => {
  const REPORTS = 'table elg-330000-reports';
  /** The DynamoDB grants of a function, as `action on resource`. */
  const dynamoGrants = (t: Json, p: string, name: string) =>
    [...(grantsByFunction(t).get(`elg-${p}-${name}`)?.grants ?? [])]
      .filter((g) => g.startsWith('dynamodb:'))
      .sort();
  const on = (actions: readonly string[], target: string) => actions.map((a) => `${a} on ${target}`);

  it('builds the reports table with pk/sk, no index, no TTL, kept and protected like the others', () => {
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      const [, table] = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reports`);
      const [, licenses] = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-licenses`);
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(table.Properties.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]);
      expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
      expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
      expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      // Encrypted as every other table is (DynamoDB's own key: no SSESpecification of its own).
      expect(table.Properties.SSESpecification).toEqual(licenses.Properties.SSESpecification);
      expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
  });

  it('serves exactly the report and notice routes from the reports function', () => {
    const routes = [
      'POST /v1/reports',
      'GET /v1/reports',
      'GET /v1/reports/{proxy+}',
      'POST /v1/reports/{proxy+}',
      'GET /v1/notices',
      'POST /v1/interop/reports',
      'POST /v1/interop/report-outcomes',
      'POST /v1/interop/notices',
    ];
    expect([...functionSpec('reports').routes].sort()).toEqual([...routes].sort());
    const [reportsFn] = fnOf(zj, '330000', 'reports');
    const integrationsOf = (fnId: string) =>
      ofType(zj, 'AWS::ApiGatewayV2::Integration')
        .filter(([, r]) => JSON.stringify(r.Properties.IntegrationUri).includes(`"${fnId}"`))
        .map(([id]) => id);
    const integrations = integrationsOf(reportsFn);
    expect(integrations).toHaveLength(1);
    const served = ofType(zj, 'AWS::ApiGatewayV2::Route')
      .filter(([, r]) => r.Properties.Target['Fn::Join'][1][1].Ref === integrations[0])
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(served).toEqual([...routes].sort());
    for (const [method, path, fn] of [
      ['POST', '/v1/reports', 'reports'],
      ['GET', '/v1/reports', 'reports'],
      ['GET', '/v1/reports/310000-01JDQ0000000000000000000000', 'reports'],
      ['POST', '/v1/reports/310000-01JDQ0000000000000000000000/resolution', 'reports'],
      ['GET', '/v1/notices', 'reports'],
      ['POST', '/v1/interop/reports', 'reports'],
      ['POST', '/v1/interop/report-outcomes', 'reports'],
      ['POST', '/v1/interop/notices', 'reports'],
      // Its neighbours stay where they were.
      ['POST', '/v1/interop/verify', 'interop'],
      ['POST', '/v1/licenses/31000000000000000001/versions', 'issuance'],
      ['POST', '/v1/notices', 'discovery'],
      ['DELETE', '/v1/reports/x', 'discovery'],
    ] as const) {
      expect(routeOf(zj, method, path), `${method} ${path}`).toBe(`elg-330000-${fn}`);
    }
  });

  it('grants the reports function its tables, the gateway key and the holder-hash secret, and queries no index', () => {
    const p = '330000';
    const t = (kind: string) => `table elg-${p}-${kind}`;
    expect(dynamoGrants(zj, p, 'reports')).toEqual(
      [
        ...on(tableActions('readwrite'), REPORTS),
        ...on(TABLE_ACTIONS.read, t('licenses')),
        ...on(TABLE_ACTIONS.read, t('agreements')),
        ...on(TABLE_ACTIONS.write, t('nonces')),
        ...on(TABLE_ACTIONS.write, t('audit')),
        ...on(TABLE_ACTIONS.getput, t('registry')),
      ].sort(),
    );
    // The reports table has no index, so Query is on tables only.
    expect(targetsOf(zj, p, 'reports', 'dynamodb:Query')).toEqual([t('agreements'), t('licenses'), REPORTS]);
    expect(targetsOf(zj, p, 'reports', 'kms:Sign')).toEqual(['key gateway g1']);
    expect(targetsOf(zj, p, 'reports', 'secretsmanager:GetSecretValue')).toEqual([
      `secret elg/${p}/holder-hash-key`,
    ]);
    expect(fnOf(zj, p, 'reports')[1].Properties).toMatchObject({ Timeout: 15, MemorySize: 512 });
  });

  /**
   * Issuance's two grants on the reports table: PutItem only under FAN (a change's fan-out), and
   * ConditionCheckItem only on RPT#* (the report a version answers), each under its own condition.
   */
  const ISSUANCE_PUTS = ['FAN'];
  const ISSUANCE_CHECKS = ['RPT#*'];
  const leadingKeysIf = (keys: readonly string[]) =>
    `if ForAllValues:StringLike dynamodb:LeadingKeys [${[...keys].sort().join(', ')}]`;
  const issuanceOnReports = (p: string) => [
    `dynamodb:PutItem on table elg-${p}-reports ${leadingKeysIf(ISSUANCE_PUTS)}`,
    `dynamodb:ConditionCheckItem on table elg-${p}-reports ${leadingKeysIf(ISSUANCE_CHECKS)}`,
  ];
  const leadingKeysOf = (keys: readonly string[]) => ({
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys },
  });

  it('lets issuance only put fan-outs under FAN and check reports of RPT#* in the reports table', () => {
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      const reports = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reports`)[0];
      // Two statements name the table, one item action each, each on its own partitions only (a
      // transaction's Put is authorized as PutItem, its ConditionCheck as ConditionCheckItem).
      const naming = statementsOf(t, p, 'issuance').filter((s) =>
        JSON.stringify(s.Resource).includes(`"${reports}"`),
      );
      expect(naming).toEqual([
        {
          Sid: 'TableReportsPut',
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: { 'Fn::GetAtt': [reports, 'Arn'] },
          Condition: leadingKeysOf(ISSUANCE_PUTS),
        },
        {
          Sid: 'TableReportsCheck',
          Effect: 'Allow',
          Action: 'dynamodb:ConditionCheckItem',
          Resource: { 'Fn::GetAtt': [reports, 'Arn'] },
          Condition: leadingKeysOf(ISSUANCE_CHECKS),
        },
      ]);
      const onReports = dynamoGrants(t, p, 'issuance').filter((g) =>
        g.includes(` on table elg-${p}-reports`),
      );
      expect(onReports).toEqual(issuanceOnReports(p).sort());
    }
    expect(functionSpec('issuance').leadingKeys).toEqual({
      reports: { put: ISSUANCE_PUTS, check: ISSUANCE_CHECKS },
    });
    expect(tableActions('keyed')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ]);
    expect(leadingKeysCondition(ISSUANCE_PUTS)).toEqual(leadingKeysOf(['FAN']));
    expect(keyedGrants({ put: ['FAN'], check: ['RPT#*'] })).toEqual([
      { use: 'put', action: 'dynamodb:PutItem', condition: leadingKeysOf(['FAN']) },
      { use: 'check', action: 'dynamodb:ConditionCheckItem', condition: leadingKeysOf(['RPT#*']) },
    ]);
    expect(keyedGrants({ put: ['FAN'], check: [] })).toEqual([
      { use: 'put', action: 'dynamodb:PutItem', condition: leadingKeysOf(['FAN']) },
    ]);
  });

  it('notices an issuance grant on the reports table without its condition, with more actions or partitions, or merged', () => {
    const p = '510000';
    const REPORTS_510000 = `table elg-${p}-reports`;
    const puts = leadingKeysIf(ISSUANCE_PUTS);
    const checks = leadingKeysIf(ISSUANCE_CHECKS);
    const statementOf = (t: Json, sid: string) =>
      statementsOf(t, p, 'issuance').find((s) => s.Sid === sid) as Cfn;
    const policyOf = (t: Json) =>
      t.Resources[fnOf(t, p, 'issuance')[1].Properties.Role['Fn::GetAtt'][0]]?.Properties.Policies[0]
        .PolicyDocument;
    const keysOf = (t: Json, sid: string): string[] =>
      statementOf(t, sid).Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
    const check = (t: Json) => checkProvinceTemplate(t, p, plansOf('elg-510000'));
    const lacksPut = `elg-${p}-issuance: lacks dynamodb:PutItem on ${REPORTS_510000} ${puts}, which its catalog entry needs`;
    const lacksCheck = `elg-${p}-issuance: lacks dynamodb:ConditionCheckItem on ${REPORTS_510000} ${checks}, which its catalog entry needs`;

    const unconditioned = structuredClone(sc);
    delete statementOf(unconditioned, 'TableReportsPut').Condition;
    expect(check(unconditioned)).toEqual([
      `elg-${p}-issuance: may dynamodb:PutItem on ${REPORTS_510000}, beyond its catalog entry`,
      lacksPut,
    ]);

    // A put on the reports themselves (it would overwrite one): PutItem on RPT#* too.
    const overwriting = structuredClone(sc);
    keysOf(overwriting, 'TableReportsPut').push('RPT#*');
    expect(check(overwriting)).toEqual([
      `elg-${p}-issuance: may dynamodb:PutItem on ${REPORTS_510000} ${leadingKeysIf(['FAN', 'RPT#*'])}, beyond its catalog entry`,
      lacksPut,
    ]);

    // A check of the fan-outs, which issuance never makes.
    const checkingFanouts = structuredClone(sc);
    keysOf(checkingFanouts, 'TableReportsCheck').push('FAN');
    expect(check(checkingFanouts)).toEqual([
      `elg-${p}-issuance: may dynamodb:ConditionCheckItem on ${REPORTS_510000} ${leadingKeysIf(['FAN', 'RPT#*'])}, beyond its catalog entry`,
      lacksCheck,
    ]);

    // The two statements merged into one, both actions on both partitions (the grant as it was).
    const merged = structuredClone(sc);
    const policy = policyOf(merged);
    policy.Statement = policy.Statement.filter((s: Cfn) => s.Sid !== 'TableReportsCheck');
    Object.assign(statementOf(merged, 'TableReportsPut'), {
      Sid: 'TableReports',
      Action: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
      Condition: leadingKeysOf(['FAN', 'RPT#*']),
    });
    const both = leadingKeysIf(['FAN', 'RPT#*']);
    expect(check(merged)).toEqual([
      `elg-${p}-issuance: a statement grants dynamodb:PutItem, dynamodb:ConditionCheckItem under one condition (${both.slice(3)}): each action of a keyed access has a statement of its own`,
      `elg-${p}-issuance: may dynamodb:PutItem on ${REPORTS_510000} ${both}, beyond its catalog entry`,
      `elg-${p}-issuance: may dynamodb:ConditionCheckItem on ${REPORTS_510000} ${both}, beyond its catalog entry`,
      lacksPut,
      lacksCheck,
    ]);

    // Swapped: puts of the reports and checks of the fan-outs.
    const swapped = structuredClone(sc);
    statementOf(swapped, 'TableReportsPut').Condition = leadingKeysOf(ISSUANCE_CHECKS);
    statementOf(swapped, 'TableReportsCheck').Condition = leadingKeysOf(ISSUANCE_PUTS);
    expect(check(swapped)).toEqual([
      `elg-${p}-issuance: may dynamodb:PutItem on ${REPORTS_510000} ${checks}, beyond its catalog entry`,
      `elg-${p}-issuance: may dynamodb:ConditionCheckItem on ${REPORTS_510000} ${puts}, beyond its catalog entry`,
      lacksPut,
      lacksCheck,
    ]);

    const updating = structuredClone(sc);
    statementOf(updating, 'TableReportsPut').Action = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
    expect(check(updating)).toEqual([
      `elg-${p}-issuance: a statement grants dynamodb:PutItem, dynamodb:UpdateItem under one condition (${puts.slice(3)}): each action of a keyed access has a statement of its own`,
      `elg-${p}-issuance: may dynamodb:UpdateItem on ${REPORTS_510000} ${puts}, beyond its catalog entry`,
    ]);

    // The inbox and the outbox are not issuance's to write, nor is any other partition.
    const wider = structuredClone(sc);
    keysOf(wider, 'TableReportsPut').push('NOTICES', 'DLV');
    expect(check(wider)).toEqual([
      `elg-${p}-issuance: may dynamodb:PutItem on ${REPORTS_510000} ${leadingKeysIf(['DLV', 'FAN', 'NOTICES'])}, beyond its catalog entry`,
      lacksPut,
    ]);

    // Another statement granting more on the table, beside the conditioned ones.
    const beside = structuredClone(sc);
    const reports = byName(beside, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reports`)[0];
    policyOf(beside).Statement.push({
      Effect: 'Allow',
      Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
      Resource: { 'Fn::GetAtt': [reports, 'Arn'] },
    });
    expect(check(beside)).toEqual([
      `elg-${p}-issuance: may dynamodb:DeleteItem on ${REPORTS_510000}, beyond its catalog entry`,
      `elg-${p}-issuance: may dynamodb:PutItem on ${REPORTS_510000}, beyond its catalog entry`,
    ]);
    // Unchanged, it passes.
    expect(check(structuredClone(sc))).toEqual([]);
  });

  it('builds no stack whose keyed table lists no leading keys, nor one listing them for another access', () => {
    const build = (functions: readonly FunctionSpec[]) => () => {
      const values = placeholderContext('510000');
      new ProvinceStack(provinceApp({ outdir: join(assetDir, 'cdk.out.refused') }), 'elg-510000', {
        context: readProvinceContext((k) => values[k]),
        assetDir,
        functions,
      });
    };
    const changed = (change: (f: FunctionSpec) => FunctionSpec) =>
      FUNCTIONS.map((f) => (f.name === 'issuance' ? change(f) : f));
    expect(build(changed(({ leadingKeys: _, ...f }) => f))).toThrow(
      'issuance has keyed access to reports without leadingKeys',
    );
    expect(build(changed((f) => ({ ...f, leadingKeys: { reports: {} } })))).toThrow(/without leadingKeys/);
    expect(build(changed((f) => ({ ...f, leadingKeys: { reports: { put: [], check: [] } } })))).toThrow(
      /without leadingKeys/,
    );
    expect(build(changed((f) => ({ ...f, tables: { ...f.tables, reports: 'write' } })))).toThrow(
      'issuance lists leadingKeys of reports, whose access write takes none',
    );
    expect(
      build(changed((f) => ({ ...f, leadingKeys: { ...f.leadingKeys, nonces: { put: ['X'] } } }))),
    ).toThrow('issuance lists leadingKeys of nonces, a table its entry does not list');
    // The one list of partitions for both actions, as the entry was: no action of keyed.
    expect(build(changed((f) => ({ ...f, leadingKeys: { reports: ['FAN', 'RPT#*'] } }) as never))).toThrow(
      'issuance lists leadingKeys of reports for no action (get, query, put, update, delete, check)',
    );
    expect(
      build(changed((f) => ({ ...f, leadingKeys: { reports: { put: ['FAN'], scan: ['RPT#*'] } } }) as never)),
    ).toThrow('issuance lists leadingKeys of reports for scan, which keyed does not do');
    // A keyed table queries no index: Query of its indexes is read access.
    expect(
      build(
        changed((f) => ({
          ...f,
          tables: { ...f.tables, licenses: 'keyed' },
          leadingKeys: { ...f.leadingKeys, licenses: { query: ['*'] } },
          queriesIndexes: { licenses: ['byHolder'] },
        })),
      ),
    ).toThrow('issuance queries licenses without read access');
  });

  it('lets report-delivery read and write the reports table and query the audit table on byIdentifier only', () => {
    const p = '330000';
    const grants = dynamoGrants(zj, p, 'report-delivery');
    expect(grants.filter((g) => g.endsWith(` on ${REPORTS}`))).toEqual(
      on(tableActions('readwrite'), REPORTS).sort(),
    );
    expect(targetsOf(zj, p, 'report-delivery', 'dynamodb:Query')).toEqual([
      `table elg-${p}-audit`,
      `table elg-${p}-audit/index/byIdentifier`,
      REPORTS,
    ]);
    expect(grants.filter((g) => g.includes('/index/'))).toEqual([
      `dynamodb:Query on table elg-${p}-audit/index/byIdentifier`,
    ]);
  });

  it.each(['delivery', 'report-delivery', 'review-delivery'])(
    'runs %s every minute within its lease, so two rounds never send one delivery at once',
    (name) => {
      const spec = functionSpec(name);
      expect(spec.scheduleMinutes).toBe(1);
      // A round outlives neither the minute to the next one nor the lease it takes on a delivery
      // (lib/delivery/deliver.ts LEASE_MS, 60 s).
      expect(spec.timeoutSeconds).toBeLessThanOrEqual(LEASE_MS / 1000);
      const [id, fn] = fnOf(zj, '330000', name);
      expect(fn.Properties.Timeout).toBe(spec.timeoutSeconds);
      const rule = ofType(zj, 'AWS::Events::Rule').find(([, r]) =>
        r.Properties.Targets.some((t: { Arn: Cfn }) => t.Arn['Fn::GetAtt']?.[0] === id),
      );
      expect(rule?.[1].Properties).toMatchObject({
        Name: `elg-330000-${name}-schedule`,
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
      });
      const [, invokeConfig] =
        ofType(zj, 'AWS::Lambda::EventInvokeConfig').find(([, r]) => r.Properties.FunctionName.Ref === id) ??
        [];
      expect(invokeConfig?.Properties).toMatchObject({
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    },
  );

  it('gives the report calendar to the functions that date reports only, as the context lists it', () => {
    const calendar = ['ELG_REPORT_DUE_WORKING_DAYS', 'ELG_PUBLIC_HOLIDAYS', 'ELG_MAKEUP_WORKDAYS'];
    expect(FUNCTIONS.filter((f) => f.reportCalendar).map((f) => f.name)).toEqual(['reports']);
    for (const f of FUNCTIONS) {
      const zjEnv = variablesOf(zj, '330000', f.name);
      const scEnv = variablesOf(sc, '510000', f.name);
      if (!f.reportCalendar) {
        expect(
          Object.keys(zjEnv).filter((v) => calendar.includes(v)),
          f.name,
        ).toEqual([]);
        continue;
      }
      expect(zjEnv).toMatchObject({
        ELG_REPORT_DUE_WORKING_DAYS: '7',
        ELG_PUBLIC_HOLIDAYS: ZJ_CALENDAR_CONFIG.ELG_PUBLIC_HOLIDAYS,
        ELG_MAKEUP_WORKDAYS: ZJ_CALENDAR_CONFIG.ELG_MAKEUP_WORKDAYS,
      });
      // Every default: the deadline spelled out, no holidays and no weekend working days.
      expect(scEnv.ELG_REPORT_DUE_WORKING_DAYS).toBe('5');
      expect(scEnv.ELG_PUBLIC_HOLIDAYS).toBeUndefined();
      expect(scEnv.ELG_MAKEUP_WORKDAYS).toBeUndefined();
    }
  });

  it('warns the operator of a stack whose report deadlines skip no public holiday', () => {
    expect(warnings.get('elg-330000')?.filter((w) => w.includes('publicHolidays'))).toEqual([]);
    expect(warnings.get('elg-510000')).toEqual([
      expect.stringContaining(
        'context publicHolidays is not given: error report deadlines count every Monday to Friday',
      ),
    ]);
  });

  it('keeps the environment of a function that dates reports within 4 KB with both calendar lists full', () => {
    const env = variablesOf(zj, '330000', 'reports');
    // Every value as long as CloudFormation could make it in a Chinese region: a key ARN with its
    // UUID, a secret ARN with its suffix, and the longest lists the context takes.
    const filled = Object.fromEntries(
      Object.entries(env).map(([k, v]) => {
        if (k === 'ELG_PUBLIC_HOLIDAYS' || k === 'ELG_MAKEUP_WORKDAYS')
          return [k, Array.from({ length: MAX_CALENDAR_DATES }, () => '2025-10-01').join(',')];
        if (k.startsWith('ELG_KMS_KEY_'))
          return [k, 'arn:aws-cn:kms:cn-northwest-1:123456789012:key/12345678-1234-1234-1234-123456789012'];
        return [k, deployed(zj, v)];
      }),
    );
    expect(filled.ELG_HOLDER_HASH_SECRET_ARN).toMatch(/^arn:aws-cn:secretsmanager:/);
    expect(JSON.stringify(filled).length).toBeLessThan(4096);
  });

  it('notices a calendar, a table or an index grant the catalog does not make, written into a template', () => {
    const mutated = structuredClone(sc);
    const p = '510000';
    const env = (name: string): Cfn => fnOf(mutated, p, name)[1].Properties.Environment.Variables;
    const policyOf = (name: string) =>
      mutated.Resources[fnOf(mutated, p, name)[1].Properties.Role['Fn::GetAtt'][0]]?.Properties.Policies[0]
        .PolicyDocument;
    const reportsTable = byName(mutated, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reports`)[0];
    const arn = { 'Fn::GetAtt': [reportsTable, 'Arn'] };
    env('reports').ELG_PUBLIC_HOLIDAYS = '2025-10-01,2025-02-30';
    env('reports').ELG_REPORT_DUE_WORKING_DAYS = '0';
    env('sequencer').ELG_PUBLIC_HOLIDAYS = '2025-10-01';
    delete env('report-delivery').ELG_TABLE_REPORTS;
    policyOf('issuance').Statement.push({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: arn });
    policyOf('reports').Statement.push({
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: { 'Fn::Join': ['', [arn, '/index/*']] },
    });
    const delivery = policyOf('report-delivery');
    delivery.Statement = delivery.Statement.filter((s: { Sid?: string }) => s.Sid !== 'TableAuditIndexes');
    expect(checkProvinceTemplate(mutated, p, plansOf('elg-510000'))).toEqual([
      `elg-${p}-reports: ELG_REPORT_DUE_WORKING_DAYS is "0", which it refuses at start (Too small: expected number to be >=1)`,
      `elg-${p}-reports: its report calendar is one it refuses at start (ELG_PUBLIC_HOLIDAYS, ELG_MAKEUP_WORKDAYS: holidays: 2025-02-30 is not a date YYYY-MM-DD)`,
      `elg-${p}-report-delivery: lacks ELG_TABLE_REPORTS naming table elg-${p}-reports, which its catalog entry lists`,
      `elg-${p}-sequencer: sets ELG_PUBLIC_HOLIDAYS, a setting its catalog entry does not give it`,
      `elg-${p}-issuance: may dynamodb:GetItem on table elg-${p}-reports, beyond its catalog entry`,
      `elg-${p}-reports: may dynamodb:Query on table elg-${p}-reports/index/*, beyond its catalog entry`,
      `elg-${p}-report-delivery: lacks dynamodb:Query on table elg-${p}-audit/index/byIdentifier, which its catalog entry needs`,
    ]);
  });

  it('notices two functions that date reports by different calendars', () => {
    const mutated = structuredClone(zj);
    const catalog = FUNCTIONS.map((f) => (f.name === 'report-delivery' ? { ...f, reportCalendar: true } : f));
    // Report delivery as if it dated reports too, told a calendar without most of the holidays.
    const env = fnOf(mutated, '330000', 'report-delivery')[1].Properties.Environment.Variables;
    Object.assign(env, {
      ELG_REPORT_DUE_WORKING_DAYS: '7',
      ELG_PUBLIC_HOLIDAYS: '2025-10-01',
      ELG_MAKEUP_WORKDAYS: ZJ_CALENDAR_CONFIG.ELG_MAKEUP_WORKDAYS,
    });
    const problems = checkProvinceTemplate(mutated, '330000', plansOf('elg-330000'), catalog);
    expect(problems).toEqual([
      'the functions that date error reports disagree on the calendar: ' +
        `elg-330000-reports has ELG_REPORT_DUE_WORKING_DAYS=7 ELG_PUBLIC_HOLIDAYS=${ZJ_CALENDAR_CONFIG.ELG_PUBLIC_HOLIDAYS} ELG_MAKEUP_WORKDAYS=${ZJ_CALENDAR_CONFIG.ELG_MAKEUP_WORKDAYS}; ` +
        `elg-330000-report-delivery has ELG_REPORT_DUE_WORKING_DAYS=7 ELG_PUBLIC_HOLIDAYS=2025-10-01 ELG_MAKEUP_WORKDAYS=${ZJ_CALENDAR_CONFIG.ELG_MAKEUP_WORKDAYS}`,
    ]);
    // The same calendar on both passes.
    env.ELG_PUBLIC_HOLIDAYS = ZJ_CALENDAR_CONFIG.ELG_PUBLIC_HOLIDAYS;
    expect(checkProvinceTemplate(mutated, '330000', plansOf('elg-330000'), catalog)).toEqual([]);
  });
});

describe('manual review and circuit breakers (docs/protocol.md §18)', () => {
  const reviewsOf = (p: string) => `table elg-${p}-reviews`;
  /** The DynamoDB grants of a function, as `action on resource[ if condition]`. */
  const dynamoGrants = (t: Json, p: string, name: string) =>
    [...(grantsByFunction(t).get(`elg-${p}-${name}`)?.grants ?? [])]
      .filter((g) => g.startsWith('dynamodb:'))
      .sort();
  const on = (actions: readonly string[], target: string) => actions.map((a) => `${a} on ${target}`);
  const leadingKeysIf = (keys: readonly string[]) =>
    `if ForAllValues:StringLike dynamodb:LeadingKeys [${[...keys].sort().join(', ')}]`;
  const leadingKeysOf = (keys: readonly string[]) => ({
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys },
  });
  /** The one partition the verification function puts in: its waits (§18.5). */
  const VERIFICATION_PUTS = ['WAIT#*'];

  it('builds the reviews table with pk/sk, TTL on ttl, no index, kept and protected like the others', () => {
    expect(TABLES.find((d) => d.kind === 'reviews')).toEqual({
      kind: 'reviews',
      partitionKey: 'pk',
      sortKey: 'sk',
      ttlAttribute: 'ttl',
    });
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      const [, table] = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`);
      const [, licenses] = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-licenses`);
      expect(table.Properties.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(table.Properties.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]);
      // The minute counters (CNT#) expire by TTL, 2 h after their minute.
      expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
      expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
      expect(table.Properties.LocalSecondaryIndexes).toBeUndefined();
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      // Encrypted as every other table is (DynamoDB's own key: no SSESpecification of its own).
      expect(table.Properties.SSESpecification).toEqual(licenses.Properties.SSESpecification);
      expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
  });

  it('serves exactly the review, policy and breaker routes, and the decision deliveries, from the reviews function', () => {
    const routes = [
      'GET /v1/review-policy',
      'PUT /v1/review-policy',
      'GET /v1/reviews',
      'GET /v1/reviews/{proxy+}',
      'POST /v1/reviews/{proxy+}',
      'GET /v1/breakers',
      'POST /v1/breakers/{proxy+}',
      'POST /v1/interop/review-decisions',
    ];
    expect([...functionSpec('reviews').routes].sort()).toEqual([...routes].sort());
    const [reviewsFn] = fnOf(zj, '330000', 'reviews');
    const integrations = ofType(zj, 'AWS::ApiGatewayV2::Integration')
      .filter(([, r]) => JSON.stringify(r.Properties.IntegrationUri).includes(`"${reviewsFn}"`))
      .map(([id]) => id);
    expect(integrations).toHaveLength(1);
    const served = ofType(zj, 'AWS::ApiGatewayV2::Route')
      .filter(([, r]) => r.Properties.Target['Fn::Join'][1][1].Ref === integrations[0])
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(served).toEqual([...routes].sort());
    const reviewId = '330000-01JDQ0000000000000000000000';
    for (const [method, path, fn] of [
      ['GET', '/v1/review-policy', 'reviews'],
      ['PUT', '/v1/review-policy', 'reviews'],
      ['GET', '/v1/reviews', 'reviews'],
      ['GET', `/v1/reviews/${reviewId}`, 'reviews'],
      ['POST', `/v1/reviews/${reviewId}/decisions`, 'reviews'],
      ['GET', '/v1/breakers', 'reviews'],
      ['POST', '/v1/breakers/320000/release', 'reviews'],
      ['POST', '/v1/interop/review-decisions', 'reviews'],
      // Its neighbours stay where they were, and nothing else reaches it.
      ['POST', '/v1/interop/verify', 'interop'],
      ['POST', '/v1/verify', 'verification'],
      ['POST', '/v1/review-policy', 'discovery'],
      ['DELETE', `/v1/reviews/${reviewId}`, 'discovery'],
      ['PUT', '/v1/breakers/320000', 'discovery'],
      ['GET', '/v1/interop/review-decisions', 'discovery'],
    ] as const) {
      expect(routeOf(zj, method, path), `${method} ${path}`).toBe(`elg-330000-${fn}`);
    }
  });

  it('grants the reviews function its tables and the gateway key, no index and no secret', () => {
    const p = '330000';
    const t = (kind: string) => `table elg-${p}-${kind}`;
    expect(dynamoGrants(zj, p, 'reviews')).toEqual(
      [
        ...on(tableActions('readwrite'), reviewsOf(p)),
        ...on(TABLE_ACTIONS.read, t('licenses')),
        ...on(TABLE_ACTIONS.read, t('agreements')),
        ...on(TABLE_ACTIONS.write, t('nonces')),
        ...on(TABLE_ACTIONS.write, t('audit')),
        ...on(TABLE_ACTIONS.getput, t('registry')),
      ].sort(),
    );
    expect(targetsOf(zj, p, 'reviews', 'dynamodb:Query')).toEqual([
      t('agreements'),
      t('licenses'),
      reviewsOf(p),
    ]);
    expect(targetsOf(zj, p, 'reviews', 'kms:Sign')).toEqual(['key gateway g1']);
    expect(targetsOf(zj, p, 'reviews', 'secretsmanager:GetSecretValue')).toEqual([]);
    expect(
      Object.keys(variablesOf(zj, p, 'reviews'))
        .filter((v) => v.startsWith('ELG_TABLE_'))
        .sort(),
    ).toEqual([
      'ELG_TABLE_AGREEMENTS',
      'ELG_TABLE_AUDIT',
      'ELG_TABLE_LICENSES',
      'ELG_TABLE_NONCES',
      'ELG_TABLE_REGISTRY',
      'ELG_TABLE_REVIEWS',
    ]);
    expect(variablesOf(zj, p, 'reviews').ELG_TABLE_REVIEWS).toEqual({
      Ref: byName(zj, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`)[0],
    });
    expect(fnOf(zj, p, 'reviews')[1].Properties).toMatchObject({ Timeout: 15, MemorySize: 512 });
  });

  /**
   * The interop function's partitions of the reviews table, by action (§18.6): the policy and the
   * breakers read, the counters queried and added to, held requests and trips put with their copies.
   */
  const INTEROP_KEYS = {
    get: ['POLICY', 'BRK#*'],
    query: ['CNT#*'],
    put: ['REV#*', 'PENDING', 'BRK#*', 'BREAKERS'],
    update: ['CNT#*'],
  };
  /**
   * The review-delivery function's: reviews due to expire, breakers' copies and deliveries due
   * queried; an expiry's review, decided copy and delivery put and its pending copy deleted; a
   * delivery moved ahead and removed.
   */
  const REVIEW_DELIVERY_KEYS = {
    query: ['PENDING', 'BREAKERS', 'DLV'],
    put: ['REV#*', 'DECIDED', 'DLV'],
    delete: ['PENDING', 'DLV'],
  };
  /** The statements of a keyed reviews grant, one per action, in the order bindTable makes them. */
  const keyedStatements = (reviews: string, keys: Partial<Record<KeyedAction, string[]>>) =>
    KEYED_ACTIONS.filter((a) => (keys[a] ?? []).length > 0).map((a) => ({
      Sid: `TableReviews${a[0]?.toUpperCase()}${a.slice(1)}`,
      Effect: 'Allow',
      Action: KEYED_ITEM_ACTIONS[a],
      Resource: { 'Fn::GetAtt': [reviews, 'Arn'] },
      Condition: leadingKeysOf(keys[a] ?? []),
    }));
  const reviewsStatementsOf = (t: Json, p: string, name: string) => {
    const reviews = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`)[0];
    return {
      reviews,
      naming: statementsOf(t, p, name).filter((s) => JSON.stringify(s.Resource).includes(`"${reviews}"`)),
    };
  };

  it('lets review-delivery only query, put and delete its own partitions of the reviews table, write audit events and keep the registry', () => {
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      expect(dynamoGrants(t, p, 'review-delivery')).toEqual(
        [
          `dynamodb:Query on ${reviewsOf(p)} ${leadingKeysIf(['BREAKERS', 'DLV', 'PENDING'])}`,
          `dynamodb:PutItem on ${reviewsOf(p)} ${leadingKeysIf(['DECIDED', 'DLV', 'REV#*'])}`,
          `dynamodb:DeleteItem on ${reviewsOf(p)} ${leadingKeysIf(['DLV', 'PENDING'])}`,
          ...on(TABLE_ACTIONS.write, `table elg-${p}-audit`),
          ...on(TABLE_ACTIONS.getput, `table elg-${p}-registry`),
        ].sort(),
      );
      // Three statements name the table, one action each, in the order of the catalog's actions.
      const { reviews, naming } = reviewsStatementsOf(t, p, 'review-delivery');
      expect(naming).toEqual(keyedStatements(reviews, REVIEW_DELIVERY_KEYS));
      expect(naming.map((s) => s.Sid)).toEqual([
        'TableReviewsQuery',
        'TableReviewsPut',
        'TableReviewsDelete',
      ]);
    }
    expect(functionSpec('review-delivery').tables.reviews).toBe('keyed');
    expect(functionSpec('review-delivery').leadingKeys).toEqual({ reviews: REVIEW_DELIVERY_KEYS });
    const p = '330000';
    expect(targetsOf(zj, p, 'review-delivery', 'dynamodb:Query')).toEqual([reviewsOf(p)]);
    expect(targetsOf(zj, p, 'review-delivery', 'dynamodb:GetItem')).toEqual([`table elg-${p}-registry`]);
    expect(targetsOf(zj, p, 'review-delivery', 'dynamodb:UpdateItem')).toEqual([`table elg-${p}-audit`]);
    expect(targetsOf(zj, p, 'review-delivery', 'dynamodb:ConditionCheckItem')).toEqual([
      `table elg-${p}-audit`,
    ]);
    expect(targetsOf(zj, p, 'review-delivery', 'kms:Sign')).toEqual(['key gateway g1']);
    expect(targetsOf(zj, p, 'review-delivery', 'secretsmanager:GetSecretValue')).toEqual([]);
    expect(functionSpec('review-delivery').routes).toEqual([]);
    // Scheduled only: no route of the API reaches it.
    const [fnId] = fnOf(zj, p, 'review-delivery');
    expect(
      ofType(zj, 'AWS::ApiGatewayV2::Integration').filter(([, r]) =>
        JSON.stringify(r.Properties.IntegrationUri).includes(`"${fnId}"`),
      ),
    ).toEqual([]);
  });

  it('lets interop only get the policy and breakers, query and update the counters and put holds and trips in the reviews table', () => {
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      expect(dynamoGrants(t, p, 'interop').filter((g) => g.includes(` on ${reviewsOf(p)}`))).toEqual(
        [
          `dynamodb:GetItem on ${reviewsOf(p)} ${leadingKeysIf(['BRK#*', 'POLICY'])}`,
          `dynamodb:Query on ${reviewsOf(p)} ${leadingKeysIf(['CNT#*'])}`,
          `dynamodb:PutItem on ${reviewsOf(p)} ${leadingKeysIf(['BREAKERS', 'BRK#*', 'PENDING', 'REV#*'])}`,
          `dynamodb:UpdateItem on ${reviewsOf(p)} ${leadingKeysIf(['CNT#*'])}`,
        ].sort(),
      );
      const { reviews, naming } = reviewsStatementsOf(t, p, 'interop');
      expect(naming).toEqual(keyedStatements(reviews, INTEROP_KEYS));
      expect(naming.map((s) => s.Sid)).toEqual([
        'TableReviewsGet',
        'TableReviewsQuery',
        'TableReviewsPut',
        'TableReviewsUpdate',
      ]);
    }
    expect(functionSpec('interop').tables.reviews).toBe('keyed');
    expect(functionSpec('interop').leadingKeys).toEqual({ reviews: INTEROP_KEYS });
    // No delete or condition check of the reviews table.
    expect(targetsOf(zj, '330000', 'interop', 'dynamodb:DeleteItem')).toEqual([
      'table elg-330000-audit',
      'table elg-330000-nonces',
    ]);
    expect(targetsOf(zj, '330000', 'interop', 'dynamodb:ConditionCheckItem')).not.toContain(
      reviewsOf('330000'),
    );
    // The reviews function keeps the whole table: every route of §18 is its own.
    expect(
      dynamoGrants(zj, '330000', 'reviews').filter((g) => g.includes(` on ${reviewsOf('330000')}`)),
    ).toEqual(on(tableActions('readwrite'), reviewsOf('330000')).sort());
  });

  it('reads each wider access as the keyed actions it grants on every partition', () => {
    for (const access of ['describe', 'getput', 'read', 'write', 'readwrite'] as const) {
      expect(
        KEYED_ACTIONS.filter((a) => tableActions(access).includes(KEYED_ITEM_ACTIONS[a])),
        access,
      ).toEqual(KEYED_ACTIONS_OF[access]);
    }
    expect(keyedGrants(INTEROP_KEYS).map((g) => [g.use, g.action])).toEqual([
      ['get', 'dynamodb:GetItem'],
      ['query', 'dynamodb:Query'],
      ['put', 'dynamodb:PutItem'],
      ['update', 'dynamodb:UpdateItem'],
    ]);
    expect(keyedGrants({ delete: ['DLV'], check: ['X'] })).toEqual([
      { use: 'delete', action: 'dynamodb:DeleteItem', condition: leadingKeysOf(['DLV']) },
      { use: 'check', action: 'dynamodb:ConditionCheckItem', condition: leadingKeysOf(['X']) },
    ]);
  });

  it('notices an interop grant on the reviews table widened, with an action more, unconditioned or merged', () => {
    const p = '510000';
    const REVIEWS = reviewsOf(p);
    const statementOf = (t: Json, sid: string) =>
      statementsOf(t, p, 'interop').find((s) => s.Sid === sid) as Cfn;
    const policyOf = (t: Json) =>
      t.Resources[fnOf(t, p, 'interop')[1].Properties.Role['Fn::GetAtt'][0]]?.Properties.Policies[0]
        .PolicyDocument;
    const keysOf = (t: Json, sid: string): string[] =>
      statementOf(t, sid).Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
    const check = (t: Json) => checkProvinceTemplate(t, p, plansOf('elg-510000'));
    const lacks = (action: string, keys: string[]) =>
      `elg-${p}-interop: lacks dynamodb:${action} on ${REVIEWS} ${leadingKeysIf(keys)}, which its catalog entry needs`;
    const beyond = (action: string, keys?: string[]) =>
      `elg-${p}-interop: may dynamodb:${action} on ${REVIEWS}${keys ? ` ${leadingKeysIf(keys)}` : ''}, beyond its catalog entry`;
    const PUTS = ['BREAKERS', 'BRK#*', 'PENDING', 'REV#*'];

    // A put of the policy: it could turn every hold off.
    const policyPut = structuredClone(sc);
    keysOf(policyPut, 'TableReviewsPut').push('POLICY');
    expect(check(policyPut)).toEqual([beyond('PutItem', [...PUTS, 'POLICY']), lacks('PutItem', PUTS)]);

    // A put of decided reviews or of waits: it could change a decision or forge a wait.
    const decidedPut = structuredClone(sc);
    keysOf(decidedPut, 'TableReviewsPut').push('DECIDED', 'WAIT#*');
    expect(check(decidedPut)).toEqual([
      beyond('PutItem', [...PUTS, 'DECIDED', 'WAIT#*']),
      lacks('PutItem', PUTS),
    ]);

    // A get of the held requests, which it never reads back.
    const reading = structuredClone(sc);
    keysOf(reading, 'TableReviewsGet').push('REV#*');
    expect(check(reading)).toEqual([
      beyond('GetItem', ['BRK#*', 'POLICY', 'REV#*']),
      lacks('GetItem', ['BRK#*', 'POLICY']),
    ]);

    // An action more, a statement of its own: the deletion of held requests.
    const deleting = structuredClone(sc);
    const reviews = byName(deleting, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`)[0];
    policyOf(deleting).Statement.push({
      Sid: 'TableReviewsDelete',
      Effect: 'Allow',
      Action: 'dynamodb:DeleteItem',
      Resource: { 'Fn::GetAtt': [reviews, 'Arn'] },
      Condition: leadingKeysOf(['REV#*', 'PENDING']),
    });
    expect(check(deleting)).toEqual([beyond('DeleteItem', ['PENDING', 'REV#*'])]);

    // An action more in a statement: deletes of the counters, beside their updates.
    const updating = structuredClone(sc);
    statementOf(updating, 'TableReviewsUpdate').Action = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
    expect(check(updating)).toEqual([
      `elg-${p}-interop: a statement grants dynamodb:UpdateItem, dynamodb:DeleteItem under one condition (ForAllValues:StringLike dynamodb:LeadingKeys [CNT#*]): each action of a keyed access has a statement of its own`,
      beyond('DeleteItem', ['CNT#*']),
    ]);

    const unconditioned = structuredClone(sc);
    delete statementOf(unconditioned, 'TableReviewsGet').Condition;
    expect(check(unconditioned)).toEqual([beyond('GetItem'), lacks('GetItem', ['BRK#*', 'POLICY'])]);

    // Get and put merged into one statement on all their partitions: each may more.
    const merged = structuredClone(sc);
    policyOf(merged).Statement = policyOf(merged).Statement.filter((s: Cfn) => s.Sid !== 'TableReviewsGet');
    Object.assign(statementOf(merged, 'TableReviewsPut'), {
      Sid: 'TableReviews',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Condition: leadingKeysOf([...INTEROP_KEYS.get, ...INTEROP_KEYS.put]),
    });
    const all = ['BREAKERS', 'BRK#*', 'BRK#*', 'PENDING', 'POLICY', 'REV#*'];
    expect(check(merged)).toEqual([
      `elg-${p}-interop: a statement grants dynamodb:GetItem, dynamodb:PutItem under one condition (${leadingKeysIf(all).slice(3)}): each action of a keyed access has a statement of its own`,
      beyond('GetItem', all),
      beyond('PutItem', all),
      lacks('GetItem', ['BRK#*', 'POLICY']),
      lacks('PutItem', PUTS),
    ]);

    // Query and update of the same partitions merged: the same grants, one statement too few.
    const counters = structuredClone(sc);
    policyOf(counters).Statement = policyOf(counters).Statement.filter(
      (s: Cfn) => s.Sid !== 'TableReviewsUpdate',
    );
    statementOf(counters, 'TableReviewsQuery').Action = ['dynamodb:Query', 'dynamodb:UpdateItem'];
    expect(check(counters)).toEqual([
      `elg-${p}-interop: a statement grants dynamodb:Query, dynamodb:UpdateItem under one condition (ForAllValues:StringLike dynamodb:LeadingKeys [CNT#*]): each action of a keyed access has a statement of its own`,
    ]);

    // Gone: no hold could be stored, and the check says so.
    const missing = structuredClone(sc);
    policyOf(missing).Statement = policyOf(missing).Statement.filter((s: Cfn) => s.Sid !== 'TableReviewsPut');
    expect(check(missing)).toEqual([lacks('PutItem', PUTS)]);

    // Unchanged, it passes.
    expect(check(structuredClone(sc))).toEqual([]);
  });

  it('notices a review-delivery grant on the reviews table widened, with an action more, unconditioned or merged', () => {
    const p = '510000';
    const REVIEWS = reviewsOf(p);
    const statementOf = (t: Json, sid: string) =>
      statementsOf(t, p, 'review-delivery').find((s) => s.Sid === sid) as Cfn;
    const policyOf = (t: Json) =>
      t.Resources[fnOf(t, p, 'review-delivery')[1].Properties.Role['Fn::GetAtt'][0]]?.Properties.Policies[0]
        .PolicyDocument;
    const keysOf = (t: Json, sid: string): string[] =>
      statementOf(t, sid).Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
    const check = (t: Json) => checkProvinceTemplate(t, p, plansOf('elg-510000'));
    const lacks = (action: string, keys: string[]) =>
      `elg-${p}-review-delivery: lacks dynamodb:${action} on ${REVIEWS} ${leadingKeysIf(keys)}, which its catalog entry needs`;
    const beyond = (action: string, keys?: string[]) =>
      `elg-${p}-review-delivery: may dynamodb:${action} on ${REVIEWS}${keys ? ` ${leadingKeysIf(keys)}` : ''}, beyond its catalog entry`;
    const PUTS = ['DECIDED', 'DLV', 'REV#*'];
    const DELETES = ['DLV', 'PENDING'];

    // A put of pending copies, which an expiry never makes: it could queue a review of its own.
    const pendingPut = structuredClone(sc);
    keysOf(pendingPut, 'TableReviewsPut').push('PENDING');
    expect(check(pendingPut)).toEqual([beyond('PutItem', [...PUTS, 'PENDING']), lacks('PutItem', PUTS)]);

    // Deletes of the held requests or of the breakers: it could make a review or a trip vanish.
    const deleting = structuredClone(sc);
    keysOf(deleting, 'TableReviewsDelete').push('REV#*', 'BRK#*');
    expect(check(deleting)).toEqual([
      beyond('DeleteItem', [...DELETES, 'BRK#*', 'REV#*']),
      lacks('DeleteItem', DELETES),
    ]);

    // Every partition: the pattern `*`.
    const anywhere = structuredClone(sc);
    statementOf(anywhere, 'TableReviewsQuery').Condition = leadingKeysOf(['*']);
    expect(check(anywhere)).toEqual([beyond('Query', ['*']), lacks('Query', ['BREAKERS', 'DLV', 'PENDING'])]);

    // An action more: a read of the policy, or an update of the breakers, each its own statement.
    const more = structuredClone(sc);
    const reviews = byName(more, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`)[0];
    policyOf(more).Statement.push(
      {
        Sid: 'TableReviewsGet',
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [reviews, 'Arn'] },
        Condition: leadingKeysOf(['POLICY']),
      },
      {
        Sid: 'TableReviewsUpdate',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: { 'Fn::GetAtt': [reviews, 'Arn'] },
        Condition: leadingKeysOf(['BRK#*']),
      },
    );
    expect(check(more)).toEqual([beyond('GetItem', ['POLICY']), beyond('UpdateItem', ['BRK#*'])]);

    // A condition check beside the puts, which no transaction of it makes.
    const checking = structuredClone(sc);
    statementOf(checking, 'TableReviewsPut').Action = ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'];
    expect(check(checking)).toEqual([
      `elg-${p}-review-delivery: a statement grants dynamodb:PutItem, dynamodb:ConditionCheckItem under one condition (${leadingKeysIf(PUTS).slice(3)}): each action of a keyed access has a statement of its own`,
      beyond('ConditionCheckItem', PUTS),
    ]);

    const unconditioned = structuredClone(sc);
    delete statementOf(unconditioned, 'TableReviewsDelete').Condition;
    expect(check(unconditioned)).toEqual([beyond('DeleteItem'), lacks('DeleteItem', DELETES)]);

    // Put and delete merged into one statement on both lists: each on the other's partitions too.
    const merged = structuredClone(sc);
    policyOf(merged).Statement = policyOf(merged).Statement.filter(
      (s: Cfn) => s.Sid !== 'TableReviewsDelete',
    );
    Object.assign(statementOf(merged, 'TableReviewsPut'), {
      Sid: 'TableReviews',
      Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      Condition: leadingKeysOf([...REVIEW_DELIVERY_KEYS.put, ...REVIEW_DELIVERY_KEYS.delete]),
    });
    const both = ['DECIDED', 'DLV', 'DLV', 'PENDING', 'REV#*'];
    expect(check(merged)).toEqual([
      `elg-${p}-review-delivery: a statement grants dynamodb:PutItem, dynamodb:DeleteItem under one condition (${leadingKeysIf(both).slice(3)}): each action of a keyed access has a statement of its own`,
      beyond('PutItem', both),
      beyond('DeleteItem', both),
      lacks('PutItem', PUTS),
      lacks('DeleteItem', DELETES),
    ]);

    // Unchanged, it passes.
    expect(check(structuredClone(sc))).toEqual([]);
  });

  it('lets verification only put its waits under WAIT#* in the reviews table, one statement, no check', () => {
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      const reviews = byName(t, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`)[0];
      const naming = statementsOf(t, p, 'verification').filter((s) =>
        JSON.stringify(s.Resource).includes(`"${reviews}"`),
      );
      expect(naming).toEqual([
        {
          Sid: 'TableReviewsPut',
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: { 'Fn::GetAtt': [reviews, 'Arn'] },
          Condition: leadingKeysOf(VERIFICATION_PUTS),
        },
      ]);
      expect(dynamoGrants(t, p, 'verification').filter((g) => g.includes(` on ${reviewsOf(p)}`))).toEqual([
        `dynamodb:PutItem on ${reviewsOf(p)} ${leadingKeysIf(VERIFICATION_PUTS)}`,
      ]);
    }
    expect(functionSpec('verification').tables.reviews).toBe('keyed');
    expect(functionSpec('verification').leadingKeys).toEqual({ reviews: { put: VERIFICATION_PUTS } });
    expect(keyedGrants({ put: VERIFICATION_PUTS })).toEqual([
      { use: 'put', action: 'dynamodb:PutItem', condition: leadingKeysOf(['WAIT#*']) },
    ]);
  });

  it('notices a verification grant on the reviews table widened, unconditioned or with more actions', () => {
    const p = '510000';
    const REVIEWS = reviewsOf(p);
    const puts = leadingKeysIf(VERIFICATION_PUTS);
    const statementOf = (t: Json) =>
      statementsOf(t, p, 'verification').find((s) => s.Sid === 'TableReviewsPut') as Cfn;
    const policyOf = (t: Json) =>
      t.Resources[fnOf(t, p, 'verification')[1].Properties.Role['Fn::GetAtt'][0]]?.Properties.Policies[0]
        .PolicyDocument;
    const keysOf = (t: Json): string[] =>
      statementOf(t).Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'];
    const check = (t: Json) => checkProvinceTemplate(t, p, plansOf('elg-510000'));
    const lacksPut = `elg-${p}-verification: lacks dynamodb:PutItem on ${REVIEWS} ${puts}, which its catalog entry needs`;

    // Puts on held requests and breakers too: it could hold or release calls of its own choosing.
    const wider = structuredClone(sc);
    keysOf(wider).push('REV#*', 'BRK#*');
    expect(check(wider)).toEqual([
      `elg-${p}-verification: may dynamodb:PutItem on ${REVIEWS} ${leadingKeysIf(['BRK#*', 'REV#*', 'WAIT#*'])}, beyond its catalog entry`,
      lacksPut,
    ]);

    // Every partition: the pattern `*`.
    const anywhere = structuredClone(sc);
    statementOf(anywhere).Condition = leadingKeysOf(['*']);
    expect(check(anywhere)).toEqual([
      `elg-${p}-verification: may dynamodb:PutItem on ${REVIEWS} ${leadingKeysIf(['*'])}, beyond its catalog entry`,
      lacksPut,
    ]);

    const unconditioned = structuredClone(sc);
    delete statementOf(unconditioned).Condition;
    expect(check(unconditioned)).toEqual([
      `elg-${p}-verification: may dynamodb:PutItem on ${REVIEWS}, beyond its catalog entry`,
      lacksPut,
    ]);

    // An update of its waits would let it write a decision the granting province never signed.
    const updating = structuredClone(sc);
    statementOf(updating).Action = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];
    expect(check(updating)).toEqual([
      `elg-${p}-verification: a statement grants dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:ConditionCheckItem under one condition (${puts.slice(3)}): each action of a keyed access has a statement of its own`,
      `elg-${p}-verification: may dynamodb:UpdateItem on ${REVIEWS} ${puts}, beyond its catalog entry`,
      `elg-${p}-verification: may dynamodb:ConditionCheckItem on ${REVIEWS} ${puts}, beyond its catalog entry`,
    ]);

    // A read of the table beside it (the waits are read by the reviews function, not here).
    const reading = structuredClone(sc);
    const reviews = byName(reading, 'AWS::DynamoDB::Table', 'TableName', `elg-${p}-reviews`)[0];
    policyOf(reading).Statement.push({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: { 'Fn::GetAtt': [reviews, 'Arn'] },
    });
    expect(check(reading)).toEqual([
      `elg-${p}-verification: may dynamodb:GetItem on ${REVIEWS}, beyond its catalog entry`,
      `elg-${p}-verification: may dynamodb:Query on ${REVIEWS}, beyond its catalog entry`,
    ]);

    // Gone: the wait could not be stored, and the check says so.
    const missing = structuredClone(sc);
    const policy = policyOf(missing);
    policy.Statement = policy.Statement.filter((s: Cfn) => s.Sid !== 'TableReviewsPut');
    expect(check(missing)).toEqual([lacksPut]);

    // Unchanged, it passes.
    expect(check(structuredClone(sc))).toEqual([]);
  });
});

describe('keys', () => {
  const keyOf = (t: Json, alias: string) =>
    byName(t, 'AWS::KMS::Alias', 'AliasName', alias)[1].Properties.TargetKeyId;

  /** Each key of the stack by what its generation alias names it, `key <purpose> g<N>`. */
  const keysByName = (t: Json, p: string): Map<string, Resource> => {
    const out = new Map<string, Resource>();
    for (const [, alias] of ofType(t, 'AWS::KMS::Alias')) {
      const m = new RegExp(`^alias/elg-${p}-(\\w+)-g(\\d+)$`).exec(alias.Properties.AliasName);
      const key = t.Resources[alias.Properties.TargetKeyId['Fn::GetAtt'][0]];
      if (m && key) out.set(`key ${m[1]} g${m[2]}`, key);
    }
    return out;
  };

  it('makes every generation a signing key that is never deleted: ECC_NIST_P256, ECC_NIST_EDWARDS25519 for witness', () => {
    const keys = ofType(zj, 'AWS::KMS::Key');
    expect(keys).toHaveLength(2 + 1 + 3 + 1);
    const named = keysByName(zj, '330000');
    expect([...named.keys()].sort()).toEqual([
      'key audit g1',
      'key audit g2',
      'key audit g3',
      'key credential g1',
      'key credential g2',
      'key gateway g1',
      'key witness g1',
    ]);
    // Every key of the stack is one of those generations.
    expect(new Set(named.values()).size).toBe(keys.length);
    for (const [name, key] of named) {
      expect(key.Properties.KeySpec, name).toBe(
        name.startsWith('key witness ') ? 'ECC_NIST_EDWARDS25519' : 'ECC_NIST_P256',
      );
      expect(key.Properties.KeyUsage).toBe('SIGN_VERIFY');
      expect(key.Properties.EnableKeyRotation).toBeUndefined();
      expect([key.DeletionPolicy, key.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
    expect(ofType(sc, 'AWS::KMS::Key')).toHaveLength(4);
    expect([...keysByName(sc, '510000')].map(([name, key]) => [name, key.Properties.KeySpec]).sort()).toEqual(
      [
        ['key audit g1', 'ECC_NIST_P256'],
        ['key credential g1', 'ECC_NIST_P256'],
        ['key gateway g1', 'ECC_NIST_P256'],
        ['key witness g1', 'ECC_NIST_EDWARDS25519'],
      ],
    );
  });

  it('points the purpose alias at the current generation and keeps a -g<N> alias for each', () => {
    const aliases = ofType(zj, 'AWS::KMS::Alias')
      .map(([, r]) => r.Properties.AliasName)
      .sort();
    expect(aliases).toEqual(
      [
        'alias/elg-330000-audit',
        'alias/elg-330000-audit-g1',
        'alias/elg-330000-audit-g2',
        'alias/elg-330000-audit-g3',
        'alias/elg-330000-credential',
        'alias/elg-330000-credential-g1',
        'alias/elg-330000-credential-g2',
        'alias/elg-330000-gateway',
        'alias/elg-330000-gateway-g1',
        'alias/elg-330000-witness',
        'alias/elg-330000-witness-g1',
      ].sort(),
    );
    expect(keyOf(zj, 'alias/elg-330000-witness')).toEqual(keyOf(zj, 'alias/elg-330000-witness-g1'));
    expect(keyOf(zj, 'alias/elg-330000-credential')).toEqual(keyOf(zj, 'alias/elg-330000-credential-g2'));
    expect(keyOf(zj, 'alias/elg-330000-audit')).toEqual(keyOf(zj, 'alias/elg-330000-audit-g3'));
    expect(keyOf(zj, 'alias/elg-330000-credential-g1')).not.toEqual(
      keyOf(zj, 'alias/elg-330000-credential-g2'),
    );
    for (const [, alias] of ofType(zj, 'AWS::KMS::Alias')) expect(alias.DeletionPolicy).toBe('Retain');
  });

  it('keeps the logical id of a generation when a later one is added, so a deploy never replaces it', () => {
    expect(keyOf(zj, 'alias/elg-330000-credential-g1')).toEqual(keyOf(sc, 'alias/elg-510000-credential-g1'));
    expect(keyOf(zj, 'alias/elg-330000-audit-g1')).toEqual(keyOf(sc, 'alias/elg-510000-audit-g1'));
    expect(keyOf(zj, 'alias/elg-330000-witness-g1')).toEqual(keyOf(sc, 'alias/elg-510000-witness-g1'));
  });

  it('gives each function the current ARNs of the keys it reads only, and the earlier ones to discovery only', () => {
    const current = {
      ELG_KMS_KEY_CREDENTIAL: keyOf(zj, 'alias/elg-330000-credential-g2'),
      ELG_KMS_KEY_GATEWAY: keyOf(zj, 'alias/elg-330000-gateway-g1'),
      ELG_KMS_KEY_AUDIT: keyOf(zj, 'alias/elg-330000-audit-g3'),
      ELG_KMS_KEY_WITNESS: keyOf(zj, 'alias/elg-330000-witness-g1'),
    };
    for (const f of FUNCTIONS) {
      const env = variablesOf(zj, '330000', f.name);
      const reads = keyPurposesOf(f).map((k) => `ELG_KMS_KEY_${k.toUpperCase()}`);
      for (const [variable, arn] of Object.entries(current)) {
        expect(env[variable], `${f.name} ${variable}`).toEqual(reads.includes(variable) ? arn : undefined);
      }
      if (f.name === 'discovery') {
        const arn = (a: string) => keyOf(zj, `alias/elg-330000-${a}`);
        expect(env.ELG_KMS_KEYS_PREVIOUS).toEqual({
          'Fn::Join': [
            '',
            ['credential=', arn('credential-g1'), ',audit=', arn('audit-g1'), ',audit=', arn('audit-g2')],
          ],
        });
      } else {
        expect(env.ELG_KMS_KEYS_PREVIOUS).toBeUndefined();
      }
      expect(variablesOf(sc, '510000', f.name).ELG_KMS_KEYS_PREVIOUS).toBeUndefined();
    }
    expect(
      Object.keys(variablesOf(zj, '330000', 'discovery')).filter((v) => v.startsWith('ELG_KMS_')),
    ).toEqual([
      'ELG_KMS_KEY_CREDENTIAL',
      'ELG_KMS_KEY_GATEWAY',
      'ELG_KMS_KEY_AUDIT',
      'ELG_KMS_KEY_WITNESS',
      'ELG_KMS_KEYS_PREVIOUS',
    ]);
    // The witness key's ARN goes to the function that cosigns with it and to discovery, no other.
    expect(
      FUNCTIONS.filter((f) => variablesOf(zj, '330000', f.name).ELG_KMS_KEY_WITNESS !== undefined).map(
        (f) => f.name,
      ),
    ).toEqual(['discovery', 'witness']);
  });

  it('outputs the API URL, the JWKS URL and the current key ARNs', () => {
    expect(zj.Outputs.CredentialKeyArn?.Value).toEqual(keyOf(zj, 'alias/elg-330000-credential-g2'));
    expect(zj.Outputs.GatewayKeyArn?.Value).toEqual(keyOf(zj, 'alias/elg-330000-gateway-g1'));
    expect(zj.Outputs.AuditKeyArn?.Value).toEqual(keyOf(zj, 'alias/elg-330000-audit-g3'));
    expect(zj.Outputs.WitnessKeyArn?.Value).toEqual(keyOf(zj, 'alias/elg-330000-witness-g1'));
    const [apiId] = ofType(zj, 'AWS::ApiGatewayV2::Api')[0] ?? [];
    const url = JSON.stringify(zj.Outputs.ApiUrl?.Value);
    expect(url).toContain(`{"Ref":"${apiId}"}`);
    expect(url).toMatch(/\/"\]\]\}$/);
    expect(JSON.stringify(zj.Outputs.JwksUrl?.Value)).toMatch(/\/\.well-known\/jwks\.json"\]\]\}$/);
  });
});

describe('key rotation without an outage', () => {
  const P = '310000';
  const keyOf = (t: Json, alias: string) =>
    byName(t, 'AWS::KMS::Alias', 'AliasName', `alias/elg-${P}-${alias}`)[1].Properties.TargetKeyId;
  const envOf = (t: Json, name: string) => variablesOf(t, P, name);
  /** The functions that read the gateway key: those that sign with it, and discovery. */
  const readsGateway = FUNCTIONS.filter((f) => keyPurposesOf(f).includes('gateway'));
  /** What each function may sign with. */
  const signing = (t: Json) =>
    Object.fromEntries(FUNCTIONS.map((f) => [f.name, targetsOf(t, P, f.name, 'kms:Sign')]));
  /** What each function must sign with: the catalog's purposes, gateway at `g`, the others at g1. */
  const signsWithGateway = (g: string) =>
    Object.fromEntries(
      Object.entries(SIGNS).map(([name, purposes]) => [
        name,
        purposes.map((k) => `key ${k} ${k === 'gateway' ? g : 'g1'}`).sort(),
      ]),
    );
  /** Discovery's settings as it reads them (its own scope) once CloudFormation has filled them in. */
  const discoveryConfig = (t: Json) =>
    readConfig(
      Object.fromEntries(Object.entries(envOf(t, 'discovery')).map(([k, v]) => [k, deployed(t, v)])),
      functionSpec('discovery'),
    );
  /** The public keys a function may read: the current ones of its purposes, and `published` for discovery. */
  const publicKeysOf = (f: FunctionSpec, current: Record<string, string>, published: string[] = []) =>
    [...keyPurposesOf(f).map((k) => `key ${k} ${current[k]}`), ...(f.publishesKeys ? published : [])].sort();
  const keyName = (arn: string) => arn.replace(/^.*:key\//, '');

  it('(a) while the new gateway key is staged, the previous generation keeps signing', () => {
    const t = sh.staged;
    expect(keyOf(t, 'gateway')).toEqual(keyOf(t, 'gateway-g1'));
    expect(keyOf(t, 'gateway-g2')).not.toEqual(keyOf(t, 'gateway-g1'));
    for (const f of readsGateway)
      expect(envOf(t, f.name).ELG_KMS_KEY_GATEWAY).toEqual(keyOf(t, 'gateway-g1'));
    for (const f of FUNCTIONS.filter((x) => !readsGateway.includes(x)))
      expect(envOf(t, f.name).ELG_KMS_KEY_GATEWAY, f.name).toBeUndefined();
    expect(signing(t)).toEqual(signsWithGateway('g1'));
    expect(t.Outputs.GatewayKeyArn?.Value).toEqual(keyOf(t, 'gateway-g1'));
  });

  it('(a) publishes the staged key with its purpose, read by discovery alone', () => {
    const t = sh.staged;
    expect(envOf(t, 'discovery').ELG_KMS_KEYS_PREVIOUS).toEqual({
      'Fn::Join': ['', ['gateway=', keyOf(t, 'gateway-g2')]],
    });
    const config = discoveryConfig(t);
    expect(keyName(config.ELG_KMS_KEY_GATEWAY ?? '')).toMatch(/^GatewayKeyG1/);
    expect((config.ELG_KMS_KEYS_PREVIOUS ?? []).map((k) => [k.purpose, keyName(k.keyId)])).toEqual([
      ['gateway', expect.stringMatching(/^GatewayKeyG2/)],
    ]);
    expect(targetsOf(t, P, 'discovery', 'kms:GetPublicKey')).toEqual([
      'key audit g1',
      'key credential g1',
      'key gateway g1',
      'key gateway g2',
      'key witness g1',
    ]);
    for (const f of FUNCTIONS) {
      expect(targetsOf(t, P, f.name, 'kms:GetPublicKey'), f.name).toEqual(
        publicKeysOf(f, { credential: 'g1', gateway: 'g1', audit: 'g1', witness: 'g1' }, ['key gateway g2']),
      );
      if (f.name !== 'discovery') expect(envOf(t, f.name).ELG_KMS_KEYS_PREVIOUS).toBeUndefined();
    }
  });

  it('(c) the next deploy without stagedKeys makes the new key sign and keeps the old one published', () => {
    const t = sh.switched;
    expect(keyOf(t, 'gateway')).toEqual(keyOf(t, 'gateway-g2'));
    for (const f of readsGateway)
      expect(envOf(t, f.name).ELG_KMS_KEY_GATEWAY).toEqual(keyOf(t, 'gateway-g2'));
    expect(signing(t)).toEqual(signsWithGateway('g2'));
    expect(envOf(t, 'discovery').ELG_KMS_KEYS_PREVIOUS).toEqual({
      'Fn::Join': ['', ['gateway=', keyOf(t, 'gateway-g1')]],
    });
    expect(targetsOf(t, P, 'discovery', 'kms:GetPublicKey')).toContain('key gateway g1');
  });

  it('(d) a retired generation is neither published nor readable, and stays in the stack', () => {
    const t = sh.retired;
    expect(keyOf(t, 'gateway')).toEqual(keyOf(t, 'gateway-g2'));
    for (const f of FUNCTIONS) {
      expect(envOf(t, f.name).ELG_KMS_KEYS_PREVIOUS).toBeUndefined();
      expect(targetsOf(t, P, f.name, 'kms:GetPublicKey')).not.toContain('key gateway g1');
      expect(targetsOf(t, P, f.name, 'kms:Sign')).not.toContain('key gateway g1');
    }
    expect(discoveryConfig(t).ELG_KMS_KEYS_PREVIOUS).toEqual([]);
    const retiredId = keyOf(t, 'gateway-g1')['Fn::GetAtt'][0] as string;
    const key = t.Resources[retiredId];
    expect(key?.Type).toBe('AWS::KMS::Key');
    expect([key?.DeletionPolicy, key?.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    const [, alias] = byName(t, 'AWS::KMS::Alias', 'AliasName', `alias/elg-${P}-gateway-g1`);
    expect(alias.DeletionPolicy).toBe('Retain');
  });

  it('keeps every key and alias under its logical id and unchanged from deploy to deploy', () => {
    const kms = (t: Json) =>
      Object.fromEntries(
        [...ofType(t, 'AWS::KMS::Key'), ...ofType(t, 'AWS::KMS::Alias')].map(([id, r]) => [id, r]),
      );
    const [staged, switched, retired] = [sh.staged, sh.switched, sh.retired].map(kms);
    expect(Object.keys(staged ?? {}).sort()).toEqual(Object.keys(switched ?? {}).sort());
    expect(Object.keys(retired ?? {}).sort()).toEqual(Object.keys(switched ?? {}).sort());
    // Only the purpose alias moves, once, when the staged key starts signing: no deploy ever
    // updates a key (which might be pending deletion by then) or a generation's alias.
    const gatewayAlias = byName(sh.staged, 'AWS::KMS::Alias', 'AliasName', `alias/elg-${P}-gateway`)[0];
    for (const [id, resource] of Object.entries(staged ?? {})) {
      if (id !== gatewayAlias) expect(switched?.[id], id).toEqual(resource);
      expect(retired?.[id], id).toEqual(switched?.[id]);
    }
    expect(switched?.[gatewayAlias]?.Properties.TargetKeyId).not.toEqual(
      staged?.[gatewayAlias]?.Properties.TargetKeyId,
    );
    // The first generation has the logical id it had before any rotation (Sichuan: every default).
    expect(keyOf(sh.retired, 'gateway-g1')).toEqual(
      byName(sc, 'AWS::KMS::Alias', 'AliasName', 'alias/elg-510000-gateway-g1')[1].Properties.TargetKeyId,
    );
  });

  it('signs, publishes and retires each purpose on its own', () => {
    const t = sh.mixed;
    expect(ofType(t, 'AWS::KMS::Key')).toHaveLength(3 + 3 + 1 + 1);
    expect(keyOf(t, 'credential')).toEqual(keyOf(t, 'credential-g3'));
    expect(keyOf(t, 'gateway')).toEqual(keyOf(t, 'gateway-g2'));
    expect(envOf(t, 'discovery').ELG_KMS_KEYS_PREVIOUS).toEqual({
      'Fn::Join': ['', ['gateway=', keyOf(t, 'gateway-g3')]],
    });
    expect(targetsOf(t, P, 'discovery', 'kms:GetPublicKey')).toEqual([
      'key audit g1',
      'key credential g3',
      'key gateway g2',
      'key gateway g3',
      'key witness g1',
    ]);
    for (const f of FUNCTIONS) {
      expect(targetsOf(t, P, f.name, 'kms:GetPublicKey'), f.name).toEqual(
        publicKeysOf(f, { credential: 'g3', gateway: 'g2', audit: 'g1', witness: 'g1' }, ['key gateway g3']),
      );
    }
    expect(targetsOf(t, P, 'issuance', 'kms:Sign')).toEqual(['key credential g3']);
    expect(targetsOf(t, P, 'interop', 'kms:Sign')).toEqual(['key gateway g2']);
    expect(targetsOf(t, P, 'witness', 'kms:Sign')).toEqual(['key gateway g2', 'key witness g1']);
  });

  it('notices a template that does not follow the keys the context asks for', () => {
    // The staged deploy checked as if the new key already signed.
    expect(checkProvinceTemplate(sh.staged, P, plansOf('switched'))).toEqual(
      expect.arrayContaining([
        `alias alias/elg-${P}-gateway names generation 1, but generation 2 is the one that signs`,
        `elg-${P}-interop: ELG_KMS_KEY_GATEWAY is key gateway g1, not the signing key gateway g2`,
        `elg-${P}-discovery: ELG_KMS_KEYS_PREVIOUS publishes gateway=key gateway g2, not gateway=key gateway g1`,
        `elg-${P}-interop: may kms:Sign on key gateway g1, beyond its catalog entry`,
        `elg-${P}-interop: lacks kms:Sign on key gateway g2, which its catalog entry needs`,
      ]),
    );
    // A deploy that still publishes a generation the context retires.
    expect(checkProvinceTemplate(sh.switched, P, plansOf('retired'))).toEqual([
      `elg-${P}-discovery: ELG_KMS_KEYS_PREVIOUS publishes gateway=key gateway g1, not nothing`,
      `elg-${P}-discovery: may kms:GetPublicKey on key gateway g1, beyond its catalog entry`,
    ]);
    // A retired generation that a deploy would delete, or that has gone from the template.
    const mutated = structuredClone(sh.retired);
    const retiredId = keyOf(mutated, 'gateway-g1')['Fn::GetAtt'][0] as string;
    const key = mutated.Resources[retiredId];
    if (key) delete key.DeletionPolicy;
    expect(checkProvinceTemplate(mutated, P, plansOf('retired'))).toEqual([
      'gateway key generation 1 would not be kept when removed or replaced',
    ]);
    delete mutated.Resources[retiredId];
    expect(checkProvinceTemplate(mutated, P, plansOf('retired'))).toContain(
      `no gateway key generation 1 (alias/elg-${P}-gateway-g1)`,
    );
    // A witness key of the wrong spec, or a P-256 key turned Ed25519: refused at synth.
    const specs = structuredClone(sh.retired);
    const witness = specs.Resources[keyOf(specs, 'witness-g1')['Fn::GetAtt'][0] as string];
    const audit = specs.Resources[keyOf(specs, 'audit-g1')['Fn::GetAtt'][0] as string];
    if (witness?.Properties) witness.Properties.KeySpec = 'ECC_NIST_P256';
    if (audit?.Properties) audit.Properties.KeySpec = 'ECC_NIST_EDWARDS25519';
    expect(checkProvinceTemplate(specs, P, plansOf('retired'))).toEqual([
      'audit key generation 1 is ECC_NIST_EDWARDS25519 SIGN_VERIFY, not ECC_NIST_P256 SIGN_VERIFY',
      'witness key generation 1 is ECC_NIST_P256 SIGN_VERIFY, not ECC_NIST_EDWARDS25519 SIGN_VERIFY',
    ]);
  });
});

describe('holder-hash secret', () => {
  it('is generated at deploy as 64 lowercase hex characters and kept', () => {
    const [id, secret] = byName(zj, 'AWS::SecretsManager::Secret', 'Name', 'elg/330000/holder-hash-key');
    expect(secret.Properties.GenerateSecretString).toEqual({
      PasswordLength: 64,
      ExcludeUppercase: true,
      ExcludePunctuation: true,
      ExcludeCharacters: 'ghijklmnopqrstuvwxyz',
      IncludeSpace: false,
      RequireEachIncludedType: false,
    });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.DeletionPolicy).toBe('Retain');
    // Named (by ARN) to the functions whose entry lists it only; the key itself to none.
    for (const f of FUNCTIONS) {
      const env = variablesOf(zj, '330000', f.name);
      expect(env.ELG_HOLDER_HASH_SECRET_ARN, f.name).toEqual(
        READS_HOLDER_HASH.includes(f.name) ? { Ref: id } : undefined,
      );
      expect(env.ELG_HOLDER_HASH_KEY).toBeUndefined();
    }
  });
});

describe('functions', () => {
  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('runs %s as the catalog says', (_name, f) => {
    const [, fn] = fnOf(zj, '330000', f.name);
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: f.memoryMb,
      Timeout: f.timeoutSeconds,
      TracingConfig: { Mode: 'Active' },
    });
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
    const logGroup = zj.Resources[logGroupId];
    expect(logGroup?.Properties).toMatchObject({
      LogGroupName: `/aws/lambda/elg-330000-${f.name}`,
      RetentionInDays: 731,
    });
    expect(logGroup?.DeletionPolicy).toBe('Retain');
    const scLogs = sc.Resources[fnOf(sc, '510000', f.name)[1].Properties.LoggingConfig.LogGroup.Ref];
    expect(scLogs?.Properties.RetentionInDays).toBe(365);
  });

  it('sets every setting its entry has it read, nothing else, with values readConfig accepts', () => {
    const keyArn = {
      credential: /CredentialKeyG2/,
      gateway: /GatewayKeyG1/,
      audit: /AuditKeyG3/,
      witness: /WitnessKeyG1/,
    };
    for (const f of FUNCTIONS) {
      const reads = settingsOf(f);
      const required = reads.filter((key) => !GatewayConfigSchema.shape[key].safeParse(undefined).success);
      const env = variablesOf(zj, '330000', f.name) as Record<string, unknown>;
      expect(Object.keys(env), f.name).toEqual(expect.arrayContaining(required));
      // Nothing it does not read: no unlisted table, key, secret, registry or identity provider.
      expect(
        Object.keys(env).filter((k) => !(reads as string[]).includes(k)),
        f.name,
      ).toEqual([]);
      // The names and ARNs CloudFormation fills in, as it would; everything else as it stands.
      const config = readConfig(
        Object.fromEntries(Object.entries(env).map(([k, v]) => [k, deployed(zj, v)])),
        f,
      );
      const names = tableNames('elg-330000');
      expect(config, f.name).toMatchObject({
        ELG_PROVINCE_ID: '330000',
        ELG_PROVINCE_NAME: '浙江省',
        ...Object.fromEntries(
          TABLES.filter((d) => f.tables[d.kind] !== undefined).map((d) => [
            tableEnvName(d.kind),
            names[d.kind],
          ]),
        ),
        ...Object.fromEntries(
          keyPurposesOf(f).map((k) => [
            `ELG_KMS_KEY_${k.toUpperCase()}`,
            expect.stringMatching(new RegExp(`^arn:aws-cn:kms:.*:key/${keyArn[k].source}`)),
          ]),
        ),
        ...(f.tables.registry === undefined
          ? {}
          : {
              ELG_REGISTRY_URL: 'https://registry.elicense.example/registry.jws',
              ELG_REGISTRY_ROOT_JWK: { kty: 'EC', crv: 'P-256' },
            }),
        ...(f.bearerTokens
          ? { ELG_IDP_ISSUER: 'https://idp-330000.elicense.example', ELG_IDP_AUDIENCE: 'elg-330000' }
          : {}),
        ...(READS_HOLDER_HASH.includes(f.name)
          ? {
              ELG_HOLDER_HASH_SECRET_ARN: expect.stringMatching(
                /^arn:aws-cn:secretsmanager:.*:secret:elg\/330000\//,
              ),
            }
          : {}),
        ...(f.reportCalendar ? ZJ_CALENDAR_CONFIG : {}),
      });
      expect(config.ELG_HOLDER_HASH_KEY).toBeUndefined();
      expect(
        (config.ELG_KMS_KEYS_PREVIOUS ?? []).map((k) => `${k.purpose} ${k.keyId.replace(/^.*:key\//, '')}`),
      ).toEqual(
        f.name === 'discovery'
          ? [
              expect.stringMatching(/^credential CredentialKeyG1/),
              expect.stringMatching(/^audit AuditKeyG1/),
              expect.stringMatching(/^audit AuditKeyG2/),
            ]
          : [],
      );
    }
    // What that comes to for two of them: the sequencer takes no bearer tokens and reads no
    // secret, but loads the registry and signs with the gateway key (its calls to the witnesses);
    // issuance is told of the holder-hash secret, but not of the registry.
    expect(Object.keys(variablesOf(zj, '330000', 'sequencer')).sort()).toEqual([
      'ELG_KMS_KEY_AUDIT',
      'ELG_KMS_KEY_GATEWAY',
      'ELG_PROVINCE_ID',
      'ELG_PROVINCE_NAME',
      'ELG_REGISTRY_ROOT_JWK',
      'ELG_REGISTRY_URL',
      'ELG_TABLE_AUDIT',
      'ELG_TABLE_LOG',
      'ELG_TABLE_REGISTRY',
    ]);
    expect(Object.keys(variablesOf(zj, '330000', 'issuance')).sort()).toEqual([
      'ELG_HOLDER_HASH_SECRET_ARN',
      'ELG_IDP_AUDIENCE',
      'ELG_IDP_ISSUER',
      'ELG_IDP_JWKS_URL',
      'ELG_KMS_KEY_CREDENTIAL',
      'ELG_PROVINCE_ID',
      'ELG_PROVINCE_NAME',
      'ELG_TABLE_AUDIT',
      'ELG_TABLE_LICENSES',
      'ELG_TABLE_REPORTS',
    ]);
  });

  it('runs a single sequencer every minute, and the three delivery functions every minute', () => {
    const sequencer = fnOf(zj, '330000', 'sequencer');
    const delivery = fnOf(zj, '330000', 'delivery');
    const reportDelivery = fnOf(zj, '330000', 'report-delivery');
    const reviewDelivery = fnOf(zj, '330000', 'review-delivery');
    expect(sequencer[1].Properties.ReservedConcurrentExecutions).toBe(1);
    for (const f of FUNCTIONS.filter((x) => x.name !== 'sequencer')) {
      expect(fnOf(zj, '330000', f.name)[1].Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
    const rules = ofType(zj, 'AWS::Events::Rule').map(([, r]) => ({
      schedule: r.Properties.ScheduleExpression,
      targets: r.Properties.Targets.map((t: { Arn: unknown }) => t.Arn),
      state: r.Properties.State,
    }));
    expect(rules).toEqual(
      expect.arrayContaining([
        { schedule: 'rate(1 minute)', targets: [{ 'Fn::GetAtt': [sequencer[0], 'Arn'] }], state: 'ENABLED' },
        { schedule: 'rate(1 minute)', targets: [{ 'Fn::GetAtt': [delivery[0], 'Arn'] }], state: 'ENABLED' },
        {
          schedule: 'rate(1 minute)',
          targets: [{ 'Fn::GetAtt': [reportDelivery[0], 'Arn'] }],
          state: 'ENABLED',
        },
        {
          schedule: 'rate(1 minute)',
          targets: [{ 'Fn::GetAtt': [reviewDelivery[0], 'Arn'] }],
          state: 'ENABLED',
        },
      ]),
    );
    expect(rules).toHaveLength(4);
    Template.fromJSON(zj).hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [sequencer[0], 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });
});

/** The function an HTTP API request reaches: exact route, then the longest greedy path, then $default. */
function routeOf(t: Json, method: string, path: string): string {
  const fnByIntegration = new Map(
    ofType(t, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => {
      const uri = JSON.stringify(r.Properties.IntegrationUri);
      const fn = ofType(t, 'AWS::Lambda::Function').find(([fid]) => uri.includes(`"${fid}"`));
      return [id, String(fn?.[1].Properties.FunctionName)];
    }),
  );
  const routes = ofType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => ({
    key: String(r.Properties.RouteKey),
    fn: fnByIntegration.get(String(r.Properties.Target['Fn::Join'][1][1].Ref)) ?? '?',
  }));
  const candidates = routes.filter((r) => r.key.startsWith(`${method} `) || r.key.startsWith('ANY '));
  const exact = candidates.find((r) => r.key.split(' ')[1] === path);
  if (exact) return exact.fn;
  const greedy = candidates
    .map((r) => ({ ...r, prefix: (r.key.split(' ')[1] ?? '').replace(/\{proxy\+\}$/, '') }))
    .filter((r) => r.key.endsWith('{proxy+}') && path.startsWith(r.prefix) && path.length > r.prefix.length)
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  if (greedy) return greedy.fn;
  return routes.find((r) => r.key === '$default')?.fn ?? 'none';
}

describe('HTTP API', () => {
  it('has exactly the catalog routes, each on its function, with payload format 2.0', () => {
    const keys = ofType(zj, 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(keys).toEqual(FUNCTIONS.flatMap((f) => f.routes).sort());
    for (const f of FUNCTIONS) {
      for (const route of f.routes) {
        if (route === '$default') continue;
        const [method, path] = route.split(' ');
        expect(routeOf(zj, method ?? '', path ?? ''), route).toBe(`elg-330000-${f.name}`);
      }
    }
    for (const [, integration] of ofType(zj, 'AWS::ApiGatewayV2::Integration')) {
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    }
  });

  it.each([
    ['GET', '/.well-known/jwks.json', 'discovery'],
    ['GET', '/healthz', 'discovery'],
    ['GET', '/openapi.json', 'discovery'],
    ['GET', '/docs', 'discovery'],
    ['GET', '/docs/swagger-ui-bundle.js', 'discovery'],
    ['POST', '/v1/licenses', 'issuance'],
    ['GET', '/v1/licenses/31000000000000000001', 'issuance'],
    ['POST', '/v1/licenses/31000000000000000001/versions', 'issuance'],
    ['POST', '/v1/licenses/31000000000000000001/status', 'issuance'],
    ['POST', '/v1/verify', 'verification'],
    ['POST', '/v1/interop/verify', 'interop'],
    ['POST', '/v1/interop/agreements', 'agreements'],
    ['POST', '/v1/interop/agreements/ag-1/signatures', 'agreements'],
    ['GET', '/v1/agreements', 'agreements'],
    ['POST', '/v1/agreements/ag-1/withdrawal', 'agreements'],
    ['GET', '/v1/audit/events', 'audit'],
    ['GET', '/v1/audit/events/01J0000000000000000000000/proof', 'audit'],
    ['POST', '/v1/audit/holder-hash', 'audit'],
    ['PUT', '/v1/review-policy', 'reviews'],
    ['POST', '/v1/reviews/330000-01J0000000000000000000000/decisions', 'reviews'],
    ['POST', '/v1/breakers/320000/release', 'reviews'],
    ['POST', '/v1/interop/review-decisions', 'reviews'],
    ['PUT', '/v1/licenses/31000000000000000001', 'discovery'],
    ['GET', '/nowhere', 'discovery'],
  ])('sends %s %s to %s', (method, path, fn) => {
    expect(routeOf(zj, method, path)).toBe(`elg-330000-${fn}`);
  });

  it('serves the $default stage, throttled, with access logs kept as configured', () => {
    const [, stage] = ofType(zj, 'AWS::ApiGatewayV2::Stage')[0] ?? [];
    expect(ofType(zj, 'AWS::ApiGatewayV2::Stage')).toHaveLength(1);
    expect(stage?.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    const logs = zj.Resources[stage?.Properties.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]];
    expect(logs?.Properties).toEqual({
      LogGroupName: '/aws/apigateway/elg-330000',
      RetentionInDays: 731,
      Tags: expect.any(Array),
    });
    expect(logs?.DeletionPolicy).toBe('Retain');
    expect(JSON.parse(stage?.Properties.AccessLogSettings.Format)).toMatchObject({
      requestId: '$context.requestId',
      route: '$context.routeKey',
      status: '$context.status',
    });
    Template.fromJSON(zj).hasResourceProperties('AWS::ApiGatewayV2::Api', {
      Name: 'elg-330000',
      ProtocolType: 'HTTP',
    });
  });
});

describe('alarms', () => {
  const alarm = (t: Json, name: string) =>
    byName(t, 'AWS::CloudWatch::Alarm', 'AlarmName', name)[1].Properties;
  const topicId = (t: Json, p: string) => byName(t, 'AWS::SNS::Topic', 'TopicName', `elg-${p}-alarms`)[0];

  it.each(FUNCTIONS.map((f) => f.name))('alarms on errors and throttles of %s over 5 minutes', (name) => {
    const [fnId] = fnOf(zj, '330000', name);
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarm(zj, `elg-330000-${name}-${metric.toLowerCase()}`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        AlarmActions: [{ Ref: topicId(zj, '330000') }],
      });
    }
  });

  it('alarms on 5xx answers of the API', () => {
    const [apiId] = ofType(zj, 'AWS::ApiGatewayV2::Api')[0] ?? [];
    expect(alarm(zj, 'elg-330000-api-5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: apiId } },
        { Name: 'Stage', Value: '$default' },
      ],
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when audit events wait over 5 minutes three minutes running, or the sequencer is silent', () => {
    expect(alarm(zj, 'elg-330000-audit-sequencer-lag')).toMatchObject({
      Namespace: 'ELG/Audit',
      MetricName: 'OldestPendingAgeSeconds',
      Dimensions: [{ Name: 'Province', Value: '330000' }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topicId(zj, '330000') }],
    });
    expect(alarm(sc, 'elg-510000-audit-sequencer-lag').Dimensions).toEqual([
      { Name: 'Province', Value: '510000' },
    ]);
  });

  it('alarms on error reports open past their due date, from the metric report-delivery emits', () => {
    expect(REPORTS_METRICS_NAMESPACE).toBe('ELG/Reports');
    expect(ReportMetric.overdue).toBe('ReportsOverdue');
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      expect(alarm(t, `elg-${p}-reports-overdue`)).toEqual({
        AlarmName: `elg-${p}-reports-overdue`,
        AlarmDescription: expect.stringContaining(
          `Error reports of province ${p} are open past their due date`,
        ),
        Namespace: REPORTS_METRICS_NAMESPACE,
        MetricName: ReportMetric.overdue,
        Dimensions: [{ Name: PROVINCE_DIMENSION, Value: p }],
        Statistic: 'Maximum',
        Period: 3600,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        // A silent delivery function is its own errors alarm's, not this one's.
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId(t, p) }],
        OKActions: [{ Ref: topicId(t, p) }],
        Tags: [{ Key: 'elg:province', Value: p }],
      });
    }
    expect(REPORTS_OVERDUE_METRIC).toMatchObject({ namespace: 'ELG/Reports', metricName: 'ReportsOverdue' });
  });

  it.each([
    ['breaker-tripped', BREAKER_TRIPPED_ALARM, BreakerMetric.trips, 'Sum', 300],
    ['breakers-open', BREAKERS_OPEN_ALARM, BreakerMetric.open, 'Maximum', 900],
  ] as const)(
    'alarms %s from the breaker metric, missing data not breaching (docs/protocol.md §18.4)',
    (suffix, declared, metric, statistic, period) => {
      // The constants the stack builds from, and what they say.
      expect(declared).toMatchObject({
        alarm: suffix,
        namespace: REVIEWS_METRICS_NAMESPACE,
        metricName: metric,
        statistic,
        periodMinutes: period / 60,
        threshold: 0,
      });
      expect(REVIEWS_METRICS_NAMESPACE).toBe('ELG/Reviews');
      for (const [t, p] of [
        [zj, '330000'],
        [sc, '510000'],
      ] as const) {
        const name = alarmName(p, declared.alarm);
        expect(name).toBe(`elg-${p}-${suffix}`);
        expect(alarm(t, name)).toEqual({
          AlarmName: name,
          AlarmDescription: expect.stringContaining(`province ${p}`),
          Namespace: declared.namespace,
          MetricName: declared.metricName,
          Dimensions: [{ Name: PROVINCE_DIMENSION, Value: p }],
          Statistic: declared.statistic,
          Period: declared.periodMinutes * 60,
          Threshold: declared.threshold,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          DatapointsToAlarm: 1,
          // No trip is no data; a review-delivery that stopped publishing the gauge is its own
          // errors alarm's.
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: topicId(t, p) }],
          OKActions: [{ Ref: topicId(t, p) }],
          Tags: [{ Key: 'elg:province', Value: p }],
        });
      }
    },
  );

  it('alarms on the breaker metrics exactly as the functions publish them', () => {
    expect(BreakerMetric).toEqual({
      trips: 'BreakerTrips',
      releases: 'BreakerReleases',
      open: 'BreakersOpen',
    });
    const onReviews = ofType(zj, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter((a) => a.Namespace === REVIEWS_METRICS_NAMESPACE)
      .map((a) => [a.AlarmName, a.MetricName])
      .sort();
    // Releases are an operator's own act: counted, never alarmed.
    expect(onReviews).toEqual([
      ['elg-330000-breaker-tripped', 'BreakerTrips'],
      ['elg-330000-breakers-open', 'BreakersOpen'],
    ]);
  });

  it('alarms on split-view evidence the witness kept, any in 5 minutes (docs/protocol.md §19.3)', () => {
    expect(WITNESS_METRICS_NAMESPACE).toBe('ELG/Witness');
    expect(WitnessMetric.splitViewEvidence).toBe('SplitViewEvidence');
    expect(SPLIT_VIEW_ALARM).toEqual({
      alarm: 'split-view',
      namespace: WITNESS_METRICS_NAMESPACE,
      metricName: WitnessMetric.splitViewEvidence,
      statistic: 'Sum',
      periodMinutes: 5,
      threshold: 0,
    });
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      const name = alarmName(p, SPLIT_VIEW_ALARM.alarm);
      expect(name).toBe(`elg-${p}-split-view`);
      expect(alarm(t, name)).toEqual({
        AlarmName: name,
        AlarmDescription: expect.stringContaining(`Province ${p}, as witness, kept split-view evidence`),
        Namespace: 'ELG/Witness',
        MetricName: 'SplitViewEvidence',
        Dimensions: [{ Name: PROVINCE_DIMENSION, Value: p }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        // No evidence is no data.
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId(t, p) }],
        OKActions: [{ Ref: topicId(t, p) }],
        Tags: [{ Key: 'elg:province', Value: p }],
      });
    }
  });

  it("alarms when the newest checkpoint of the province's log lacks its witness quorum 5 minutes running (docs/protocol.md §19.4)", () => {
    expect(CosigningMetric.quorumMissing).toBe('WitnessQuorumMissing');
    expect(LOG_UNWITNESSED_ALARM).toEqual({
      alarm: 'log-unwitnessed',
      namespace: WITNESS_METRICS_NAMESPACE,
      metricName: CosigningMetric.quorumMissing,
      statistic: 'Minimum',
      periodMinutes: 1,
      periods: 5,
      threshold: 0,
    });
    for (const [t, p] of [
      [zj, '330000'],
      [sc, '510000'],
    ] as const) {
      const name = alarmName(p, LOG_UNWITNESSED_ALARM.alarm);
      expect(name).toBe(`elg-${p}-log-unwitnessed`);
      expect(alarm(t, name)).toEqual({
        AlarmName: name,
        AlarmDescription: expect.stringContaining(
          `The newest checkpoint of province ${p}'s audit log has lacked its witness quorum for 5 minutes`,
        ),
        Namespace: 'ELG/Witness',
        MetricName: 'WitnessQuorumMissing',
        Dimensions: [{ Name: PROVINCE_DIMENSION, Value: p }],
        // The gauge is 1 while the quorum is missing: a minimum above 0 in each of 5 minutes.
        Statistic: 'Minimum',
        Period: 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        // A log without a witness policy publishes nothing; a silent sequencer is the lag alarm's.
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId(t, p) }],
        OKActions: [{ Ref: topicId(t, p) }],
        Tags: [{ Key: 'elg:province', Value: p }],
      });
    }
  });

  it('mails the alarms when an address is given', () => {
    Template.fromJSON(zj).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@zj.example',
      TopicArn: { Ref: topicId(zj, '330000') },
    });
    expect(ofType(sc, 'AWS::SNS::Subscription')).toEqual([]);
    // Errors and throttles of each function; API 5xx, sequencer lag, reports overdue, breaker
    // tripped, breakers open, split view and log unwitnessed.
    const names = ofType(zj, 'AWS::CloudWatch::Alarm').map(([, r]) => String(r.Properties.AlarmName));
    expect(names.sort()).toEqual(
      [
        ...FUNCTIONS.flatMap((f) => [`elg-330000-${f.name}-errors`, `elg-330000-${f.name}-throttles`]),
        'elg-330000-api-5xx',
        'elg-330000-audit-sequencer-lag',
        'elg-330000-reports-overdue',
        'elg-330000-breaker-tripped',
        'elg-330000-breakers-open',
        'elg-330000-split-view',
        'elg-330000-log-unwitnessed',
      ].sort(),
    );
    expect(names).toHaveLength(FUNCTIONS.length * 2 + 7);
  });
});
