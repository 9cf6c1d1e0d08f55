import { execFile } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { type FakeKey, signDigest } from '../lib/signing/fake-kms.ts';

const run = promisify(execFile);

/**
 * KMS and Secrets Manager as they answer over HTTP (AWS JSON 1.1, `X-Amz-Target`), with real P-256
 * keys (ECC_NIST_P256, ECDSA_SHA_256 over a DIGEST) and Ed25519 keys (ECC_NIST_EDWARDS25519,
 * ED25519_SHA_512 over the RAW message, as the witness key is), plus static files (the registry,
 * the identity provider's JWKS). The bundles call it with their own, bundled, AWS SDK clients, so
 * what is proven is the wire, not a mock of a client.
 */
export interface FakeAws {
  url: string;
  /** `TrentService.Sign`, `secretsmanager.GetSecretValue`, ... in the order they arrived. */
  calls: string[];
  close(): Promise<void>;
}

export async function startFakeAws(options: {
  keys: readonly FakeKey[];
  secrets?: Readonly<Record<string, string>>;
  files?: Readonly<Record<string, { contentType: string; body: string }>>;
}): Promise<FakeAws> {
  const calls: string[] = [];
  const findKey = (keyId: unknown) =>
    options.keys.find((k) => k.arn === keyId || `alias/${k.arn.split('/').pop()}` === keyId);
  const operations: Record<string, (input: Record<string, unknown>) => [number, unknown]> = {
    'TrentService.GetPublicKey': (input) => {
      const key = findKey(input.KeyId);
      if (!key)
        return [400, { __type: 'NotFoundException', message: `key ${String(input.KeyId)} not found` }];
      const ed25519 = key.publicKey.asymmetricKeyType === 'ed25519';
      return [
        200,
        {
          KeyId: key.arn,
          PublicKey: key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
          KeySpec: ed25519 ? 'ECC_NIST_EDWARDS25519' : 'ECC_NIST_P256',
          KeyUsage: 'SIGN_VERIFY',
          SigningAlgorithms: ed25519 ? ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] : ['ECDSA_SHA_256'],
        },
      ];
    },
    'TrentService.Sign': (input) => {
      const key = findKey(input.KeyId);
      if (!key)
        return [400, { __type: 'NotFoundException', message: `key ${String(input.KeyId)} not found` }];
      if (key.publicKey.asymmetricKeyType === 'ed25519') {
        // Pure Ed25519 over the message itself; KMS answers the 64-byte RFC 8032 signature.
        if (input.MessageType !== 'RAW' || input.SigningAlgorithm !== 'ED25519_SHA_512') {
          return [
            400,
            { __type: 'ValidationException', message: 'expected ED25519_SHA_512 over a RAW message' },
          ];
        }
        const message = Buffer.from(String(input.Message), 'base64');
        return [
          200,
          {
            KeyId: key.arn,
            SigningAlgorithm: 'ED25519_SHA_512',
            Signature: sign(null, message, key.privateKey).toString('base64'),
          },
        ];
      }
      if (input.MessageType !== 'DIGEST' || input.SigningAlgorithm !== 'ECDSA_SHA_256') {
        return [400, { __type: 'ValidationException', message: 'expected ECDSA_SHA_256 over a DIGEST' }];
      }
      const digest = Buffer.from(String(input.Message), 'base64');
      return [
        200,
        {
          KeyId: key.arn,
          SigningAlgorithm: 'ECDSA_SHA_256',
          Signature: Buffer.from(signDigest(key.privateKey, digest)).toString('base64'),
        },
      ];
    },
    'secretsmanager.GetSecretValue': (input) => {
      const id = String(input.SecretId);
      const value = options.secrets?.[id];
      if (value === undefined) {
        return [400, { __type: 'ResourceNotFoundException', message: `secret ${id} not found` }];
      }
      return [
        200,
        {
          ARN: id,
          Name: id.split(':').pop(),
          SecretString: value,
          VersionId: randomUUID(),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(Date.now() / 1000),
        },
      ];
    },
  };

  const server = createServer((req, res) => {
    void answer(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  async function answer(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers['x-amz-target'];
    if (req.method === 'POST' && typeof target === 'string') {
      calls.push(target);
      const operation = operations[target];
      const [status, body] = operation
        ? operation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>)
        : [400, { __type: 'UnknownOperationException', message: target }];
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      return;
    }
    const file = options.files?.[req.url ?? ''];
    if (req.method === 'GET' && file) {
      res.writeHead(200, { 'content-type': file.contentType }).end(file.body);
      return;
    }
    res.writeHead(404).end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP API (payload format 2.0) event, as API Gateway hands it to a function. */
export function httpEvent(
  method: 'GET' | 'POST',
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
) {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'gateway.test',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    requestContext: {
      accountId: '111122223333',
      apiId: 'bundletest',
      domainName: 'gateway.test',
      domainPrefix: 'gateway',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bundle-test' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
  };
}

export interface LambdaResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/** How importing a bundle ended when it did not load: the error's name and message. */
export interface LoadFailure {
  failed: { name: string; message: string };
}

/**
 * Runs a bundle as Lambda's Node.js runtime would: a plain `node` (no tsx, no vitest), only `env`
 * as its environment, `import()` of index.mjs, then `handler(event)` for each event in turn.
 */
const DRIVER = `
const { pathToFileURL } = await import('node:url');
const [file, eventsJson] = process.argv.slice(1);
let mod;
try {
  mod = await import(pathToFileURL(file).href);
} catch (err) {
  process.stdout.write(JSON.stringify({ failed: { name: String(err?.name), message: String(err?.message) } }));
  process.exit(0);
}
const results = [];
for (const event of JSON.parse(eventsJson)) results.push(await mod.handler(event, {}));
process.stdout.write(JSON.stringify(results));
process.exit(0);
`;

export async function invokeBundle(
  file: string,
  env: Record<string, string>,
  events: readonly unknown[],
): Promise<LambdaResult[] | LoadFailure> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', DRIVER, file, JSON.stringify(events)],
    { env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as LambdaResult[] | LoadFailure;
}
