import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionSpec } from '../../functions/catalog.ts';
import { provinceApp } from '../../infra/app-settings.ts';
import { checkProvinceTemplate, grantsByFunction, type Template } from '../../infra/checks.ts';
import { keyPlans, readProvinceContext } from '../../infra/context.ts';
import { ProvinceStack } from '../../infra/province-stack.ts';
import { placeholderContext } from '../../infra/synth-all.ts';

/**
 * The witness key (docs/protocol.md §19.1) at synth: only the witness function may sign with it
 * (discovery reads its public key to publish it), and a stack or a catalog that lets another
 * function sign with it is refused by the privilege check.
 */

/** Interop as if its catalog entry signed with the witness key too. */
const WIDER_INTEROP: readonly FunctionSpec[] = FUNCTIONS.map((f) =>
  f.name === 'interop' ? { ...f, signsWith: [...f.signsWith, 'witness'] } : f,
);

let assetDir: string;
let plain: Template;
let wider: Template;
const plans = keyPlans(readProvinceContext((k) => placeholderContext('320000')[k]));

beforeAll(async () => {
  assetDir = await mkdtemp(join(tmpdir(), 'elg-witness-key-'));
  for (const f of FUNCTIONS) {
    await mkdir(join(assetDir, f.name));
    await writeFile(join(assetDir, f.name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  const app = provinceApp({ outdir: join(assetDir, 'cdk.out') });
  const stack = (id: string, functions?: readonly FunctionSpec[]) =>
    new ProvinceStack(app, id, {
      context: readProvinceContext((k) => placeholderContext('320000')[k]),
      assetDir,
      ...(functions ? { functions } : {}),
    });
  stack('elg-320000');
  stack('wider', WIDER_INTEROP);
  const assembly = app.synth();
  plain = assembly.getStackArtifact('elg-320000').template as Template;
  wider = assembly.getStackArtifact('wider').template as Template;
}, 180_000);

afterAll(async () => {
  await rm(assetDir, { recursive: true, force: true });
});

/** The functions granted `action` on the witness key, by name. */
function grantedOnWitnessKey(t: Template, action: string): string[] {
  return [...grantsByFunction(t)]
    .filter(([, { grants }]) => [...grants].some((g) => g.startsWith(`${action} on key witness `)))
    .map(([name]) => name)
    .sort();
}

describe('the witness key', () => {
  it('is signed with by the witness function alone; discovery and the witness read its public key', () => {
    expect(FUNCTIONS.filter((f) => f.signsWith.includes('witness')).map((f) => f.name)).toEqual(['witness']);
    expect(grantedOnWitnessKey(plain, 'kms:Sign')).toEqual(['elg-320000-witness']);
    expect(grantedOnWitnessKey(plain, 'kms:GetPublicKey')).toEqual([
      'elg-320000-discovery',
      'elg-320000-witness',
    ]);
    expect(checkProvinceTemplate(plain, '320000', plans)).toEqual([]);
  });

  it('notices a stack that lets another function sign with it', () => {
    expect(grantedOnWitnessKey(wider, 'kms:Sign')).toEqual(['elg-320000-interop', 'elg-320000-witness']);

    // Held to the catalog: grants beyond interop's entry.
    expect(checkProvinceTemplate(wider, '320000', plans).filter((p) => p.includes('witness'))).toEqual([
      'elg-320000-interop: ELG_KMS_KEY_WITNESS names key witness g1, a key its catalog entry neither signs with nor publishes',
      'elg-320000-interop: may kms:GetPublicKey on key witness g1, beyond its catalog entry',
      'elg-320000-interop: may kms:Sign on key witness g1, beyond its catalog entry',
    ]);
    // Held to the catalog it was built from, still refused: no function but witness signs with it.
    expect(checkProvinceTemplate(wider, '320000', plans, WIDER_INTEROP)).toEqual([
      'elg-320000-interop: signs with the witness key, which only the witness function may',
    ]);
  });
});
