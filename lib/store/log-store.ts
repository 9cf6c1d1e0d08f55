import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { HASH_BYTES, type Hash, type Node, type NodeId, type NodeReader } from '../audit/merkle.ts';
import {
  assertTileHeight,
  baseOf,
  DEFAULT_TILE_HEIGHT,
  type DerivedNodes,
  deriveNodes,
  nodesAt,
  type TileId,
  tileWidth,
  touchedTiles,
} from '../audit/tiles.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { batchGet, inParallel, queryAll } from './batch.ts';
import {
  type BatchIntent,
  BatchIntentSchema,
  BundleItemSchema,
  pad,
  type StoredCheckpoint,
  StoredCheckpointSchema,
  type StoredLeaf,
  TileItemSchema,
  type WitnessLine,
  type WitnessSize,
  WitnessSizeSchema,
} from './log-records.ts';
import { LogStorageError } from './log-storage-error.ts';
import { acquireSequencerLease, releaseSequencerLease } from './sequencer-lease.ts';
import { conditionFailures, guard, storageFailure, type TransactItems, transact } from './transact.ts';
/**
 * The province's Merkle log in the `log` table (pk, sk), its tree stored as tiles
 * (lib/audit/tiles.ts):
 *
 * | pk                      | sk              | item                                                  |
 * | ----------------------- | --------------- | ----------------------------------------------------- |
 * | `TILE#<level>#<index>`  | `TILE`          | `height`, `level`, `index`, `width`, `hashes` (binary: |
 * |                         |                 | `width` hashes of 32 bytes, in order)                  |
 * | `EVENTS#<index>`        | `EVENTS`        | `height`, `index`, `width`, `eventIds`: the events of  |
 * |                         |                 | the leaves of tile `0/<index>`, in leaf order          |
 * | `CHECKPOINT`            | tree size (16)  | `treeSize`, `rootHash`, `note`, `signedAt`, and once  |
 * |                         |                 | witnesses cosigned it `cosignatures` (a map: witness  |
 * |                         |                 | province to its cosignature/v1 line) and `witnessed`  |
 * | `HEAD`                  | `HEAD`          | the latest checkpoint: same members                   |
 * | `WITNESSED`             | `WITNESSED`     | `treeSize`: the newest checkpoint that met its quorum |
 * | `WITNESS#<province>`    | `WITNESS`       | `witness`, `treeSize`, `updatedAt`: the size of the   |
 * |                         |                 | checkpoint that witness last cosigned for this log    |
 * | `BATCH`                 | first index (16)| `start`, `eventIds`: the batch being integrated       |
 * | `LEASE`                 | `SEQUENCER`     | `owner`, `expiresAt` (epoch ms)                       |
 *
 * Numbers in sort keys are zero-padded to 16 digits so they sort as numbers. Every tile is an item
 * and a partition key of its own, so the log's writes spread over partitions as it grows: a tile
 * is written once per batch that adds to it, and no more than 2^height times in its life. A tile
 * only grows (a write never narrows it: each is conditional on the stored one being narrower, and
 * one that is not must begin with the same hashes), so a tile read once is good for every node it
 * held then: the store keeps the tiles it read (a bounded number) and reads one again only for
 * nodes it did not hold yet.
 *
 * Cosignatures (docs/protocol.md §19.4) are set per witness only where that witness has none yet
 * (`if_not_exists`), on the checkpoint and on the head while it is that checkpoint, in one
 * transaction: concurrent collections each add their own, none replaces or repeats another's.
 */
