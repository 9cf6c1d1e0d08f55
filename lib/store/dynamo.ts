import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTableInput, indexDifference, TABLES, type TableNames } from './tables.ts';

export interface DynamoOptions {
  /** DynamoDB Local or LocalStack; the AWS default chain when absent. */
  endpoint?: string;
  region?: string;
}

/**
 * Time bounds on every DynamoDB call. Without them the SDK's HTTP handler waits for ever: a
 * DynamoDB that stops answering held requests past the Lambda timeout, the function died without
 * answering, and the SDK carried the requests out afterwards with nobody listening.
 *
 * Worst case of one call: 3 attempts x 1 s + the SDK's backoff between them (at most 50 ms then
 * 100 ms after timeouts; up to 1 s then 2 s after throttling, or longer on a Retry-After hint),
 * cut at 3.5 s in every case by the call deadline, which also stops any further attempt. A request
 * that meets dead storage spends at most two calls on it, the failing one and the refusal event
 * it then tries to write (7 s), plus 3 s for a cross-province call in verification (10 s), under
 * the 15-20 s of the HTTP functions that touch storage (functions/catalog.ts). The discovery
 * function (10 s) only makes the health probe, bounded at 1.5 s so /healthz answers within 2 s.
 * DynamoDB answers item calls in milliseconds, so 1 s per attempt is generous.
 */
export const STORAGE_BOUNDS = {
  /** TCP connect of one attempt. */
  connectMs: 1000,
  /** One attempt, from sending to the response headers, and then each silence in the body. */
  attemptMs: 1000,
  attempts: 3,
  /** One call, every attempt and backoff included. */
  callMs: 3500,
  /** The /healthz probe: one answer inside the 2 s a health check waits. */
  probeMs: 1500,
} as const;

/**
 * Bounds on creating and checking tables (embedded mode, tests and benches, at start only: CDK
 * owns the tables on AWS). CreateTable with its indexes is a control-plane call that DynamoDB
 * Local, creating a federation's tables at once on a loaded machine, can take seconds to answer;
 * no user's request waits on it, so it runs over a client of its own with longer bounds.
 */
export const TABLE_SETUP_BOUNDS = {
  connectMs: 1000,
  attemptMs: 20_000,
  attempts: 3,
  callMs: 60_000,
} as const;

export interface StorageBounds {
  connectMs: number;
  attemptMs: number;
  attempts: number;
  callMs: number;
}

/** What a call may pass to `send`: its own deadline, or a longer attempt for a large read. */
interface SendOptions {
  abortSignal?: AbortSignal;
  requestTimeout?: number;
}

export function createDocumentClient(options: DynamoOptions = {}): DynamoDBDocumentClient {
  return documentClient(options, STORAGE_BOUNDS);
}

