import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isEntry } from '../lib/entry.ts';
import { TablesOutdatedError } from '../lib/store/dynamo.ts';
import { PortInUseError, startDynamoDbLocal } from './dynamodb-local.ts';
import { type Federation, startFederation } from './federation.ts';
import { guide } from './guide.ts';
import type { ProvinceSpec } from './provinces.ts';

// The AWS SDK's notice that its 2027 releases will need Node 22 says nothing a local run can act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The DynamoDB the federation stores in: its own DynamoDB Local, or one named by ELG_DYNAMODB_ENDPOINT. */
export interface DynamoDbChoice {
  endpoint: string;
  /** Started by this process (and stopped with it), or already running elsewhere (left alone). */
  own: boolean;
  stop(): Promise<void>;
}

export interface LocalFederationOptions {
  /** ELG_HOME, ELG_DYNAMODB_ENDPOINT, ELG_DYNAMODB_PORT; `process.env` for `npm start`. */
  env?: NodeJS.ProcessEnv;
  /** Where progress lines go (stdout for `npm start`). */
  out?: (text: string) => void;
  /** Called once the DynamoDB is chosen (and started), before the provinces start. */
  onDynamoDb?: (dynamodb: DynamoDbChoice) => void;
  /** The fixed ports of docs/protocol.md §15 for `npm start`; tests take free ones. */
  ports?: 'fixed' | 'ephemeral';
  tablePrefix?: string;
  provinces?: readonly ProvinceSpec[];
}

export interface LocalFederation {
  federation: Federation;
  dynamodb: DynamoDbChoice;
  dir: string;
  /** Stops the provinces, then DynamoDB Local if this process started it. */
  stop(): Promise<void>;
}

/**
 * The DynamoDB of ELG_DYNAMODB_ENDPOINT (DynamoDB Local or LocalStack already running, or any
 * DynamoDB endpoint), used as it is; without it, DynamoDB Local started on ELG_DYNAMODB_PORT
 * (default 8030), which must be free: whatever else answers there is refused, never used.
 */
export async function chooseDynamoDb(
  env: NodeJS.ProcessEnv,
  dir: string,
  out: (text: string) => void,
): Promise<DynamoDbChoice> {
  const named = env.ELG_DYNAMODB_ENDPOINT?.trim();
  if (named) {
    const endpoint = checkedEndpoint(named);
    out(`Using the DynamoDB at ${endpoint} (ELG_DYNAMODB_ENDPOINT); not starting DynamoDB Local.\n`);
    return { endpoint, own: false, stop: async () => {} };
  }
  const rawPort = env.ELG_DYNAMODB_PORT ?? '8030';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`ELG_DYNAMODB_PORT must be a TCP port (1-65535), not ${rawPort}`);
  }
  const dbPath = resolve(dir, 'dynamodb');
  await mkdir(dbPath, { recursive: true });
  out(`Starting DynamoDB Local on 127.0.0.1:${port} (data in ${dbPath}) ...\n`);
  const ddb = await startDynamoDbLocal({ port, dbPath });
  return { endpoint: ddb.endpoint, own: true, stop: () => ddb.stop() };
}

function checkedEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`ELG_DYNAMODB_ENDPOINT must be an http(s) URL such as http://127.0.0.1:8000, not ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`ELG_DYNAMODB_ENDPOINT must be http or https, not ${url.protocol}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** What `npm start` runs: the DynamoDB, then the provinces over it. Keys and data persist in ELG_HOME. */
export async function startLocalFederation(options: LocalFederationOptions = {}): Promise<LocalFederation> {
  const env = options.env ?? process.env;
  const out = options.out ?? (() => {});
  const dir = resolve(env.ELG_HOME ?? '.elg');
  const dynamodb = await chooseDynamoDb(env, dir, out);
  options.onDynamoDb?.(dynamodb);
  let federation: Federation;
  try {
    federation = await startFederation({
      dir,
      dynamodbEndpoint: dynamodb.endpoint,
      ports: options.ports ?? 'fixed',
      ...(options.tablePrefix ? { tablePrefix: options.tablePrefix } : {}),
      ...(options.provinces ? { provinces: options.provinces } : {}),
    });
  } catch (err) {
    await dynamodb.stop();
    throw err;
  }
  return {
    federation,
    dynamodb,
    dir,
    async stop() {
      await federation.stop();
      await dynamodb.stop();
    },
  };
}

/**
 * `npm start`: DynamoDB Local (or the DynamoDB of ELG_DYNAMODB_ENDPOINT) and the five provinces of
 * docs/protocol.md §15. Data and keys persist under `.elg/`; Ctrl-C stops everything.
 */
async function main() {
  const env = process.env;
  const dir = resolve(env.ELG_HOME ?? '.elg');
  let dynamodb: DynamoDbChoice | undefined;
  let local: LocalFederation | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\nStopping the federation${dynamodb?.own ? ' and DynamoDB Local' : ''} ...\n`);
    if (local) await local.stop();
    else await dynamodb?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    local = await startLocalFederation({
      env,
      out: (text) => process.stdout.write(text),
      onDynamoDb: (chosen) => {
        dynamodb = chosen;
      },
    });
  } catch (err) {
    process.stderr.write(
      `The federation could not start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    if (err instanceof TablesOutdatedError) {
      process.stderr.write(
        `The local data in ${dir} comes from an earlier version. Move it aside (mv ${dir} ${dir}.old) ` +
          'or remove it, then run npm start again.\n',
      );
    } else if (dynamodb && !dynamodb.own && !(err instanceof PortInUseError)) {
      process.stderr.write(
        `Is the DynamoDB at ${dynamodb.endpoint} (ELG_DYNAMODB_ENDPOINT) running, and reachable from here?\n`,
      );
    }
    await stop(1);
    return;
  }
  process.stdout.write(guide(local.federation));
}

if (isEntry(import.meta.url)) void main();
