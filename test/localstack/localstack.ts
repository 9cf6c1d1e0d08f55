import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Jwks } from '../../contracts/keys.ts';
import { readKmsPublicKey } from '../../lib/signing/kms-signer.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/**
 * Where the suite finds the provinces deployed to LocalStack with `cdklocal`, and the files and
 * settings they were deployed with (README, "LocalStack"). Everything but the endpoint has a
 * default matching the README's commands.
 */
export interface LocalStackSettings {
  /** `LOCALSTACK_ENDPOINT`, e.g. http://localhost:4566: the suite runs only when it is set. */
  endpoint: string;
  region: string;
  /** `ELG_LOCALSTACK_PROVINCES`: the issuing province first, the verifying one second. */
  provinces: readonly [string, string];
  /** S3 bucket serving the registry (`registry.jwt`) and the test IdP's JWKS (`idp/jwks.json`). */
  bucket: string;
  /** The root key the stacks' `registryRootJwk` was printed from (`elg registry root`). */
  rootKeyFile: string;
  /** The suite's own identity provider key; created on first use. */
  idpKeyFile: string;
  idpIssuer: string;
  idpAudience: string;
}

export function localStackSettings(env: NodeJS.ProcessEnv = process.env): LocalStackSettings | undefined {
  const endpoint = env.LOCALSTACK_ENDPOINT?.replace(/\/+$/, '');
  if (!endpoint) return undefined;
  const [issuing = '310000', verifying = '330000'] = (env.ELG_LOCALSTACK_PROVINCES ?? '310000,330000')
    .split(',')
    .map((p) => p.trim());
  const file = (value: string | undefined, fallback: string) => {
    const path = value ?? fallback;
    return isAbsolute(path) ? path : join(REPO, path);
  };
  return {
    endpoint,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    provinces: [issuing, verifying],
    bucket: env.ELG_LOCALSTACK_BUCKET ?? 'elg-localstack',
    rootKeyFile: file(env.ELG_LOCALSTACK_ROOT_KEY, '.elg/localstack/root.jwk'),
    idpKeyFile: file(env.ELG_LOCALSTACK_IDP_KEY, '.elg/localstack/idp.jwk'),
    idpIssuer: env.ELG_LOCALSTACK_IDP_ISSUER ?? 'https://idp.localstack.test',
    idpAudience: env.ELG_LOCALSTACK_IDP_AUDIENCE ?? 'elg-localstack',
  };
}

function clientConfig(s: LocalStackSettings) {
  return { endpoint: s.endpoint, region: s.region, credentials: CREDENTIALS, forcePathStyle: true } as const;
}

function unreachable(s: LocalStackSettings, err: unknown): Error | undefined {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET'
    ? new Error(`LocalStack does not answer at ${s.endpoint} (${code}); is it running?`)
    : undefined;
}

/**
 * The outputs of a deployed stack, by CloudFormation DescribeStacks on the LocalStack endpoint.
 * Throws naming the stack when it is missing or not deployed completely.
 */
export async function stackOutputs(
  s: LocalStackSettings,
  stackName: string,
): Promise<Record<string, string>> {
  const cfn = new CloudFormationClient({ endpoint: s.endpoint, region: s.region, credentials: CREDENTIALS });
  let stack: Stack | undefined;
  try {
    stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (err) {
    throw (
      unreachable(s, err) ??
      new Error(
        `DescribeStacks ${stackName} on ${s.endpoint}: ${err instanceof Error ? err.message : String(err)}; deploy it with cdklocal`,
      )
    );
  } finally {
    cfn.destroy();
  }
  const stackStatus = stack?.StackStatus;
  if (!stackStatus || !/^(CREATE|UPDATE)_COMPLETE$/.test(stackStatus)) {
    throw new Error(`stack ${stackName} is ${stackStatus ?? 'in no known state'}, not deployed completely`);
  }
  const outputs: Record<string, string> = {};
  for (const o of stack?.Outputs ?? [])
    if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

/**
 * The API URL as the host and the functions in LocalStack can both reach it. LocalStack serves an
 * HTTP API at `https://<api id>.execute-api.localhost.localstack.cloud:<port>/`; an output built
 * with the AWS URL suffix (`...execute-api.<region>.amazonaws.com/`) is mapped there.
 */
export function reachableApiUrl(apiUrl: string, endpoint: string): string {
  const url = new URL(apiUrl);
  const aws = /^([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.exec(url.hostname);
  if (!aws) return apiUrl.replace(/\/+$/, '');
  const port = new URL(endpoint).port || '4566';
  return `https://${aws[1]}.execute-api.localhost.localstack.cloud:${port}`;
}

export async function ensureBucket(s: LocalStackSettings): Promise<void> {
  const s3 = new S3Client(clientConfig(s));
  try {
    await s3.send(new CreateBucketCommand({ Bucket: s.bucket }));
  } catch (err) {
    if (!(err instanceof BucketAlreadyOwnedByYou)) throw unreachable(s, err) ?? err;
  } finally {
    s3.destroy();
  }
}

export async function putObject(s: LocalStackSettings, key: string, body: string, contentType: string) {
  const s3 = new S3Client(clientConfig(s));
  try {
    await s3.send(new PutObjectCommand({ Bucket: s.bucket, Key: key, Body: body, ContentType: contentType }));
  } catch (err) {
    throw unreachable(s, err) ?? err;
  } finally {
    s3.destroy();
  }
}

/** The province's three current public keys, read from LocalStack KMS by their aliases. */
export async function currentKeysFromKms(s: LocalStackSettings, province: string): Promise<Jwks> {
  const kms = new KMSClient({ endpoint: s.endpoint, region: s.region, credentials: CREDENTIALS });
  try {
    const keys = await Promise.all(
      (['credential', 'gateway', 'audit'] as const).map(
        async (purpose) =>
          (await readKmsPublicKey(kms, `alias/elg-${province}-${purpose}`, purpose)).publicJwk,
      ),
    );
    return { keys };
  } finally {
    kms.destroy();
  }
}

/** Polls `probe` until it returns a value, every `intervalMs`, giving up after `attempts`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { attempts: number; intervalMs: number },
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < options.attempts; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
  throw new Error(
    `${what}: not reached after ${options.attempts} attempts${last ? ` (last error: ${String(last)})` : ''}`,
  );
}