function documentClient(options: DynamoOptions, bounds: StorageBounds): DynamoDBDocumentClient {
  const doc = DynamoDBDocumentClient.from(storageClient(options, bounds), {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  return withCallDeadline(doc, bounds.callMs);
}

/**
 * The SDK's low-level client under the DocumentClient, with its bounds, without its logger
 * middleware and with one SigV4 signer. Exported for `npm run bench -- sdk`, which measures it with
 * `cacheMiddleware` beside the gateways' DocumentClient: the DocumentClient refuses that setting,
 * and a cached stack takes no options of `send`, so it could not carry a call's deadline.
 */
export function storageClient(
  options: DynamoOptions,
  bounds: StorageBounds,
  settings: { cacheMiddleware?: boolean } = {},
): DynamoDBClient {
  const client = new DynamoDBClient({
    ...settings,
    region: options.region ?? process.env.AWS_REGION ?? 'cn-north-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    // DynamoDB Local and LocalStack on this machine take any key; any other endpoint (a real
    // account's, say) gets the AWS default credential chain.
    ...(isLoopback(options.endpoint)
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: bounds.attempts,
    requestHandler: {
      connectionTimeout: bounds.connectMs,
      requestTimeout: bounds.attemptMs,
      socketTimeout: bounds.attemptMs,
      // Without this an attempt past requestTimeout only logs a warning and goes on waiting.
      throwOnRequestTimeout: true,
    },
  });
  // The client has no logger (the SDK's default logs nothing), but its logger middleware still
  // copies and filters every request's input and output for the log line it then drops.
  client.middlewareStack.remove('loggerMiddleware');
  reuseSigner(client);
  return client;
}

/**
 * The SDK builds a new SigV4 signer for every request, from a copy of the whole client config,
 * although it is the same signer each time: the region and service it takes stick to the config
 * after the first request, and its credentials are the client's provider, which refreshes them
 * itself. Built once instead (again if building it failed); each request is still signed for the
 * region and service its endpoint names, with the credentials of the moment.
 */
function reuseSigner(client: DynamoDBClient): void {
  const config = client.config;
  const perRequest = config.signer;
  let built: ReturnType<typeof perRequest> | undefined;
  config.signer = (authScheme) => {
    built ??= perRequest(authScheme).catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };
}

/** Whether an endpoint is on this machine (loopback), where storage takes any credentials. */
export function isLoopback(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/**
 * Gives every call a deadline through the SDK's abort signal: the attempt in flight is cut, the
 * backoff before the next one ends, and no attempt starts after it. The SDK takes an abort signal
 * only as an option of `send`, so `send` is wrapped; a caller's own signal still applies.
 */
function withCallDeadline(doc: DynamoDBDocumentClient, callMs: number): DynamoDBDocumentClient {
  const send = doc.send.bind(doc) as (command: unknown, options?: unknown) => Promise<unknown>;
  const bounded = async (command: unknown, options?: unknown) => {
    if (typeof options === 'function') return send(command, options);
    const own = options as SendOptions | undefined;
    const deadline = new AbortController();
    // Cleared as soon as the call settles: a timer per call must not outlive it by seconds.
    const timer = setTimeout(
      () => deadline.abort(new DOMException(`no answer from DynamoDB within ${callMs} ms`, 'TimeoutError')),
      callMs,
    );
    try {
      return await send(command, {
        ...own,
        abortSignal: own?.abortSignal ? AbortSignal.any([own.abortSignal, deadline.signal]) : deadline.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  };
  doc.send = bounded as DynamoDBDocumentClient['send'];
  return doc;
}

/**
 * Creates the province's tables if missing (embedded mode and tests; CDK owns them on AWS), over a
 * client of its own with TABLE_SETUP_BOUNDS, closed when done.
 */
export async function ensureTables(storage: DynamoOptions, names: TableNames): Promise<void> {
  const doc = documentClient(storage, TABLE_SETUP_BOUNDS);
  try {
    await createTables(doc, names);
  } finally {
    doc.destroy();
  }
}

async function createTables(doc: DynamoDBDocumentClient, names: TableNames): Promise<void> {
  // Tables in parallel; each is created, or checked to hold today's indexes when kept.
  await Promise.all(
    TABLES.map(async (def) => {
      const name = names[def.kind];
      try {
        await doc.send(new CreateTableCommand(createTableInput(def, name)));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
      const table = await waitActive(doc, name);
      // A table kept from an earlier version may lack indexes added since, or hold one with other
      // keys or another projection. DynamoDB changes neither in place (an index is dropped and
      // built again), and DynamoDB Local does not add indexes to existing tables reliably (they can
      // stay CREATING for good), so say so.
      const kept = table?.GlobalSecondaryIndexes ?? [];
      const missing: string[] = [];
      const outdated: OutdatedIndex[] = [];
      for (const index of def.indexes ?? []) {
        const found = kept.find((i) => i.IndexName === index.name);
        if (!found) missing.push(index.name);
        else {
          const differs = indexDifference(def, index, found);
          if (differs) outdated.push({ index: index.name, differs });
        }
      }
      if (missing.length > 0 || outdated.length > 0) throw new TablesOutdatedError(name, missing, outdated);
      if (def.ttlAttribute) {
        try {
          await doc.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
            }),
          );
        } catch {
          // Already enabled on a reused table: DynamoDB refuses to set it twice.
        }
      }
    }),
  );
}

/** An index a kept table holds with other keys or another projection than today's definition. */
export interface OutdatedIndex {
  index: string;
  /** What differs, e.g. `keys actionShard/eventId (kept: action/eventId)`. */
  differs: string;
}

/**
 * A table created by an earlier version of the project: without indexes the code now queries, or
 * with an index whose keys or projection are not today's.
 */
export class TablesOutdatedError extends Error {
  override name = 'TablesOutdatedError';
  constructor(
    readonly table: string,
    readonly missingIndexes: readonly string[],
    readonly outdatedIndexes: readonly OutdatedIndex[] = [],
  ) {
    const parts = [
      ...(missingIndexes.length > 0 ? [`it lacks the indexes ${missingIndexes.join(', ')}`] : []),
      ...outdatedIndexes.map((o) => `its index ${o.index} differs: ${o.differs}`),
    ];
    super(`table ${table} was created by an earlier version: ${parts.join('; ')}`);
  }
}

async function waitActive(doc: DynamoDBDocumentClient, name: string) {
  for (;;) {
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: name }));
    const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesReady) return Table;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether the province's storage answers, for /healthz: the audit table (every state change
 * writes to it) is there and active. DescribeTable on one table is all a deployed function needs
 * for this; ListTables would need a grant on every resource. Bounded by its own short deadline,
 * so a storage that hangs reads as down in time for the health check.
 */
export async function storageAnswers(
  doc: DynamoDBDocumentClient,
  auditTable: string,
  probeMs: number = STORAGE_BOUNDS.probeMs,
): Promise<boolean> {
  try {
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: auditTable }), {
      abortSignal: AbortSignal.timeout(probeMs),
    });
    return Table?.TableStatus === 'ACTIVE' || Table?.TableStatus === 'UPDATING';
  } catch {
    return false;
  }
}
