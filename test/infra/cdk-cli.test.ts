import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/bundle.ts';
import { generateP256PrivateKey } from '../../lib/signing/public-jwk.ts';

const run = promisify(execFile);

/**
 * The operator's own command, `cdk synth` through cdk.json, on a machine with no AWS credentials,
 * no Docker and no network: what CI proves on every change.
 */
describe('cdk synth as an operator runs it', () => {
  let out: string | undefined;
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('synthesizes one province from cdk.json without AWS credentials', async () => {
    out = await mkdtemp(join(tmpdir(), 'elg-cdk-'));
    const publicKey = createPublicKey(generateP256PrivateKey());
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
    env.AWS_SHARED_CREDENTIALS_FILE = join(out, 'no-credentials');
    env.AWS_CONFIG_FILE = join(out, 'no-config');

    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/aws-cdk/bin/cdk'),
        'synth',
        '--quiet',
        '--no-notices',
        '-o',
        out,
        '-c',
        'province=510000',
        '-c',
        'registryUrl=https://registry.example.gov.cn/registry.jws',
        '-c',
        `registryRootJwk=${JSON.stringify({ kty, crv, x, y })}`,
        '-c',
        'idpIssuer=https://idp.sc.example.gov.cn',
        '-c',
        'idpAudience=elg-510000',
        '-c',
        'idpJwksUrl=https://idp.sc.example.gov.cn/.well-known/jwks.json',
      ],
      { cwd: ROOT, env, timeout: 240_000 },
    );

    const template = JSON.parse(await readFile(join(out, 'elg-510000.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    const aliases = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::KMS::Alias')
      .map((r) => r.Properties?.AliasName);
    expect(aliases).toEqual(
      expect.arrayContaining([
        'alias/elg-510000-credential',
        'alias/elg-510000-gateway',
        'alias/elg-510000-audit',
        'alias/elg-510000-witness',
      ]),
    );
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map((f) => f.Properties?.FunctionName).sort()).toEqual(
      [
        'agreements',
        'audit',
        'delivery',
        'discovery',
        'interop',
        'issuance',
        'report-delivery',
        'reports',
        'review-delivery',
        'reviews',
        'sequencer',
        'verification',
        'witness',
      ].map((n) => `elg-510000-${n}`),
    );
  }, 300_000);
});
