import { KeyPurpose } from '../contracts/keys.ts';

/**
 * Physical names of a province's resources and the environment variables that hand them to a
 * function, each declared once. Every physical name carries the province code, so stacks of
 * several provinces can share an account without colliding; infra/checks.ts reads templates
 * against these same names.
 */

/** The signing purposes, in the order the stack builds and lists them (contracts/keys.ts). */
export const KEY_PURPOSES: readonly KeyPurpose[] = Object.values(KeyPurpose);
/** `credential|gateway|audit`, for patterns over alias names. */
export const KEY_PURPOSE_PATTERN = KEY_PURPOSES.join('|');

export const stackName = (province: string) => `elg-${province}`;
export const functionName = (province: string, name: string) => `elg-${province}-${name}`;
export const keyAliasName = (province: string, purpose: KeyPurpose, generation?: number) =>
  `alias/elg-${province}-${purpose}${generation === undefined ? '' : `-g${generation}`}`;
export const holderHashSecretName = (province: string) => `elg/${province}/holder-hash-key`;
export const alarmTopicName = (province: string) => `elg-${province}-alarms`;

/** The variables that hand a function its keys and secret, declared with the settings they are. */
export { HOLDER_HASH_SECRET_ENV, keyEnvName, PUBLISHED_KEYS_ENV } from '../lib/config.ts';

/** `discovery` → `Discovery`, `report-delivery` → `ReportDelivery`: construct ids. */
export function pascal(s: string): string {
  return s
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** One value per purpose, in purpose order. */
export function byPurpose<T>(value: (purpose: KeyPurpose) => T): Record<KeyPurpose, T> {
  return Object.fromEntries(KEY_PURPOSES.map((k) => [k, value(k)])) as Record<KeyPurpose, T>;
}
