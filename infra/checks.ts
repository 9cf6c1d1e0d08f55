import { PROVINCE_CODES } from '../contracts/codes/provinces.ts';
import { TABLES, tableNames } from '../lib/store/tables.ts';
import { KEY_PURPOSES, type KeyPlans } from './context.ts';
import { FUNCTIONS, type FunctionSpec } from './functions.ts';
import {
  alarmTopicName,
  functionName,
  holderHashSecretName,
  keyAliasName,
  tableActions,
} from './province-stack.ts';

/**
 * Checks of a synthesized province template that hold for every province, read from the
 * CloudFormation JSON itself rather than from the constructs that produced it:
 *
 * - every physical name carries the province's code and no other province's;
 * - every key generation of `keys` (infra/context.ts keyPlans, from the context the stack was
 *   built with) is in the stack and kept on deletion; the purpose alias and every function's
 *   ELG_KMS_KEY_<PURPOSE> name the signing generation, and only the discovery function publishes,
 *   in ELG_KMS_KEYS_PREVIOUS, exactly the published generations (never a retired one);
 * - every function's role grants exactly what the catalog lists: each action on each resource,
 *   nothing missing and nothing more, no wildcard action and no `*` resource outside X-Ray.
 *
 * An empty list means the template passed. `npm run synth` runs these on all 34 provinces.
 */
export function checkProvinceTemplate(
  template: Template,
  province: string,
  keys: KeyPlans,
  catalog: readonly FunctionSpec[] = FUNCTIONS,
): string[] {
  return [
    ...checkNames(template, province, catalog),
    ...checkKeys(template, province, keys, catalog),
    ...checkPrivileges(template, province, keys, catalog),
  ];
}

export interface Template {
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: Record<string, unknown>;
      DeletionPolicy?: string;
      UpdateReplacePolicy?: string;
    }
  >;
}

/** Physical-name properties by resource type. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::Events::Rule': 'Name',
  'AWS::ApiGatewayV2::Api': 'Name',
};

export function checkNames(template: Template, province: string, catalog: readonly FunctionSpec[]): string[] {
  const problems: string[] = [];
  const others = PROVINCE_CODES.filter((c) => c !== province);
  const names = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const property = NAME_PROPERTIES[resource.Type];
    if (!property) continue;
    const name = resource.Properties?.[property];
    if (typeof name !== 'string') {
      problems.push(`${id} (${resource.Type}) has no fixed ${property}`);
      continue;
    }
    names.set(resource.Type, [...(names.get(resource.Type) ?? []), name]);
    if (!name.includes(`elg-${province}`) && !name.includes(`elg/${province}/`)) {
      problems.push(`${resource.Type} ${name} does not carry the province ${province}`);
    }
    const foreign = others.find((c) => name.includes(c));
    if (foreign) problems.push(`${resource.Type} ${name} carries another province, ${foreign}`);
  }
  const expect = (type: string, wanted: readonly string[]) => {
    const have = new Set(names.get(type) ?? []);
    for (const w of wanted) if (!have.has(w)) problems.push(`no ${type} named ${w}`);
  };
  expect('AWS::DynamoDB::Table', Object.values(tableNames(`elg-${province}`)));
  expect(
    'AWS::Lambda::Function',
    catalog.map((f) => functionName(province, f.name)),
  );
  expect(
    'AWS::KMS::Alias',
    KEY_PURPOSES.flatMap((k) => [keyAliasName(province, k), keyAliasName(province, k, 1)]),
  );
  expect('AWS::SecretsManager::Secret', [holderHashSecretName(province)]);
  expect('AWS::SNS::Topic', [alarmTopicName(province)]);
  for (const alias of names.get('AWS::KMS::Alias') ?? []) {
    if (!new RegExp(`^alias/elg-${province}-(credential|gateway|audit)(-g[1-9]\\d*)?$`).test(alias)) {
      problems.push(`KMS alias ${alias} is not alias/elg-${province}-<purpose>[-g<N>]`);
    }
  }
  return problems;
}

/** One granted action on one resource, as `action on resource`. */
export type Grant = string;

/** X-Ray accepts no resource but `*`: the one place a `*` resource is allowed. */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * What each function's role may do, read from the template: `action on resource` for every
 * allowed pair, resources named by what they are (`key gateway g1`, `table elg-330000-audit`,
 * `table elg-330000-audit/index/*`, `secret ...`, `log group ...`, `*`).
 */
