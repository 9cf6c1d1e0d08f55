import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVINCE_CODES } from '../../contracts/codes/provinces.ts';
import { FUNCTIONS } from '../../functions/catalog.ts';
import { main, type SynthAllReport, synthAll } from '../../infra/synth-all.ts';
import { tableNames } from '../../lib/store/tables.ts';

/**
 * `npm run synth` end to end: the real bundles, all 34 province stacks in one App, CDK's
 * CloudFormation validation as errors, and the name, key, environment and privilege checks of
 * infra/checks.ts.
 */

let dir: string;
let report: SynthAllReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elg-synth-all-'));
  report = await synthAll({ outdir: join(dir, 'cdk.out'), bundleDir: join(dir, 'bundles') });
  // About 15 s of CPU (34 templates through CDK's CloudFormation validation); room for a busy machine.
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
const templateOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Template;

describe('synthesizing every province', () => {
  it('builds one stack per province, named for it, and finds no problem', () => {
    expect(report.problems).toEqual([]);
    expect(report.stacks.map((s) => s.province)).toEqual(PROVINCE_CODES);
    expect(report.stacks.map((s) => s.stackName)).toEqual(PROVINCE_CODES.map((p) => `elg-${p}`));
  });

  it('gives each province its own tables, functions and aliases, carrying its code', () => {
    for (const stack of report.stacks) {
      const t = templateOf(stack.templateFile);
      const names = (type: string, property: string) =>
        Object.values(t.Resources)
          .filter((r) => r.Type === type)
          .map((r) => String(r.Properties[property]))
          .sort();
      expect(names('AWS::DynamoDB::Table', 'TableName')).toEqual(
        Object.values(tableNames(`elg-${stack.province}`)).sort(),
      );
      expect(names('AWS::Lambda::Function', 'FunctionName')).toEqual(
        FUNCTIONS.map((f) => `elg-${stack.province}-${f.name}`).sort(),
      );
      expect(names('AWS::KMS::Alias', 'AliasName')).toEqual(
        ['audit', 'credential', 'gateway', 'witness'].flatMap((k) => [
          `alias/elg-${stack.province}-${k}`,
          `alias/elg-${stack.province}-${k}-g1`,
        ]),
      );
      // P-256 for credential, gateway and audit; Ed25519 for witness.
      expect(names('AWS::KMS::Key', 'KeySpec')).toEqual([
        'ECC_NIST_EDWARDS25519',
        'ECC_NIST_P256',
        'ECC_NIST_P256',
        'ECC_NIST_P256',
      ]);
    }
  });

  it('bundles each function once and deploys the same bundle in every province', () => {
    const assets = new Map<string, Set<string>>();
    for (const stack of report.stacks) {
      const t = templateOf(stack.templateFile);
      for (const r of Object.values(t.Resources)) {
        if (r.Type !== 'AWS::Lambda::Function') continue;
        const name = String(r.Properties.FunctionName).replace(/^elg-\d{6}-/, '');
        const key = String((r.Properties.Code as { S3Key: unknown }).S3Key);
        assets.set(name, (assets.get(name) ?? new Set()).add(key));
      }
    }
    expect([...assets.keys()].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
    for (const [name, keys] of assets) {
      expect(keys.size, name).toBe(1);
      const hash = [...keys][0]?.replace(/\.zip$/, '');
      const asset = join(report.outdir, `asset.${hash}`);
      const code = readFileSync(join(asset, 'index.mjs'), 'utf8');
      // A minified ES module exporting `handler`, which is what `index.handler` names.
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}|export\s*\{[^}]*\bhandler\b[^}]*\}/);
      expect(JSON.parse(readFileSync(join(asset, 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    }
  });

  it('writes a clean CloudFormation validation report', () => {
    const file = join(report.outdir, 'validation-report.json');
    expect(existsSync(file)).toBe(true);
    const validation = JSON.parse(readFileSync(file, 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(validation.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('exits non-zero when a stack grants more than the catalog', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      {
        outdir: join(dir, 'wider'),
        bundleDir: join(dir, 'bundles'),
        bundle: false,
        provinces: ['330000'],
        functions: FUNCTIONS.map((f) => (f.name === 'audit' ? { ...f, signsWith: ['audit'] } : f)),
      },
      { write: (s: string) => out.push(s) },
      { write: (s: string) => err.push(s) },
    );
    expect(code).toBe(1);
    expect(out.join('')).toContain('synthesized 1 province stacks');
    expect(err.join('')).toContain(
      'elg-330000: elg-330000-audit: may kms:Sign on key audit g1, beyond its catalog entry',
    );
    // The key it was bound to comes with its name in the environment and its public key, both
    // beyond an entry that signs with nothing.
    expect(err.join('')).toContain(
      'elg-330000: elg-330000-audit: ELG_KMS_KEY_AUDIT names key audit g1, a key its catalog entry neither signs with nor publishes',
    );
    expect(err.join('')).toContain(
      'elg-330000: elg-330000-audit: may kms:GetPublicKey on key audit g1, beyond its catalog entry',
    );
  });
});
