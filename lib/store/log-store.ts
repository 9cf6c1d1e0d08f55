import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Hash, Node, NodeId, NodeReader } from '../audit/merkle.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { AuditIndex, PENDING_SHARDS } from './tables.ts';
import { conditionFailures, guard, storageFailure, type TransactItems, transact } from './transact.ts';

/**
 * The province's Merkle log in the `log` table (pk, sk):
 *
 * | pk                      | sk              | item                                             |
 * | ----------------------- | --------------- | ------------------------------------------------ |
 * | `LEAF#<chunk>`          | leaf index (16) | `index`, `eventId`, `hash` (leaf hash, base64)   |
 * | `NODE#<level>#<chunk>`  | node index (16) | `level`, `index`, `hash`: a perfect subtree      |
 * | `CHECKPOINT`            | tree size (16)  | `treeSize`, `rootHash`, `note`, `signedAt`       |
 * | `HEAD`                  | `HEAD`          | the latest checkpoint: same members              |
 * | `BATCH`                 | first index (16)| `start`, `eventIds`: the batch being integrated  |
 * | `LEASE`                 | `SEQUENCER`     | `owner`, `expiresAt` (epoch ms)                  |
 *
 * Numbers in sort keys are zero-padded to 16 digits so they sort as numbers. A chunk is
 * `floor(index / chunkSize)` and spreads leaves and nodes over partitions. Leaf and node items are
 * written once with content that follows from the batch, so writing one again is harmless.
 */
