import { RemovalPolicy } from 'aws-cdk-lib';
import { Alias, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { KeyPurpose } from '../../contracts/keys.ts';
import { keyPlans, type ProvinceContext } from '../context.ts';
import { KEY_PURPOSES, keyAliasName, pascal } from '../names.ts';

/**
 * The province's signing keys: per purpose (KEY_PURPOSES) one SIGN_VERIFY key per generation
 * (context `keyGenerations`), ECC_NIST_P256 for credential, gateway and audit and
 * ECC_NIST_EDWARDS25519 for witness, each kept in the stack under the same logical id
 * (`<Purpose>KeyG<N>`, built directly in `scope`) and never deleted by a deploy.
 * `alias/elg-<p>-<purpose>` names the signing generation, `alias/elg-<p>-<purpose>-g<N>` every
 * generation. Which generation signs, is published or is retired is infra/context.ts keyPlans.
 */
export interface ProvinceKeys {
  /** The generation that signs: the purpose's alias, ELG_KMS_KEY_<PURPOSE> and kms:Sign. */
  current: Key;
  /**
   * Published but not signing, oldest first: earlier generations not retired and a staged next
   * one. Only the discovery function reads them, for the JWKS (ELG_KMS_KEYS_PREVIOUS).
   */
  published: Key[];
  /** Kept in the stack but neither published nor readable by any function, oldest first. */
  retired: Key[];
  /** Every generation, oldest first: generation N is `generations[N - 1]`. */
  generations: Key[];
}

export type ProvinceKeyring = Readonly<Record<KeyPurpose, ProvinceKeys>>;

export function createKeys(scope: Construct, ctx: ProvinceContext): ProvinceKeyring {
  const p = ctx.province;
  const plans = keyPlans(ctx);
  const keys: Partial<Record<KeyPurpose, ProvinceKeys>> = {};
  for (const purpose of KEY_PURPOSES) {
    const plan = plans[purpose];
    const all: Key[] = [];
    for (let g = 1; g <= plan.generations; g++) {
      // The construct id and the properties of a generation never change, whether it signs, is
      // staged, published or retired: adding, staging or retiring one leaves the others in place,
      // and no deploy updates a key that may be pending deletion.
      const key = new Key(scope, `${pascal(purpose)}KeyG${g}`, {
        description: `Province ${p} ${purpose} signing key, generation ${g}`,
        keySpec: purpose === 'witness' ? KeySpec.ECC_NIST_EDWARDS25519 : KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      new Alias(scope, `${pascal(purpose)}KeyG${g}Alias`, {
        aliasName: keyAliasName(p, purpose, g),
        targetKey: key,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      all.push(key);
    }
    const generation = (g: number): Key => {
      const key = all[g - 1];
      if (!key) throw new Error(`no ${purpose} key generation ${g}`);
      return key;
    };
    const current = generation(plan.signing);
    new Alias(scope, `${pascal(purpose)}KeyAlias`, {
      aliasName: keyAliasName(p, purpose),
      targetKey: current,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    keys[purpose] = {
      current,
      published: plan.published.map(generation),
      retired: plan.retired.map(generation),
      generations: all,
    };
  }
  return keys as ProvinceKeyring;
}

/** The published generations of every purpose, in purpose order, each with its purpose. */
export function publishedKeys(keys: ProvinceKeyring): { purpose: KeyPurpose; key: Key }[] {
  return KEY_PURPOSES.flatMap((purpose) => keys[purpose].published.map((key) => ({ purpose, key })));
}