export function grantsByFunction(
  template: Template,
): Map<string, { grants: Set<Grant>; problems: string[] }> {
  const resources = template.Resources;
  const describe = resourceDescriber(template);
  const byRole = new Map<string, { grants: Set<Grant>; problems: string[] }>();
  const roleEntry = (roleId: string) => {
    let entry = byRole.get(roleId);
    if (!entry) {
      entry = { grants: new Set(), problems: [] };
      byRole.set(roleId, entry);
    }
    return entry;
  };
  const addDocument = (roleId: string, document: unknown) => {
    const entry = roleEntry(roleId);
    const statements = asArray((document as { Statement?: unknown } | undefined)?.Statement);
    for (const s of statements as Record<string, unknown>[]) {
      if (s.NotAction !== undefined || s.NotResource !== undefined || s.NotPrincipal !== undefined) {
        entry.problems.push(`a statement uses NotAction, NotResource or NotPrincipal: ${JSON.stringify(s)}`);
      }
      if (s.Effect !== 'Allow') continue;
      const actions = asArray(s.Action).map(String);
      const targets = asArray(s.Resource).map(describe);
      for (const action of actions) {
        if (action.includes('*')) entry.problems.push(`wildcard action ${action}`);
        for (const target of targets) {
          if (target === '*' && !XRAY_ACTIONS.includes(action)) {
            entry.problems.push(`${action} on every resource (*)`);
          }
          entry.grants.add(`${action} on ${target}`);
        }
      }
    }
  };
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Role') {
      roleEntry(id);
      for (const policy of asArray(r.Properties?.Policies) as { PolicyDocument?: unknown }[]) {
        addDocument(id, policy.PolicyDocument);
      }
      for (const arn of asArray(r.Properties?.ManagedPolicyArns)) {
        roleEntry(id).problems.push(`a managed policy is attached: ${JSON.stringify(arn)}`);
      }
    }
  }
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    for (const role of asArray(r.Properties?.Roles) as { Ref?: string }[]) {
      if (role.Ref) addDocument(role.Ref, r.Properties?.PolicyDocument);
    }
  }
  const out = new Map<string, { grants: Set<Grant>; problems: string[] }>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const name = String(r.Properties?.FunctionName);
    const roleId = getAttId(r.Properties?.Role);
    const entry = roleId ? byRole.get(roleId) : undefined;
    out.set(name, entry ?? { grants: new Set(), problems: ['its role is not defined in the stack'] });
  }
  return out;
}

/** The grants the catalog allows a function, in the form grantsByFunction reads them. */
export function expectedGrants(spec: FunctionSpec, province: string, keys: KeyPlans): Set<Grant> {
  const grants = new Set<Grant>();
  const add = (actions: readonly string[], target: string) => {
    for (const a of actions) grants.add(`${a} on ${target}`);
  };
  add(
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    `log group /aws/lambda/${functionName(province, spec.name)}`,
  );
  add(XRAY_ACTIONS, '*');
  for (const k of KEY_PURPOSES) {
    add(['kms:GetPublicKey'], `key ${k} g${keys[k].signing}`);
    if (spec.publishesKeys) for (const g of keys[k].published) add(['kms:GetPublicKey'], `key ${k} g${g}`);
  }
  for (const k of spec.signsWith) add(['kms:Sign'], `key ${k} g${keys[k].signing}`);
  const names = tableNames(`elg-${province}`);
  for (const def of TABLES) {
    const access = spec.tables[def.kind];
    if (!access) continue;
    add(tableActions(access), `table ${names[def.kind]}`);
    if (spec.queriesIndexes?.includes(def.kind)) add(['dynamodb:Query'], `table ${names[def.kind]}/index/*`);
  }
  add(['secretsmanager:GetSecretValue'], `secret ${holderHashSecretName(province)}`);
  return grants;
}

export type KeyGenerations = Readonly<Record<(typeof KEY_PURPOSES)[number], number>>;

/** The generation each purpose's unnumbered alias names (0 when it names none): the signing one. */
export function currentKeyGenerations(template: Template, province: string): KeyGenerations {
  const describe = resourceDescriber(template);
  const out: Partial<Record<string, number>> = {};
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const m = new RegExp(`^alias/elg-${province}-(credential|gateway|audit)$`).exec(
      String(r.Properties?.AliasName),
    );
    if (!m?.[1]) continue;
    const g = /^key \w+ g(\d+)$/.exec(describe(r.Properties?.TargetKeyId));
    if (g?.[1]) out[m[1]] = Number(g[1]);
  }
  return { credential: out.credential ?? 0, gateway: out.gateway ?? 0, audit: out.audit ?? 0 };
}

/**
 * The key generations against `keys`: each one there and kept, no other; the purpose alias and
 * every function's ELG_KMS_KEY_<PURPOSE> on the signing one; ELG_KMS_KEYS_PREVIOUS listing the
 * published ones in the discovery function only.
 */
