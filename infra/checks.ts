import { checkKeys } from './checks/keys.ts';
import { checkNames } from './checks/names.ts';
import { checkPrivileges } from './checks/privileges.ts';
import type { Template } from './checks/template.ts';
import type { KeyPlans } from './context.ts';
import { FUNCTIONS, type FunctionSpec } from './functions.ts';

export { checkKeys, currentKeyGenerations, type KeyGenerations } from './checks/keys.ts';
export { checkNames } from './checks/names.ts';
export { checkPrivileges, expectedGrants, type Grant, grantsByFunction } from './checks/privileges.ts';
export { resourceDescriber, type Template } from './checks/template.ts';

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
