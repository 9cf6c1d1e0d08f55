import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { batchGet, batchWrite } from './batch.ts';
import { AuditIndex, PENDING_SHARDS } from './tables.ts';
import { guard } from './transact.ts';

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
    // The index is sparse: a scan of it, up to `limit` items, is one request. When that reaches
    // the end of the index it holds every waiting event (a quiet log, a small batch); otherwise
    // the oldest are found shard by shard, as the scan's order is not the events' order.
    const all = await guard(
      this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          IndexName: AuditIndex.pending,
          ProjectionExpression: 'eventId',
          Limit: limit,
        }),
      ),
      WHAT_EVENTS,
    );
    if (!all.LastEvaluatedKey) {
      return (all.Items ?? [])
        .map((i) => z.string().parse(i.eventId))
        .sort()
        .slice(0, limit);
    }
    const shards = await Promise.all(
      Array.from({ length: PENDING_SHARDS }, (_, i) => this.pendingInShard(i, limit)),
    );
    return shards
      .flatMap((s) => s.ids)
      .sort()
      .slice(0, limit);
  }

  /** One page of a shard of the pending index, oldest first, and where the next page starts. */
  async pendingInShard(
    shard: number,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<{ ids: string[]; next?: Record<string, unknown> }> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: AuditIndex.pending,
          KeyConditionExpression: 'pendingShard = :shard',
          ExpressionAttributeValues: { ':shard': `P${shard}` },
          ProjectionExpression: 'eventId',
          Limit: limit,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
      WHAT_EVENTS,
    );
    const ids = (out.Items ?? []).map((i) => z.string().parse(i.eventId));
    return { ids, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey } : {}) };
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
   * Marks events integrated, each at its leaf index: writes each item back as it was read (by
   * `get`, strongly consistent) with `leafIndex` set and without `pendingShard`, which takes it out
   * of the pending index; 25 items to a BatchWriteItem, what DynamoDB leaves unprocessed retried.
   * These writes carry no condition: they are for the sequencer holding the lease,
   * which has read the items and checked them (see functions/sequencer), and rely on an event item
   * never changing after it is written but for this mark, whose content is fixed by the batch.
   */
  async markAll(marks: readonly { item: Record<string, unknown>; leafIndex: number }[]): Promise<void> {
    await batchWrite(
      this.doc,
      this.tableName,
      marks.map(({ item, leafIndex }) => {
        const { pendingShard: _, ...rest } = item;
        return { ...rest, leafIndex };
      }),
    );
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

const WHAT_EVENTS = 'the audit events';
