import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEvent } from '../../contracts/audit.ts';
import { type EvidenceRecord, EvidenceRecordSchema } from '../../contracts/witness.ts';
import type { CosignedState, Page, WitnessRepository } from '../../functions/witness/ports.ts';
import type { AuditStore } from './audit-store.ts';
import { decodeCursor, nextOf } from './report-items.ts';
import { conditionFailures, guard, storageFailure, transact } from './transact.ts';
import {
  EVIDENCE_CURSOR,
  EVIDENCE_PK,
  evidenceKey,
  evidenceListKey,
  type Key,
  logKey,
  strip,
  TX,
  WHAT,
} from './witness-items.ts';

const CosignedStateSchema = z.object({
  origin: z.string().min(1),
  treeSize: z.number().int().nonnegative(),
  rootHash: z.string().min(1),
  note: z.string().min(1),
  cosignedAt: z.string().min(1),
  caller: z.string().min(1),
  traceId: z.string().min(1),
}) satisfies z.ZodType<CosignedState>;

/**
 * DynamoDB adapter of the witness table (item layout in lib/store/witness-items.ts,
 * docs/protocol.md §19): the state last cosigned per log, set by compare-and-set, and the
 * split-view evidence, each record put once with its `witness.evidence` event.
 */
export class WitnessStore implements WitnessRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly audit: AuditStore,
  ) {}

  async state(origin: string): Promise<CosignedState | undefined> {
    const item = await this.get(logKey(origin));
    return item ? CosignedStateSchema.parse(strip(item)) : undefined;
  }

  async compareAndSet(
    next: CosignedState,
    expected: { treeSize: number; rootHash: string } | undefined,
  ): Promise<'stored' | 'conflict'> {
    if (expected && next.treeSize < expected.treeSize) {
      throw new TypeError(`a witness never stores a size below the one cosigned (${expected.treeSize})`);
    }
    const item = { ...logKey(next.origin), ...CosignedStateSchema.parse(next) };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(expected
            ? {
                ConditionExpression: 'treeSize = :size AND rootHash = :root',
                ExpressionAttributeValues: { ':size': expected.treeSize, ':root': expected.rootHash },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      return 'stored';
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw storageFailure(WHAT, err);
      // An answer lost and the put sent again finds its own write: that is this write, stored.
      const now = await this.state(next.origin);
      const mine =
        now !== undefined &&
        now.traceId === next.traceId &&
        now.cosignedAt === next.cosignedAt &&
        now.note === next.note;
      return mine ? 'stored' : 'conflict';
    }
  }

  async keepEvidence(record: EvidenceRecord, audit: AuditEvent): Promise<'kept' | 'known'> {
    const parsed = EvidenceRecordSchema.parse(record);
    try {
      await transact(
        this.doc,
        [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...evidenceKey(parsed.evidenceId), ...parsed },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: this.tableName, Item: { ...evidenceListKey(parsed), ...parsed } } },
          { Put: this.audit.putItem(audit) },
        ],
        TX,
      );
      return 'kept';
    } catch (err) {
      if (conditionFailures(err).includes(0)) return 'known';
      throw err;
    }
  }

  async evidence(evidenceId: string): Promise<EvidenceRecord | undefined> {
    const item = await this.get(evidenceKey(evidenceId));
    return item ? EvidenceRecordSchema.parse(strip(item)) : undefined;
  }

  async evidenceList(page: { limit: number; after?: string }): Promise<Page<EvidenceRecord>> {
    const after = page.after === undefined ? undefined : decodeCursor(page.after, EVIDENCE_CURSOR);
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: after === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :after',
          ExpressionAttributeValues: {
            ':pk': EVIDENCE_PK,
            ...(after === undefined ? {} : { ':after': after }),
          },
          ScanIndexForward: false,
          Limit: page.limit + 1,
        }),
      ),
      WHAT,
    );
    const items = out.Items ?? [];
    const next = nextOf(items, page.limit, out.LastEvaluatedKey);
    return {
      items: items.slice(0, page.limit).map((i) => EvidenceRecordSchema.parse(strip(i))),
      ...(next === undefined ? {} : { next }),
    };
  }

  private async get(key: Key): Promise<Record<string, unknown> | undefined> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
      WHAT,
    );
    return out.Item;
  }
}