export class LogStore implements NodeReader {
  private readonly chunkSize: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    options: { chunkSize?: number } = {},
  ) {
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 1)
      throw new TypeError('chunkSize must be positive');
  }

  async head(): Promise<StoredCheckpoint | undefined> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: HEAD_KEY, ConsistentRead: true })),
      WHAT,
    );
    return out.Item ? StoredCheckpointSchema.parse(out.Item) : undefined;
  }

  async checkpoint(treeSize: number): Promise<StoredCheckpoint | undefined> {
    const out = await guard(
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: CHECKPOINT_PK, sk: pad(treeSize) },
          ConsistentRead: true,
        }),
      ),
      WHAT,
    );
    return out.Item ? StoredCheckpointSchema.parse(out.Item) : undefined;
  }

  /** Every stored checkpoint, smallest first. */
  async checkpoints(): Promise<StoredCheckpoint[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': CHECKPOINT_PK },
      ConsistentRead: true,
    });
    return items.map((i) => StoredCheckpointSchema.parse(i));
  }

  /** Hashes of perfect subtrees (level 0: leaves), in the order asked. Throws if one is missing. */
  async read(ids: readonly NodeId[]): Promise<Hash[]> {
    const keys = ids.map((id) => this.keyOf(id));
    const found = new Map<string, Hash>();
    for (const item of await batchGet(this.doc, this.tableName, uniqueKeys(keys))) {
      const parsed = HashItemSchema.parse(item);
      found.set(`${parsed.pk}|${parsed.sk}`, fromBase64(parsed.hash));
    }
    return keys.map((k, i) => {
      const hash = found.get(`${k.pk}|${k.sk}`);
      if (!hash) throw new LogStorageError(`the log holds no node ${ids[i]?.level}/${ids[i]?.index}`);
      return hash;
    });
  }

  /** Stored leaves with index in [from, to), in index order (gaps are simply absent). */
  async leaves(from: number, to: number): Promise<StoredLeaf[]> {
    const items = await this.range((chunk) => `LEAF#${chunk}`, from, to);
    return items.map((i) => {
      const leaf = LeafItemSchema.parse(i);
      return { index: leaf.index, eventId: leaf.eventId, hash: fromBase64(leaf.hash) };
    });
  }

  /** Stored nodes of `level` with index in [from, to), in index order. */
  async nodes(level: number, from: number, to: number): Promise<Node[]> {
    if (level === 0) return (await this.leaves(from, to)).map(({ index, hash }) => ({ level, index, hash }));
    const items = await this.range((chunk) => `NODE#${level}#${chunk}`, from, to);
    return items.map((i) => {
      const node = NodeItemSchema.parse(i);
      return { level, index: node.index, hash: fromBase64(node.hash) };
    });
  }

  async writeLeaves(leaves: readonly StoredLeaf[]): Promise<void> {
    await batchWrite(
      this.doc,
      this.tableName,
      leaves.map((l) => ({
        ...this.keyOf({ level: 0, index: l.index }),
        index: l.index,
        eventId: l.eventId,
        hash: toBase64(l.hash),
      })),
    );
  }

  /** Nodes above the leaves (level >= 1). */
  async writeNodes(nodes: readonly Node[]): Promise<void> {
    if (nodes.some((n) => n.level < 1)) throw new TypeError('leaves are written with writeLeaves');
    await batchWrite(
      this.doc,
      this.tableName,
      nodes.map((n) => ({ ...this.keyOf(n), level: n.level, index: n.index, hash: toBase64(n.hash) })),
    );
  }

  /** The batch recorded to start at `start`, if one is in flight there. */
  async batch(start: number): Promise<BatchIntent | undefined> {
    const out = await guard(
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: BATCH_PK, sk: pad(start) },
          ConsistentRead: true,
        }),
      ),
      WHAT,
    );
    return out.Item ? BatchIntentSchema.parse(out.Item) : undefined;
  }

  /**
   * Records the batch about to be integrated after the head: its events in leaf order. Only while
   * the head is still at `start` and no batch is recorded there; false otherwise.
   */
  async beginBatch(batch: BatchIntent): Promise<boolean> {
    try {
      await transact(
        this.doc,
        [
          { ConditionCheck: { TableName: this.tableName, Key: HEAD_KEY, ...headAt(batch.start) } },
          {
            Put: {
              TableName: this.tableName,
              Item: { pk: BATCH_PK, sk: pad(batch.start), ...batch },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
        TX,
      );
      return true;
    } catch (err) {
      if (conditionFailures(err).length > 0) return false;
      throw err;
    }
  }

  /**
   * Moves the head from `start` to the signed checkpoint, stores the checkpoint and closes the
   * batch, in one transaction. False when the head is no longer at `start`: the head only moves
   * forward, and only once per batch.
   */
  async commitBatch(start: number, checkpoint: StoredCheckpoint): Promise<boolean> {
    const { treeSize, rootHash, note, signedAt } = checkpoint;
    const items: TransactItems = [
      {
        Update: {
          TableName: this.tableName,
          Key: HEAD_KEY,
          UpdateExpression: 'SET treeSize = :size, rootHash = :root, note = :note, signedAt = :at',
          ...headAt(start, { ':size': treeSize, ':root': rootHash, ':note': note, ':at': signedAt }),
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { pk: CHECKPOINT_PK, sk: pad(treeSize), ...checkpoint },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Delete: { TableName: this.tableName, Key: { pk: BATCH_PK, sk: pad(start) } } },
    ];
    try {
      await transact(this.doc, items, TX);
      return true;
    } catch (err) {
      if (conditionFailures(err).length > 0) return false;
      throw err;
    }
  }

  /** Takes or extends the sequencer lease; false while another owner holds an unexpired one. */
  async acquireLease(owner: string, now: Date, ttlMs: number): Promise<boolean> {
    return conditional(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...LEASE_KEY, owner, expiresAt: now.getTime() + ttlMs },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
        }),
      ),
      WHAT,
    );
  }

  /** Gives the lease up, unless another owner holds it by now. */
  async releaseLease(owner: string): Promise<void> {
    await conditional(
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: LEASE_KEY,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
      WHAT,
    );
  }

  private keyOf(id: NodeId): { pk: string; sk: string } {
    const chunk = Math.floor(id.index / this.chunkSize);
    return { pk: id.level === 0 ? `LEAF#${chunk}` : `NODE#${id.level}#${chunk}`, sk: pad(id.index) };
  }

  private async range(pkOf: (chunk: number) => string, from: number, to: number) {
    if (to <= from) return [];
    const chunks: number[] = [];
    for (let c = Math.floor(from / this.chunkSize); c <= Math.floor((to - 1) / this.chunkSize); c++)
      chunks.push(c);
    const parts = await Promise.all(
      chunks.map((c) =>
        queryAll(this.doc, {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pkOf(c), ':from': pad(from), ':to': pad(to - 1) },
          ConsistentRead: true,
        }),
      ),
    );
    return parts.flat();
  }
}

/**
 * The audit table as the log sees it: events waiting in the sparse `pending` index, events by id,
 * and the mark that an event is integrated (its `leafIndex`, and out of the pending index).
 */