export class LogStore implements NodeReader {
  readonly tileHeight: number;
  private readonly width: number;
  private readonly cache = new Map<string, Uint8Array>();
  private readonly derived = new KeptNodes(KEPT_DERIVED);

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    options: { tileHeight?: number } = {},
  ) {
    this.tileHeight = options.tileHeight ?? DEFAULT_TILE_HEIGHT;
    assertTileHeight(this.tileHeight);
    this.width = tileWidth(this.tileHeight);
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

  /**
   * Hashes of perfect subtrees (level 0: leaves), in the order asked, from the tiles that hold
   * them (one BatchGetItem for those not kept from an earlier read). Throws if one is missing.
   */
  async read(ids: readonly NodeId[]): Promise<Hash[]> {
    const needs = ids.map((id) => {
      const base = baseOf(id, this.tileHeight);
      return { tile: base.tile, width: base.first + base.count - base.tile.index * this.width };
    });
    const tiles = await this.tiles(needs);
    const hashes = deriveNodes(
      ids,
      this.tileHeight,
      (level, index) =>
        hashAt(
          tiles.get(tileKey({ level: level / this.tileHeight, index: Math.floor(index / this.width) })),
          index % this.width,
        ),
      this.derived,
    );
    return hashes.map((hash, i) => {
      if (!hash) throw new LogStorageError(`the log holds no node ${ids[i]?.level}/${ids[i]?.index}`);
      return hash;
    });
  }

  /** Stored leaves with index in [from, to), in index order (gaps are simply absent). */
  async leaves(from: number, to: number): Promise<StoredLeaf[]> {
    if (to <= from) return [];
    const first = Math.floor(from / this.width);
    const last = Math.floor((to - 1) / this.width);
    const indexes = Array.from({ length: last - first + 1 }, (_, i) => first + i);
    const [tiles, bundles] = await Promise.all([
      this.fetchTiles(indexes.map((index) => ({ level: 0, index }))),
      this.fetchBundles(indexes),
    ]);
    const out: StoredLeaf[] = [];
    for (let i = from; i < to; i++) {
      const t = Math.floor(i / this.width);
      const hash = hashAt(tiles.get(tileKey({ level: 0, index: t })), i % this.width);
      const eventId = bundles.get(t)?.[i % this.width];
      if (hash && eventId) out.push({ index: i, eventId, hash });
    }
    return out;
  }

  /**
   * The stored nodes above the leaves in a tree of `size` leaves: those of the levels that are
   * multiples of the tile height; the levels between are computed from them.
   */
  async storedNodes(size: number): Promise<Node[]> {
    const wanted: TileId[] = [];
    for (let level = this.tileHeight; nodesAt(level, size) > 0; level += this.tileHeight) {
      for (let index = 0; index * this.width < nodesAt(level, size); index++) {
        wanted.push({ level: level / this.tileHeight, index });
      }
    }
    const tiles = await this.fetchTiles(wanted);
    const out: Node[] = [];
    for (const tile of wanted) {
      const level = tile.level * this.tileHeight;
      const hashes = tiles.get(tileKey(tile));
      const count = Math.min(this.width, nodesAt(level, size) - tile.index * this.width);
      for (let i = 0; i < count; i++) {
        const hash = hashAt(hashes, i);
        if (hash) out.push({ level, index: tile.index * this.width + i, hash });
      }
    }
    return out;
  }

  /**
   * Adds a batch to the tiles: `nodes` are every node that became complete (its leaves
   * included, as `append` gives them) and `leaves` name the batch's events. Each tile and event
   * bundle the batch touches is put whole, with what it held before, only where the stored one is
   * narrower; writing a batch again (a resumed run, a retry) is harmless. Throws LogStorageError
   * when a stored tile contradicts the batch.
   */
  async extend(leaves: readonly StoredLeaf[], nodes: readonly Node[]): Promise<void> {
    const touched = touchedTiles(nodes, this.tileHeight);
    const kept = touched.filter((t) => t.keep > 0);
    const [before, bundles] = await Promise.all([
      this.tiles(kept.map((t) => ({ tile: t.tile, width: t.keep }))),
      this.fetchBundles(kept.filter((t) => t.tile.level === 0).map((t) => t.tile.index)),
    ]);
    const byLevel = new Map<string, Hash>(nodes.map((n) => [`${n.level}/${n.index}`, n.hash]));
    const eventOf = new Map(leaves.map((l) => [l.index, l.eventId]));
    const writes: Record<string, unknown>[] = [];
    for (const t of touched) {
      const level = t.tile.level * this.tileHeight;
      const start = t.tile.index * this.width;
      const width = t.to - start;
      const hashes = new Uint8Array(width * HASH_BYTES);
      if (t.keep > 0) {
        const prior = before.get(tileKey(t.tile));
        if (!prior || prior.length < t.keep * HASH_BYTES)
          throw new LogStorageError(
            `tile ${tileKey(t.tile)} holds fewer than the ${t.keep} hashes the log has`,
          );
        hashes.set(prior.subarray(0, t.keep * HASH_BYTES));
      }
      for (let i = t.from; i < t.to; i++) {
        const hash = byLevel.get(`${level}/${i}`);
        if (!hash) throw new TypeError(`node ${level}/${i} is not among the batch's nodes`);
        hashes.set(hash, (i - start) * HASH_BYTES);
      }
      writes.push({ ...this.tileItemKey(t.tile), height: this.tileHeight, ...t.tile, width, hashes });
      if (t.tile.level !== 0) continue;
      const prior = t.keep > 0 ? bundles.get(t.tile.index) : [];
      if (!prior || prior.length < t.keep)
        throw new LogStorageError(`the events of tile ${tileKey(t.tile)} are not stored`);
      const eventIds = [...prior.slice(0, t.keep)];
      for (let i = t.from; i < t.to; i++) {
        const id = eventOf.get(i);
        if (!id) throw new TypeError(`leaf ${i} names no event`);
        eventIds.push(id);
      }
      writes.push({
        ...bundleKey(t.tile.index),
        height: this.tileHeight,
        index: t.tile.index,
        width,
        eventIds,
      });
    }
    await inParallel(writes, (item) => this.putGrowing(item));
    for (const w of writes)
      if (w.hashes instanceof Uint8Array) this.remember(tileKey(w as unknown as TileId), w.hashes);
  }

  /** Puts a tile or bundle unless the stored one is as wide; one that is must agree with it. */
  private async putGrowing(item: Record<string, unknown>): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR width < :w',
          ExpressionAttributeValues: { ':w': item.width },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw storageFailure(WHAT, err);
      // Written already, as wide or wider (a resumed batch, a retry): rare, so read it to compare.
      const key = { pk: String(item.pk), sk: String(item.sk) };
      const stored = (await this.item(key, { parse: (i) => i as Record<string, unknown> })) ?? {};
      if (!agrees(item, stored))
        throw new LogStorageError(`${String(item.pk)} is stored with other content than the log's`);
    }
  }

  /**
   * The hashes of tiles, each at least `width` wide: kept ones where they are wide enough,
   * the others read (strongly consistent) and kept.
   */
  private async tiles(needs: readonly { tile: TileId; width: number }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const widest = new Map<string, { tile: TileId; width: number }>();
    for (const n of needs) {
      const key = tileKey(n.tile);
      const w = widest.get(key);
      if (!w || w.width < n.width) widest.set(key, n);
    }
    const missing: TileId[] = [];
    for (const [key, n] of widest) {
      const kept = this.cache.get(key);
      if (kept && kept.length >= n.width * HASH_BYTES) {
        out.set(key, kept);
        // Most recently used last: the oldest goes first when the store keeps too many.
        this.cache.delete(key);
        this.cache.set(key, kept);
      } else missing.push(n.tile);
    }
    for (const [key, hashes] of await this.fetchTiles(missing)) {
      out.set(key, hashes);
      this.remember(key, hashes);
    }
    return out;
  }

  private remember(key: string, hashes: Uint8Array): void {
    const kept = this.cache.get(key);
    if (kept && kept.length >= hashes.length) return;
    this.cache.delete(key);
    this.cache.set(key, hashes);
    while (this.cache.size > KEPT_TILES) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  /** Tiles as stored (absent ones left out), checked: of this log's height, where their key says. */
  private async fetchTiles(ids: readonly TileId[]): Promise<Map<string, Uint8Array>> {
    const items = await batchGet(
      this.doc,
      this.tableName,
      ids.map((id) => this.tileItemKey(id)),
    );
    const out = new Map<string, Uint8Array>();
    for (const item of items) {
      const tile = this.parseStored(TileItemSchema, item);
      if (tile.hashes.length !== tile.width * HASH_BYTES)
        throw new LogStorageError(
          `tile ${tileKey(tile)} holds ${tile.hashes.length} bytes for ${tile.width} hashes`,
        );
      if (item.pk !== this.tileItemKey(tile).pk)
        throw new LogStorageError(`the item ${String(item.pk)} holds tile ${tileKey(tile)}`);
      out.set(tileKey(tile), tile.hashes);
    }
    return out;
  }

  /** Event bundles as stored, by tile index. */
  private async fetchBundles(indexes: readonly number[]): Promise<Map<number, string[]>> {
    const items = await batchGet(this.doc, this.tableName, indexes.map(bundleKey));
    const out = new Map<number, string[]>();
    for (const item of items) {
      const bundle = this.parseStored(BundleItemSchema, item);
      if (bundle.eventIds.length !== bundle.width || item.pk !== bundleKey(bundle.index).pk)
        throw new LogStorageError(`the event bundle ${String(item.pk)} is malformed`);
      out.set(bundle.index, bundle.eventIds);
    }
    return out;
  }

  private parseStored<T extends { height: number; width: number }>(
    schema: { safeParse(item: unknown): { success: true; data: T } | { success: false } },
    item: Record<string, unknown>,
  ): T {
    const parsed = schema.safeParse(item);
    if (!parsed.success) throw new LogStorageError(`the log item ${String(item.pk)} is malformed`);
    if (parsed.data.height !== this.tileHeight)
      throw new LogStorageError(
        `the log item ${String(item.pk)} has tiles of height ${parsed.data.height}, this store ${this.tileHeight}`,
      );
    if (parsed.data.width > this.width)
      throw new LogStorageError(`the log item ${String(item.pk)} is wider than a tile`);
    return parsed.data;
  }

  private tileItemKey(id: TileId): { pk: string; sk: string } {
    return { pk: `TILE#${tileKey(id)}`, sk: 'TILE' };
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
          // The previous head's cosignatures and quorum are of its checkpoint, not of this one.
          UpdateExpression:
            'SET treeSize = :size, rootHash = :root, note = :note, signedAt = :at, cosignatures = :none ' +
            'REMOVE witnessed',
          ...headAt(start, {
            ':size': treeSize,
            ':root': rootHash,
            ':note': note,
            ':at': signedAt,
            ':none': {},
          }),
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            pk: CHECKPOINT_PK,
            sk: pad(treeSize),
            treeSize,
            rootHash,
            note,
            signedAt,
            cosignatures: {},
          },
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

  /**
   * Keeps witnesses' cosignature lines with the checkpoint of `treeSize`, and with the head while
   * the head is that checkpoint, in one transaction: each line only where its witness has none
   * yet there, so a cosignature is never lost (every collection adds its own) nor repeated (a
   * witness keeps its first). Lines are checked by the caller (verifyCosignature); this checks
   * their form. Returns the checkpoint as stored after; undefined when there is none of that size.
   */
  async addCosignatures(
    treeSize: number,
    lines: readonly WitnessLine[],
  ): Promise<StoredCheckpoint | undefined> {
    for (const l of lines) {
      if (!WITNESS_ID.test(l.witness)) throw new TypeError(`not a witness province: ${l.witness}`);
      if (!SIGNATURE_LINE.test(l.line)) throw new TypeError(`not a signature line of ${l.witness}`);
    }
    if (new Set(lines.map((l) => l.witness)).size !== lines.length) {
      throw new TypeError('one cosignature per witness');
    }
    const key = { pk: CHECKPOINT_PK, sk: pad(treeSize) };
    if (lines.length === 0) return this.checkpoint(treeSize);
    // A checkpoint stored before cosignatures were kept has no map yet: give it (and the head,
    // while it is that checkpoint) an empty one first; one already there is left as it is.
    await Promise.all([
      this.updateIf({
        Key: key,
        UpdateExpression: 'SET cosignatures = if_not_exists(cosignatures, :none)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':none': {} },
      }),
      this.updateIf({
        Key: HEAD_KEY,
        UpdateExpression: 'SET cosignatures = if_not_exists(cosignatures, :none)',
        ConditionExpression: 'treeSize = :size',
        ExpressionAttributeValues: { ':none': {}, ':size': treeSize },
      }),
    ]);
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = lines.map((l, i) => {
      names[`#w${i}`] = l.witness;
      values[`:l${i}`] = l.line;
      return `cosignatures.#w${i} = if_not_exists(cosignatures.#w${i}, :l${i})`;
    });
    const update = (k: Record<string, unknown>, condition: string, extra: Record<string, unknown> = {}) => ({
      Update: {
        TableName: this.tableName,
        Key: k,
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ...extra },
      },
    });
    try {
      await transact(
        this.doc,
        [
          update(key, 'attribute_exists(cosignatures)'),
          update(HEAD_KEY, 'treeSize = :size AND attribute_exists(cosignatures)', { ':size': treeSize }),
        ],
        TX,
      );
    } catch (err) {
      const failed = conditionFailures(err);
      if (failed.length === 0) throw err;
      // No such checkpoint: nothing to keep the lines with.
      if (failed.includes(0)) return undefined;
      // The head moved on meanwhile: the lines go with their checkpoint alone.
      const alone = update(key, 'attribute_exists(cosignatures)').Update;
      if (!(await this.updateIf(alone))) return undefined;
    }
    return this.checkpoint(treeSize);
  }

  /**
   * Marks the checkpoint of `treeSize` as witnessed (its cosignatures met the quorum), the head
   * too while it is that checkpoint, and moves the newest witnessed size forward to it. Each write
   * may be repeated; none moves anything back.
   */
  async markWitnessed(treeSize: number): Promise<void> {
    const marked = await this.updateIf({
      Key: { pk: CHECKPOINT_PK, sk: pad(treeSize) },
      UpdateExpression: 'SET witnessed = :yes',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':yes': true },
    });
    if (!marked) throw new LogStorageError(`the log holds no checkpoint of size ${treeSize}`);
    await this.updateIf({
      Key: WITNESSED_KEY,
      UpdateExpression: 'SET treeSize = :size',
      ConditionExpression: 'attribute_not_exists(pk) OR treeSize < :size',
      ExpressionAttributeValues: { ':size': treeSize },
    });
    await this.updateIf({
      Key: HEAD_KEY,
      UpdateExpression: 'SET witnessed = :yes',
      ConditionExpression: 'treeSize = :size',
      ExpressionAttributeValues: { ':yes': true, ':size': treeSize },
    });
  }

  /** The size of the newest checkpoint that met its witness quorum; undefined if none did. */
  async witnessedSize(): Promise<number | undefined> {
    return this.item(WITNESSED_KEY, { parse: witnessedSizeOf });
  }

  /**
   * The head and the newest witnessed size together, in one strongly consistent BatchGetItem: what
   * a reader of the published log needs before anything else (docs/protocol.md §19.4).
   */
  async published(): Promise<{ head?: StoredCheckpoint; witnessedSize?: number }> {
    const items = await batchGet(this.doc, this.tableName, [HEAD_KEY, WITNESSED_KEY]);
    const out: { head?: StoredCheckpoint; witnessedSize?: number } = {};
    for (const item of items) {
      if (item.pk === HEAD_KEY.pk && item.sk === HEAD_KEY.sk) out.head = StoredCheckpointSchema.parse(item);
      else if (item.pk === WITNESSED_KEY.pk && item.sk === WITNESSED_KEY.sk)
        out.witnessedSize = witnessedSizeOf(item);
      else throw new LogStorageError(`the log answered an item it was not asked for: ${String(item.pk)}`);
    }
    return out;
  }

  /** The size each witness last cosigned for this log; a witness that never did is left out. */
  async witnessSizes(witnesses: readonly string[]): Promise<Map<string, number>> {
    const items = await batchGet(this.doc, this.tableName, witnesses.map(witnessKey));
    const out = new Map<string, number>();
    for (const item of items) {
      const parsed = WitnessSizeSchema.safeParse(item);
      if (!parsed.success || item.pk !== witnessKey(parsed.data.witness).pk)
        throw new LogStorageError(`the witness item ${String(item.pk)} is malformed`);
      out.set(parsed.data.witness, parsed.data.treeSize);
    }
    return out;
  }

  /**
   * Records that `witness` cosigned the checkpoint of `treeSize`: its size moves forward only (a
   * collection that learned a larger size first keeps it). False when a larger one is stored.
   */
  async setWitnessSize(witness: string, treeSize: number, at: Date): Promise<boolean> {
    if (!WITNESS_ID.test(witness)) throw new TypeError(`not a witness province: ${witness}`);
    const item: WitnessSize & { pk: string; sk: string } = {
      ...witnessKey(witness),
      witness,
      treeSize,
      updatedAt: at.toISOString(),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR treeSize <= :size',
          ExpressionAttributeValues: { ':size': treeSize },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw storageFailure(WHAT, err);
    }
  }

  /** An update of one item under its condition; false when the condition does not hold. */
  private async updateIf(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw storageFailure(WHAT, err);
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
}