export function checkKeys(
  template: Template,
  province: string,
  keys: KeyPlans,
  catalog: readonly FunctionSpec[],
): string[] {
  const problems: string[] = [];
  const describe = resourceDescriber(template);
  const signing = currentKeyGenerations(template, province);
  const present = new Map<string, string>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const m = new RegExp(`^alias/elg-${province}-(credential|gateway|audit)-g(\\d+)$`).exec(
      String(r.Properties?.AliasName),
    );
    const target = (r.Properties?.TargetKeyId as { 'Fn::GetAtt'?: unknown[] } | undefined)?.[
      'Fn::GetAtt'
    ]?.[0];
    if (m && typeof target === 'string') present.set(`key ${m[1]} g${m[2]}`, target);
  }
  for (const k of KEY_PURPOSES) {
    const plan = keys[k];
    for (let g = 1; g <= plan.generations; g++) {
      const id = present.get(`key ${k} g${g}`);
      const key = id === undefined ? undefined : template.Resources[id];
      if (key?.Type !== 'AWS::KMS::Key') {
        problems.push(`no ${k} key generation ${g} (${keyAliasName(province, k, g)})`);
      } else if (key.DeletionPolicy !== 'Retain' || key.UpdateReplacePolicy !== 'Retain') {
        problems.push(`${k} key generation ${g} would not be kept when removed or replaced`);
      }
    }
    for (const name of present.keys()) {
      const g = Number(/^key (\w+) g(\d+)$/.exec(name)?.[2]);
      if (name.startsWith(`key ${k} `) && g > plan.generations) {
        problems.push(`${k} key generation ${g} is in the stack, beyond the ${plan.generations} expected`);
      }
    }
    if (signing[k] !== plan.signing) {
      problems.push(
        `alias ${keyAliasName(province, k)} names ${signing[k] ? `generation ${signing[k]}` : 'no key generation'}, ` +
          `but generation ${plan.signing} is the one that signs`,
      );
    }
  }
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const name = String(r.Properties?.FunctionName);
    const spec = catalog.find((f) => functionName(province, f.name) === name);
    const env = ((r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    for (const k of KEY_PURPOSES) {
      const variable = `ELG_KMS_KEY_${k.toUpperCase()}`;
      const got = env[variable] === undefined ? 'nothing' : describe(env[variable]);
      const want = `key ${k} g${keys[k].signing}`;
      if (got !== want) problems.push(`${name}: ${variable} is ${got}, not the signing ${want}`);
    }
    const want = spec?.publishesKeys
      ? KEY_PURPOSES.flatMap((k) => keys[k].published.map((g) => `${k}=key ${k} g${g}`)).join(',')
      : '';
    const raw = env.ELG_KMS_KEYS_PREVIOUS;
    const got = raw === undefined ? '' : describe(raw);
    if (got !== want) {
      problems.push(`${name}: ELG_KMS_KEYS_PREVIOUS publishes ${got || 'nothing'}, not ${want || 'nothing'}`);
    }
  }
  return problems;
}

export function checkPrivileges(
  template: Template,
  province: string,
  keys: KeyPlans,
  catalog: readonly FunctionSpec[],
): string[] {
  const problems: string[] = [];
  const actual = grantsByFunction(template);
  for (const spec of catalog) {
    const name = functionName(province, spec.name);
    const found = actual.get(name);
    if (!found) {
      problems.push(`${name}: no such function`);
      continue;
    }
    for (const p of found.problems) problems.push(`${name}: ${p}`);
    const expected = expectedGrants(spec, province, keys);
    for (const g of found.grants)
      if (!expected.has(g)) problems.push(`${name}: may ${g}, beyond its catalog entry`);
    for (const g of expected)
      if (!found.grants.has(g)) problems.push(`${name}: lacks ${g}, which its catalog entry needs`);
  }
  for (const name of actual.keys()) {
    if (!catalog.some((f) => functionName(province, f.name) === name)) {
      problems.push(`${name}: a function the catalog does not list`);
    }
  }
  return problems;
}

/** Names a policy resource by what it is, following Ref, GetAtt and the `/index/*` join. */
export function resourceDescriber(template: Template): (resource: unknown) => string {
  const resources = template.Resources;
  const keyGeneration = new Map<string, string>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const m = /^alias\/elg-\d{6}-(credential|gateway|audit)-g(\d+)$/.exec(String(r.Properties?.AliasName));
    const target = getAttId(r.Properties?.TargetKeyId);
    if (m && target) keyGeneration.set(target, `key ${m[1]} g${m[2]}`);
  }
  const describe = (resource: unknown): string => {
    if (resource === '*') return '*';
    if (typeof resource === 'string') return resource;
    const obj = resource as Record<string, unknown>;
    const id = getAttId(obj) ?? (typeof obj.Ref === 'string' ? obj.Ref : undefined);
    if (id) {
      const r = resources[id];
      const props = r?.Properties ?? {};
      switch (r?.Type) {
        case 'AWS::KMS::Key':
          return keyGeneration.get(id) ?? `key ${id} (no generation alias)`;
        case 'AWS::DynamoDB::Table':
          return `table ${String(props.TableName)}`;
        case 'AWS::SecretsManager::Secret':
          return `secret ${String(props.Name)}`;
        case 'AWS::Logs::LogGroup':
          return `log group ${String(props.LogGroupName)}`;
        default:
          return `${r?.Type ?? 'unknown'} ${id}`;
      }
    }
    const join = obj['Fn::Join'];
    if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
      return (join[1] as unknown[])
        .map((part) => (typeof part === 'string' ? part : describe(part)))
        .join('');
    }
    return JSON.stringify(resource);
  };
  return describe;
}

function getAttId(value: unknown): string | undefined {
  const att = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(att) && att[1] === 'Arn' && typeof att[0] === 'string' ? att[0] : undefined;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
