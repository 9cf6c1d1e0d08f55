import type { FunctionSpec } from '../../functions/catalog.ts';
import { keyPurposesOf } from '../../lib/config.ts';
import { TABLES, tableNames } from '../../lib/store/tables.ts';
import { SecretKind } from '../../lib/wiring/scope.ts';
import { keyedGrants, tableActions } from '../constructs/tables.ts';
import type { KeyPlans } from '../context.ts';
import { functionName, holderHashSecretName } from '../names.ts';
import { asArray, getAttId, resourceDescriber, type Template, type TemplateCheck } from './template.ts';

/**
 * Least privilege, proved from the template: every function's role grants exactly what its
 * catalog entry lists, each action on each resource under exactly the condition the entry asks
 * for (none but a `keyed` table's leading keys of that action), nothing missing and nothing more,
 * no wildcard action and no `*` resource outside X-Ray. What an entry lists is read as the stack
 * and the function's own wiring read it (lib/config.ts keyPurposesOf, lib/wiring/scope.ts): the
 * public keys of the purposes it signs with (of every purpose, and the published generations,
 * when it publishes them), kms:Sign for those it signs with, its tables with their access (for
 * `keyed`, each of GetItem, Query, PutItem, UpdateItem, DeleteItem and ConditionCheckItem only
 * when the entry lists partitions for that action, and then only on exactly those: an action on a
 * partition listed for another action only, on one partition more, or an action the entry does not
 * list is a grant beyond the entry; two actions under one condition, even of the same partitions,
 * are a problem of their own), and the holder-hash secret only when its entry lists that secret.
 */

/**
 * One granted action on one resource, as `action on resource`, followed by ` if <condition>`
 * when its statement has one (describeCondition): a grant under another condition, or under
 * none, is another grant.
 */
export type Grant = string;

/**
 * A statement's condition in one canonical line, `<operator> <key> [<values>]` for each of its
 * tests (operators, keys and values sorted), joined by ` and `; empty for no condition.
 */
export function describeCondition(condition: unknown): string {
  if (condition === undefined || condition === null) return '';
  if (typeof condition !== 'object') return JSON.stringify(condition);
  const tests: string[] = [];
  for (const [operator, keys] of Object.entries(condition as Record<string, unknown>).sort(byKey)) {
    if (typeof keys !== 'object' || keys === null) {
      tests.push(`${operator} ${JSON.stringify(keys)}`);
      continue;
    }
    for (const [key, values] of Object.entries(keys as Record<string, unknown>).sort(byKey)) {
      const listed = asArray(values)
        .map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
        .sort();
      tests.push(`${operator} ${key} [${listed.join(', ')}]`);
    }
  }
  return tests.join(' and ');
}

const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/** `action on target`, and ` if <condition>` when there is one. */
function grantOf(action: string, target: string, condition: unknown): Grant {
  const when = describeCondition(condition);
  return `${action} on ${target}${when === '' ? '' : ` if ${when}`}`;
}

/** X-Ray accepts no resource but `*`: the one place a `*` resource is allowed. */
const XRAY_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

/**
 * What each function's role may do, read from the template: `action on resource` for every
 * allowed pair, resources named by what they are (`key gateway g1`, `table elg-330000-audit`,
 * `table elg-330000-audit/index/*`, `secret ...`, `log group ...`, `*`), with the statement's
 * condition when it has one (`... if ForAllValues:StringLike dynamodb:LeadingKeys [FAN]`).
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
      // A condition is a keyed table's leading keys of one action (bindTable): never shared.
      if (s.Condition !== undefined && actions.length > 1) {
        entry.problems.push(
          `a statement grants ${actions.join(', ')} under one condition (${describeCondition(s.Condition)}): each action of a keyed access has a statement of its own`,
        );
      }
      for (const action of actions) {
        if (action.includes('*')) entry.problems.push(`wildcard action ${action}`);
        for (const target of targets) {
          if (target === '*' && !XRAY_ACTIONS.includes(action)) {
            entry.problems.push(`${action} on every resource (*)`);
          }
          entry.grants.add(grantOf(action, target, s.Condition));
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
  const add = (actions: readonly string[], target: string, condition?: unknown) => {
    for (const a of actions) grants.add(grantOf(a, target, condition));
  };
  add(
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    `log group /aws/lambda/${functionName(province, spec.name)}`,
  );
  add(XRAY_ACTIONS, '*');
  for (const k of keyPurposesOf(spec)) {
    add(['kms:GetPublicKey'], `key ${k} g${keys[k].signing}`);
    if (spec.publishesKeys) for (const g of keys[k].published) add(['kms:GetPublicKey'], `key ${k} g${g}`);
  }
  for (const k of spec.signsWith) add(['kms:Sign'], `key ${k} g${keys[k].signing}`);
  const names = tableNames(`elg-${province}`);
  for (const def of TABLES) {
    const access = spec.tables[def.kind];
    if (!access) continue;
    const target = `table ${names[def.kind]}`;
    if (access === 'keyed') {
      // Each action alone, under the leading keys of that action only.
      for (const g of keyedGrants(spec.leadingKeys?.[def.kind] ?? {})) add([g.action], target, g.condition);
    } else {
      add(tableActions(access), target);
    }
    for (const index of spec.queriesIndexes?.[def.kind] ?? [])
      add(['dynamodb:Query'], `table ${names[def.kind]}/index/${index}`);
  }
  if ((spec.secrets ?? []).includes(SecretKind.holderHash)) {
    add(['secretsmanager:GetSecretValue'], `secret ${holderHashSecretName(province)}`);
  }
  return grants;
}

/** The one function that signs with the witness key. */
const WITNESS_FUNCTION = 'witness';

export const checkPrivileges: TemplateCheck = (template, province, keys, catalog) => {
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
    // The witness key cosigns other provinces' logs: a second function signing with it could
    // cosign a history the witness never checked (docs/protocol.md §19.1), whatever the catalog says.
    if (spec.name !== WITNESS_FUNCTION && spec.signsWith.includes('witness')) {
      problems.push(`${name}: signs with the witness key, which only the ${WITNESS_FUNCTION} function may`);
    }
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
};