/** Tiles a store keeps from its reads: 1,024 full tiles of height 8 are 8 MiB. */
const KEPT_TILES = 1024;
/**
 * Subtree hashes computed from tiles, kept (32 bytes and a short key each, ~6 MB at most): the
 * levels between two stored tile levels cost up to 2^height - 1 SHA-256 per tile and proof, and
 * were most of a proof's CPU before they were kept.
 */
const KEPT_DERIVED = 65_536;

/** Computed subtree hashes, the oldest dropped first beyond `max`. */
class KeptNodes implements DerivedNodes {
  private readonly nodes = new Map<string, Hash>();
  constructor(private readonly max: number) {}
  get(key: string): Hash | undefined {
    return this.nodes.get(key);
  }
  set(key: string, hash: Hash): void {
    this.nodes.set(key, hash);
    while (this.nodes.size > this.max) {
      const oldest = this.nodes.keys().next().value;
      if (oldest === undefined) break;
      this.nodes.delete(oldest);
    }
  }
}
const WHAT = 'the audit log';
const HEAD_KEY = { pk: 'HEAD', sk: 'HEAD' } as const;
const CHECKPOINT_PK = 'CHECKPOINT';
const WITNESSED_KEY = { pk: 'WITNESSED', sk: 'WITNESSED' } as const;