export class LoggedEvents {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Up to `limit` waiting event ids, oldest first, merged from every shard. The index is
   * eventually consistent: it may still list events integrated a moment ago.
   */
  async pending(limit: number): Promise<string[]> {
    const shards = await Promise.all(
      Array.from({ length: PENDING_SHARDS }, (_, i) =>
        guard(
          this.doc.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: AuditIndex.pending,
              KeyConditionExpression: 'pendingShard = :shard',
              ExpressionAttributeValues: { ':shard': `P${i}` },
              ProjectionExpression: 'eventId',
              Limit: limit,
            }),
          ),
          WHAT_EVENTS,
        ),
      ),
    );
    const ids = shards.flatMap((s) => (s.Items ?? []).map((i) => z.string().parse(i.eventId)));
    return ids.sort().slice(0, limit);
  }

  /** The stored items of these events (strongly consistent); absent ids are not stored. */
  async get(eventIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const items = await batchGet(
      this.doc,
      this.tableName,
      [...new Set(eventIds)].map((eventId) => ({ eventId })),
    );
    return new Map(items.map((i) => [z.string().parse(i.eventId), i]));
  }

  /** The leaf index of an integrated event; undefined for a waiting or unknown event. */
  async leafIndexOf(eventId: string): Promise<number | undefined> {
    const out = await guard(
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { eventId },
          ProjectionExpression: 'leafIndex',
        }),
      ),
      WHAT_EVENTS,
    );
    return z.number().int().nonnegative().optional().parse(out.Item?.leafIndex);
  }

  /**
   * Marks an event integrated at `leafIndex`: sets it and takes the event out of the pending index.
   * Marking it again at the same index is harmless; 'missing' and 'elsewhere' mean the event is
   * gone or holds another index, and nothing was changed.
   */
  async mark(eventId: string, leafIndex: number): Promise<'marked' | 'missing' | 'elsewhere'> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { eventId },
          UpdateExpression: 'SET leafIndex = :i REMOVE pendingShard',
          ConditionExpression:
            'attribute_exists(eventId) AND (attribute_not_exists(leafIndex) OR leafIndex = :i)',
          ExpressionAttributeValues: { ':i': leafIndex },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'marked';
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return err.Item ? 'elsewhere' : 'missing';
      throw storageFailure(WHAT_EVENTS, err);
    }
  }

  /** Every stored event item (a full audit: verification only). */
  async all(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: ScanCommandInput['ExclusiveStartKey'];
    do {
      const out = await guard(
        this.doc.send(
          new ScanCommand({
            TableName: this.tableName,
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
        WHAT_EVENTS,
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

export const StoredCheckpointSchema = z.object({
  treeSize: z.number().int().nonnegative(),
  /** base64 */
  rootHash: z.string(),
  /** The signed note. */
  note: z.string(),
  signedAt: z.string(),
});
export type StoredCheckpoint = z.infer<typeof StoredCheckpointSchema>;

export const BatchIntentSchema = z.object({
  start: z.number().int().nonnegative(),
  /** In leaf order: event i of the list becomes leaf start + i. */
  eventIds: z.array(z.string()).min(1),
  createdAt: z.string(),
});
export type BatchIntent = z.infer<typeof BatchIntentSchema>;

export interface StoredLeaf {
  index: number;
  eventId: string;
  hash: Hash;
}

/** The log's storage answered something that cannot be: a node a proof needs is missing. */
export class LogStorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogStorageError';
  }
}

const DEFAULT_CHUNK = 4096;
const WHAT = 'the audit log';
const WHAT_EVENTS = 'the audit events';
const HEAD_KEY = { pk: 'HEAD', sk: 'HEAD' } as const;
const LEASE_KEY = { pk: 'LEASE', sk: 'SEQUENCER' } as const;
const CHECKPOINT_PK = 'CHECKPOINT';
const BATCH_PK = 'BATCH';
/** Batch limits of DynamoDB. */
const GET_MAX = 100;
const WRITE_MAX = 25;
const PARALLEL = 8;
const ATTEMPTS = 8;

const HashItemSchema = z.object({ pk: z.string(), sk: z.string(), hash: z.string() });
const LeafItemSchema = z.object({ index: z.number().int(), eventId: z.string(), hash: z.string() });
const NodeItemSchema = z.object({ index: z.number().int(), hash: z.string() });

const TX = {
  what: WHAT,
  attempts: 4,
  exhausted: (cause: unknown) => new DependencyUnavailableError('the audit log (concurrent changes)', cause),
};

/** The condition that the head is at `size` (no head at all for size 0), with extra values. */
function headAt(size: number, values: Record<string, unknown> = {}) {
  return size === 0
    ? {
        ConditionExpression: 'attribute_not_exists(pk)',
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      }
    : { ConditionExpression: 'treeSize = :start', ExpressionAttributeValues: { ':start': size, ...values } };
}

/** Whether a conditional write happened; false when its condition did not hold. */
async function conditional(pending: Promise<unknown>, what: string): Promise<boolean> {
  try {
    await pending;
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw storageFailure(what, err);
  }
}

function pad(n: number): string {
  return String(n).padStart(16, '0');
}

function toBase64(h: Hash): string {
  return Buffer.from(h).toString('base64');
}

function fromBase64(text: string): Hash {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function uniqueKeys(keys: { pk: string; sk: string }[]) {
  const seen = new Map(keys.map((k) => [`${k.pk}|${k.sk}`, k]));
  return [...seen.values()];
}

async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput) {
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
async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
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
        WHAT,
      );
      items.push(...(out.Responses?.[table] ?? []));
      request = out.UnprocessedKeys;
    }
    return items;
  });
  return found.flat();
}

/** BatchWrite puts in chunks of 25, retrying what DynamoDB left unprocessed. */
async function batchWrite(doc: DynamoDBDocumentClient, table: string, items: Record<string, unknown>[]) {
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
