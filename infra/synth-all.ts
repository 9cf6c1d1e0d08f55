import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROVINCE_CODES, type ProvinceCode } from '../contracts/codes/provinces.ts';
import type { FunctionSpec } from '../functions/catalog.ts';
import { isEntry } from '../lib/entry.ts';
import { provinceApp } from './app-settings.ts';
import { bundleFunctions, ROOT } from './bundle.ts';
import { checkProvinceTemplate, type Template } from './checks.ts';
import { type KeyPlans, keyPlans, readProvinceContext } from './context.ts';
import { ProvinceStack, stackName } from './province-stack.ts';

/**
 * Synthesizes the stacks of all 34 provinces in one App (`npm run synth`), with placeholder but
 * valid registry and identity-provider context, the functions bundled once for all of them. CDK
 * validates every template against the CloudFormation schemas (as errors), and each template is
 * then checked for its province's names and keys, and for every function's least privilege: its
 * role and its environment hold exactly what its catalog entry lists (infra/checks.ts). Nothing is
 * deployed and no AWS account is needed.
 */

/** A P-256 public key standing in for the national root key (a valid point, no private half kept). */
export const PLACEHOLDER_ROOT_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'PArBP8jLkcKpXd7Yp8dHggQDIRw3NmymBC_SnmQ3eiM',
  y: 'KjIvkkc8FeO6tOebwUywCR5OikDe28q55xvy9aFgXZ8',
} as const;

/** Context of a province as `-c` would give it, with placeholder registry and identity provider. */
export function placeholderContext(province: string): Record<string, string> {
  return {
    province,
    registryUrl: 'https://registry.elicense.example/registry.jws',
    registryRootJwk: JSON.stringify(PLACEHOLDER_ROOT_JWK),
    idpIssuer: `https://idp-${province}.elicense.example`,
    idpAudience: `elg-${province}`,
    idpJwksUrl: `https://idp-${province}.elicense.example/.well-known/jwks.json`,
  };
}

export interface SynthAllOptions {
  /** The cloud assembly directory; cdk.out by default. */
  outdir?: string;
  /** Where the bundles go; a fresh temporary directory by default (removed afterwards). */
  bundleDir?: string;
  provinces?: readonly ProvinceCode[];
  /** False to use the bundles already in bundleDir. */
  bundle?: boolean;
  /**
   * The catalog the stacks are built from; the checks always hold them to functions/catalog.ts.
   * Only tests change it, to see a stack that grants more than the catalog refused.
   */
  functions?: readonly FunctionSpec[];
}

export interface SynthAllReport {
  outdir: string;
  stacks: { province: ProvinceCode; stackName: string; templateFile: string; resources: number }[];
  /** Every problem found, prefixed with its stack; empty when all passed. */
  problems: string[];
  ms: { bundle: number; synth: number; check: number };
}

export async function synthAll(options: SynthAllOptions = {}): Promise<SynthAllReport> {
  const outdir = options.outdir ?? join(ROOT, 'cdk.out');
  const provinces = options.provinces ?? PROVINCE_CODES;
  const ownBundleDir = options.bundleDir === undefined;
  const bundleDir = options.bundleDir ?? (await mkdtemp(join(tmpdir(), 'elg-bundle-')));
  try {
    const t0 = performance.now();
    if (options.bundle !== false) await bundleFunctions({ outDir: bundleDir });
    const t1 = performance.now();
    const app = provinceApp({ outdir });
    const keys = new Map<ProvinceCode, KeyPlans>();
    for (const province of provinces) {
      const values = placeholderContext(province);
      const context = readProvinceContext((key) => values[key]);
      keys.set(province, keyPlans(context));
      new ProvinceStack(app, stackName(province), {
        context,
        assetDir: bundleDir,
        ...(options.functions ? { functions: options.functions } : {}),
      });
    }
    const assembly = app.synth();
    const t2 = performance.now();
    const report: SynthAllReport = {
      outdir: assembly.directory,
      stacks: [],
      problems: [],
      ms: { bundle: 0, synth: 0, check: 0 },
    };
    for (const province of provinces) {
      const stack = assembly.getStackByName(stackName(province));
      const template = stack.template as Template;
      report.stacks.push({
        province,
        stackName: stack.stackName,
        templateFile: stack.templateFullPath,
        resources: Object.keys(template.Resources).length,
      });
      if (stack.stackName !== `elg-${province}`) {
        report.problems.push(`${stack.stackName}: the stack of ${province} is not named elg-${province}`);
      }
      const plans = keys.get(province);
      if (!plans) throw new Error(`no key plans for ${province}`);
      for (const problem of checkProvinceTemplate(template, province, plans)) {
        report.problems.push(`${stack.stackName}: ${problem}`);
      }
    }
    const t3 = performance.now();
    report.ms = { bundle: Math.round(t1 - t0), synth: Math.round(t2 - t1), check: Math.round(t3 - t2) };
    return report;
  } finally {
    // The assembly holds its own copy of each bundle, so a temporary bundle directory can go.
    if (ownBundleDir) await rm(bundleDir, { recursive: true, force: true });
  }
}

/** `npm run synth`: 0 when every stack synthesized and passed its checks, 1 otherwise. */
export async function main(
  options: SynthAllOptions = {},
  out: { write(text: string): unknown } = process.stdout,
  err: { write(text: string): unknown } = process.stderr,
): Promise<number> {
  let report: SynthAllReport;
  try {
    report = await synthAll(options);
  } catch (e) {
    err.write(`synth failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
  const resources = report.stacks.reduce((n, s) => n + s.resources, 0);
  out.write(
    `synthesized ${report.stacks.length} province stacks (${resources} resources) into ${report.outdir}: ` +
      `bundle ${report.ms.bundle} ms, synth ${report.ms.synth} ms, checks ${report.ms.check} ms\n`,
  );
  if (report.problems.length > 0) {
    err.write(`${report.problems.length} problem(s):\n${report.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

if (isEntry(import.meta.url)) {
  process.exitCode = await main();
}
