import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KMSClient } from '@aws-sdk/client-kms';
import type { Jwks } from '../../contracts/keys.ts';
import { readKmsPublicKey } from '../../lib/signing/kms-signer.ts';
import { signV4 } from './sigv4.ts';

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

async function signedFetch(
  s: LocalStackSettings,
  service: string,
  method: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const url = `${s.endpoint}${path}`;
  const signed = signV4({ method, url, body, headers, service, region: s.region, ...CREDENTIALS });
  const { host: _host, ...sent } = signed;
  let res: Response;
  try {
    res = await fetch(url, { method, headers: sent, ...(method === 'GET' ? {} : { body }) });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`LocalStack does not answer at ${s.endpoint} (${cause}); is it running?`);
  }
  return { status: res.status, text: await res.text() };
}

/**
 * The outputs of a deployed stack, by CloudFormation DescribeStacks on the LocalStack endpoint
 * (query API, XML answer). Throws naming the stack when it is missing or not deployed completely.
 */
export async function stackOutputs(
  s: LocalStackSettings,
  stackName: string,
): Promise<Record<string, string>> {
  const body = new URLSearchParams({ Action: 'DescribeStacks', StackName: stackName, Version: '2010-05-15' });
  const { status, text } = await signedFetch(s, 'cloudformation', 'POST', '/', body.toString(), {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
  });
  if (status !== 200) {
    const message = xmlText(text, 'Message') ?? text.slice(0, 200);
    throw new Error(
      `DescribeStacks ${stackName} on ${s.endpoint}: HTTP ${status} ${message}; deploy it with cdklocal`,
    );
  }
  const stackStatus = xmlText(text, 'StackStatus');
  if (!stackStatus || !/^(CREATE|UPDATE)_COMPLETE$/.test(stackStatus)) {
    throw new Error(`stack ${stackName} is ${stackStatus ?? 'in no known state'}, not deployed completely`);
  }
  const outputs: Record<string, string> = {};
  const block = /<Outputs>([\s\S]*?)<\/Outputs>/.exec(text)?.[1] ?? '';
  for (const member of block.matchAll(/<member>([\s\S]*?)<\/member>/g)) {
    const key = xmlText(member[1] ?? '', 'OutputKey');
    const value = xmlText(member[1] ?? '', 'OutputValue');
    if (key && value !== undefined) outputs[key] = value;
  }
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
  const { status, text } = await signedFetch(s, 's3', 'PUT', `/${s.bucket}`, '', {});
  if (status !== 200 && !/BucketAlreadyOwnedByYou/.test(text)) {
    throw new Error(`cannot create the bucket ${s.bucket}: HTTP ${status} ${text.slice(0, 200)}`);
  }
}

export async function putObject(s: LocalStackSettings, key: string, body: string, contentType: string) {
  const { status, text } = await signedFetch(s, 's3', 'PUT', `/${s.bucket}/${key}`, body, {
    'content-type': contentType,
  });
  if (status !== 200)
    throw new Error(`cannot put s3://${s.bucket}/${key}: HTTP ${status} ${text.slice(0, 200)}`);
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

function xmlText(xml: string, tag: string): string | undefined {
  const raw = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml)?.[1];
  return raw
    ?.replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
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
