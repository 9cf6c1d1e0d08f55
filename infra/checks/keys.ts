import type { KeyPurpose } from '../../contracts/keys.ts';
import { keyPurposesOf } from '../../lib/config.ts';
import {
  byPurpose,
  functionName,
  KEY_PURPOSE_PATTERN,
  KEY_PURPOSES,
  keyAliasName,
  keyEnvName,
  PUBLISHED_KEYS_ENV,
} from '../names.ts';
import { environmentOf, resourceDescriber, type Template, type TemplateCheck } from './template.ts';

export type KeyGenerations = Readonly<Record<KeyPurpose, number>>;

/** The KMS key spec of each purpose (docs/protocol.md §3.1). */
const KEY_SPEC: Readonly<Record<KeyPurpose, string>> = byPurpose((k) =>
  k === 'witness' ? 'ECC_NIST_EDWARDS25519' : 'ECC_NIST_P256',
);

/** The generation each purpose's unnumbered alias names (0 when it names none): the signing one. */
export function currentKeyGenerations(template: Template, province: string): KeyGenerations {
  const describe = resourceDescriber(template);
  const out: Partial<Record<string, number>> = {};
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const m = new RegExp(`^alias/elg-${province}-(${KEY_PURPOSE_PATTERN})$`).exec(
      String(r.Properties?.AliasName),
    );
    if (!m?.[1]) continue;
    const g = /^key \w+ g(\d+)$/.exec(describe(r.Properties?.TargetKeyId));
    if (g?.[1]) out[m[1]] = Number(g[1]);
  }
  return byPurpose((k) => out[k] ?? 0);
}

/**
 * The key generations against `keys`: each one there and kept, no other; the purpose alias on the
 * signing one; each function's ELG_KMS_KEY_<PURPOSE> on the signing one for exactly the purposes
 * it reads (lib/config.ts keyPurposesOf: those it signs with, or all when it publishes them) and
 * absent for every other; ELG_KMS_KEYS_PREVIOUS listing the published ones in the function that
 * publishes keys only.
 */
export const checkKeys: TemplateCheck = (template, province, keys, catalog) => {
  const problems: string[] = [];
  const describe = resourceDescriber(template);
  const signing = currentKeyGenerations(template, province);
  const present = new Map<string, string>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const m = new RegExp(`^alias/elg-${province}-(${KEY_PURPOSE_PATTERN})-g(\\d+)$`).exec(
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
      } else if (key.Properties?.KeySpec !== KEY_SPEC[k] || key.Properties?.KeyUsage !== 'SIGN_VERIFY') {
        // Caught here, not at the first cold start: readKmsPublicKey refuses any other spec.
        problems.push(
          `${k} key generation ${g} is ${String(key.Properties?.KeySpec)} ${String(key.Properties?.KeyUsage)}, not ${KEY_SPEC[k]} SIGN_VERIFY`,
        );
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
    // A function the catalog does not list reads no key (checkPrivileges reports the function).
    const spec = catalog.find((f) => functionName(province, f.name) === name);
    const reads = spec ? keyPurposesOf(spec) : [];
    const env = environmentOf(r);
    for (const k of KEY_PURPOSES) {
      const variable = keyEnvName(k);
      const got = env[variable] === undefined ? 'nothing' : describe(env[variable]);
      if (!reads.includes(k)) {
        if (got !== 'nothing') {
          problems.push(
            `${name}: ${variable} names ${got}, a key its catalog entry neither signs with nor publishes`,
          );
        }
        continue;
      }
      const want = `key ${k} g${keys[k].signing}`;
      if (got !== want) problems.push(`${name}: ${variable} is ${got}, not the signing ${want}`);
    }
    const want = spec?.publishesKeys
      ? KEY_PURPOSES.flatMap((k) => keys[k].published.map((g) => `${k}=key ${k} g${g}`)).join(',')
      : '';
    const raw = env[PUBLISHED_KEYS_ENV];
    const got = raw === undefined ? '' : describe(raw);
    if (got !== want) {
      problems.push(`${name}: ${PUBLISHED_KEYS_ENV} publishes ${got || 'nothing'}, not ${want || 'nothing'}`);
    }
  }
  return problems;
};
