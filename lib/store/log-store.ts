import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Hash, Node, NodeId, NodeReader } from '../audit/merkle.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { batchGet, batchWrite, queryAll, uniqueKeys } from './batch.ts';
import {
  type BatchIntent,
  BatchIntentSchema,
  fromBase64,
  HashItemSchema,
  LeafItemSchema,
  NodeItemSchema,
  pad,
  type StoredCheckpoint,
  StoredCheckpointSchema,
  type StoredLeaf,
  toBase64,
} from './log-records.ts';
import { LogStorageError } from './log-storage-error.ts';
import { acquireSequencerLease, releaseSequencerLease } from './sequencer-lease.ts';
import { conditionFailures, guard, type TransactItems, transact } from './transact.ts';

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
    return this.item(HEAD_KEY, StoredCheckpointSchema);
  }

  async checkpoint(treeSize: number): Promise<StoredCheckpoint | undefined> {
    return this.item({ pk: CHECKPOINT_PK, sk: pad(treeSize) }, StoredCheckpointSchema);
  }

  /** The item at `key`, read consistently and parsed; undefined when there is none. */
  private async item<T>(
    key: { pk: string; sk: string },
    schema: { parse(item: unknown): T },
  ): Promise<T | undefined> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
      WHAT,
    );
    return out.Item ? schema.parse(out.Item) : undefined;
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
    return this.item({ pk: BATCH_PK, sk: pad(start) }, BatchIntentSchema);
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
    return acquireSequencerLease(this.doc, this.tableName, owner, now, ttlMs);
  }

  /** Gives the lease up, unless another owner holds it by now. */
  async releaseLease(owner: string): Promise<void> {
    await releaseSequencerLease(this.doc, this.tableName, owner);
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

const DEFAULT_CHUNK = 4096;
const WHAT = 'the audit log';
const HEAD_KEY = { pk: 'HEAD', sk: 'HEAD' } as const;
const CHECKPOINT_PK = 'CHECKPOINT';
const BATCH_PK = 'BATCH';

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
