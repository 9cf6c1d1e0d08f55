import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../errors.ts';
import { guard } from './transact.ts';

/** What a failed read or write here is reported as, whichever table it went to. */
const WHAT = 'the audit log';
/** Batch limits of DynamoDB. */
const GET_MAX = 100;
const WRITE_MAX = 25;
const PARALLEL = 8;
const ATTEMPTS = 8;

/** Every page of a query. */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput) {
  const items: Record<string, unknown>[] = [];
  let start: QueryCommandInput['ExclusiveStartKey'];
  do {
    const out = await guard(
      doc.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
      WHAT,
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Strongly consistent BatchGet in chunks of 100, retrying what DynamoDB left unprocessed. */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  what: string = WHAT,
): Promise<Record<string, unknown>[]> {
  const chunks = chunked(keys, GET_MAX);
  const found = await inParallel(chunks, async (chunk) => {
    const items: Record<string, unknown>[] = [];
    let request: BatchGetCommandInput['RequestItems'] = { [table]: { Keys: chunk, ConsistentRead: true } };
    for (let attempt = 1; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > ATTEMPTS) throw new DependencyUnavailableError(`${table} (batch reads left unprocessed)`);
      if (attempt > 1) await backoff(attempt);
      const out: BatchGetCommandOutput = await guard(
        doc.send(new BatchGetCommand({ RequestItems: request })),
        what,
      );
      items.push(...(out.Responses?.[table] ?? []));
      request = out.UnprocessedKeys;
    }
    return items;
  });
  return found.flat();
}

/** BatchWrite puts in chunks of 25, retrying what DynamoDB left unprocessed. */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  items: Record<string, unknown>[],
) {
  await inParallel(chunked(items, WRITE_MAX), async (chunk) => {
    let request: BatchWriteCommandInput['RequestItems'] = {
      [table]: chunk.map((Item) => ({ PutRequest: { Item } })),
    };
    for (let attempt = 1; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > ATTEMPTS)
        throw new DependencyUnavailableError(`${table} (batch writes left unprocessed)`);
      if (attempt > 1) await backoff(attempt);
      const out: BatchWriteCommandOutput = await guard(
        doc.send(new BatchWriteCommand({ RequestItems: request })),
        WHAT,
      );
      request = out.UnprocessedItems;
    }
  });
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over the items, at most PARALLEL at a time, results in order. */
export async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return results;
}

function backoff(attempt: number) {
  return new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt) * Math.random()));
}
