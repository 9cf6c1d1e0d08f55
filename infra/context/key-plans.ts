import type { KeyPurpose } from '../../contracts/keys.ts';
import { byPurpose, KEY_PURPOSES } from '../names.ts';
import { KEYS } from './keys.ts';
import { ContextError, type ContextIssue, type ProvinceContext } from './model.ts';

/**
 * Key generations from the context: which generation of each purpose signs, which are published
 * and which retired (context keyGenerations, stagedKeys, retiredKeys), and where those disagree.
 */

export const ONE_GENERATION: Readonly<Record<KeyPurpose, number>> = byPurpose(() => 1);
export const NONE_RETIRED: Readonly<Record<KeyPurpose, readonly number[]>> = byPurpose(() => []);

/** What becomes of the generations of one purpose's key. Every generation stays in the stack. */
export interface KeyPlan {
  /** Generations 1 to this one exist, each with its `-g<N>` alias, never deleted by a deploy. */
  generations: number;
  /** The generation that signs: the purpose's alias, ELG_KMS_KEY_<PURPOSE> and kms:Sign. */
  signing: number;
  /** The newest generation when its purpose is staged: published, not signing yet. */
  staged?: number;
  /**
   * Published but not signing, ascending: earlier generations not retired and a staged next one.
   * The discovery function reads them (ELG_KMS_KEYS_PREVIOUS, kms:GetPublicKey) for the JWKS.
   */
  published: readonly number[];
  /** Neither published nor readable by any function, ascending. */
  retired: readonly number[];
}

export type KeyPlans = Readonly<Record<KeyPurpose, KeyPlan>>;

export type KeyContext = Pick<ProvinceContext, 'keyGenerations' | 'stagedKeys' | 'retiredKeys'>;

/** The plan of every purpose's key generations; a ContextError when the three keys disagree. */
export function keyPlans(ctx: KeyContext): KeyPlans {
  const issues = keyPlanIssues(ctx);
  if (issues.length > 0) throw new ContextError(issues);
  const plans: Partial<Record<KeyPurpose, KeyPlan>> = {};
  for (const k of KEY_PURPOSES) {
    const generations = ctx.keyGenerations[k];
    const staged = ctx.stagedKeys.includes(k) ? generations : undefined;
    const signing = staged === undefined ? generations : generations - 1;
    const retired = [...ctx.retiredKeys[k]].sort((a, b) => a - b);
    const published: number[] = [];
    for (let g = 1; g <= generations; g++) if (g !== signing && !retired.includes(g)) published.push(g);
    plans[k] = { generations, signing, ...(staged === undefined ? {} : { staged }), published, retired };
  }
  return plans as KeyPlans;
}

/** Where keyGenerations, stagedKeys and retiredKeys contradict one another. */
export function keyPlanIssues(ctx: KeyContext): ContextIssue[] {
  const issues: ContextIssue[] = [];
  const issue = (key: 'stagedKeys' | 'retiredKeys', problem: string, example?: string) => {
    const spec = KEYS[key];
    issues.push({ key, problem, expected: spec.expected, example: example ?? spec.example });
  };
  for (const k of ctx.stagedKeys) {
    const n = ctx.keyGenerations[k];
    if (n < 2) {
      issue(
        'stagedKeys',
        `${k} is staged but keyGenerations gives it ${n} generation, none to keep signing`,
        `stagedKeys=${k} -c keyGenerations=${k}=${n + 1}`,
      );
    }
  }
  for (const k of KEY_PURPOSES) {
    const n = ctx.keyGenerations[k];
    const staged = ctx.stagedKeys.includes(k) && n >= 2;
    for (const g of ctx.retiredKeys[k]) {
      if (g > n) {
        issue('retiredKeys', `${k} generation ${g} does not exist (keyGenerations gives ${k} ${n})`);
      } else if (staged && g === n) {
        issue('retiredKeys', `${k} generation ${g} is staged (stagedKeys): a staged key cannot be retired`);
      } else if (g === (staged ? n - 1 : n)) {
        issue(
          'retiredKeys',
          `${k} generation ${g} is the one that signs (${staged ? `generation ${n} is staged` : 'the newest'}): ` +
            'a signing key cannot be retired',
        );
      }
    }
  }
  return issues;
}
