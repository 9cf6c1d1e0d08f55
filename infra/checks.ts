import { FUNCTIONS, type FunctionSpec } from '../functions/catalog.ts';
import { checkEnvironment } from './checks/environment.ts';
import { checkKeys } from './checks/keys.ts';
import { checkNames } from './checks/names.ts';
import { checkPrivileges } from './checks/privileges.ts';
import type { Template, TemplateCheck } from './checks/template.ts';
import type { KeyPlans } from './context.ts';

export { checkEnvironment } from './checks/environment.ts';
export { checkKeys, currentKeyGenerations, type KeyGenerations } from './checks/keys.ts';
export { checkNames } from './checks/names.ts';
export {
  checkPrivileges,
  describeCondition,
  expectedGrants,
  type Grant,
  grantsByFunction,
} from './checks/privileges.ts';
export { environmentOf, resourceDescriber, type Template, type TemplateCheck } from './checks/template.ts';

/** Every check, in the order its problems are listed. */
const CHECKS: readonly TemplateCheck[] = [checkNames, checkKeys, checkEnvironment, checkPrivileges];

/**
 * Checks of a synthesized province template that hold for every province, read from the
 * CloudFormation JSON itself rather than from the constructs that produced it. Every expectation
 * comes from the catalog entry (functions/catalog.ts), read the way lib/config.ts reads it
 * (settingsOf, keyPurposesOf), so a function is held to exactly what its entry lists:
 *
 * - every physical name carries the province's code and no other province's;
 * - every key generation of `keys` (infra/context.ts keyPlans, from the context the stack was
 *   built with) is in the stack and kept on deletion; the purpose alias names the signing
 *   generation; a function's ELG_KMS_KEY_<PURPOSE> names the signing generation for each purpose
 *   it signs with (every purpose for the function that publishes keys) and is absent for every
 *   other; only that function publishes, in ELG_KMS_KEYS_PREVIOUS, exactly the published
 *   generations (never a retired one);
 * - every function's environment names exactly the tables and the holder-hash secret its entry
 *   lists, and no setting but those settingsOf gives it (registry settings only with the registry
 *   table, identity-provider settings only with bearer tokens);
 * - every function's role grants exactly what the catalog lists: kms:GetPublicKey on the keys it
 *   reads, kms:Sign on those it signs with, its tables with their access (a `keyed` table's
 *   item actions only those its leading keys list, each in a statement of its own under the
 *   dynamodb:LeadingKeys condition of its own partitions: GetItem of its `get` ones, Query of its
 *   `query` ones, and so on to ConditionCheckItem of its `check` ones), the holder-hash secret
 *   only when listed; each action on each resource under exactly its condition, nothing missing
 *   and nothing more, no wildcard action and no `*` resource outside X-Ray.
 *
 * An empty list means the template passed. `npm run synth` runs these on all 34 provinces.
 */
export function checkProvinceTemplate(
  template: Template,
  province: string,
  keys: KeyPlans,
  catalog: readonly FunctionSpec[] = FUNCTIONS,
): string[] {
  return CHECKS.flatMap((check) => check(template, province, keys, catalog));
}