function witnessedSizeOf(item: unknown): number {
  const size = (item as { treeSize?: unknown }).treeSize;
  if (!Number.isSafeInteger(size) || (size as number) < 1)
    throw new LogStorageError('the newest witnessed size is malformed');
  return size as number;
}
/** A witness is a province: a GB/T 2260 province-level code. */
const WITNESS_ID = /^\d{2}0000$/;
/** A signed-note signature line: em dash, key name, base64 signature, newline. */
const SIGNATURE_LINE = /^\u2014 [^\s+]+ [A-Za-z0-9+/]+={0,2}\n$/;

function witnessKey(witness: string): { pk: string; sk: string } {
  return { pk: `WITNESS#${witness}`, sk: 'WITNESS' };
}
const BATCH_PK = 'BATCH';

function tileKey(id: TileId): string {
  return `${id.level}#${id.index}`;
}

function bundleKey(index: number): { pk: string; sk: string } {
  return { pk: `EVENTS#${index}`, sk: 'EVENTS' };
}

/** Hash `i` of a tile's hashes; undefined beyond its width or for no tile. */
function hashAt(hashes: Uint8Array | undefined, i: number): Hash | undefined {
  if (!hashes || (i + 1) * HASH_BYTES > hashes.length) return undefined;
  return hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

/** A stored tile or bundle at least as wide as `item` begins with what `item` holds. */
function agrees(item: Record<string, unknown>, stored: Record<string, unknown>): boolean {
  if (item.hashes instanceof Uint8Array) {
    const s = stored.hashes;
    return s instanceof Uint8Array && Buffer.from(s.subarray(0, item.hashes.length)).equals(item.hashes);
  }
  const mine = item.eventIds as string[];
  const theirs = stored.eventIds;
  return Array.isArray(theirs) && mine.every((id, i) => theirs[i] === id);
}

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
