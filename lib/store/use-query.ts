import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AuditAction } from '../../contracts/audit.ts';
import { type AuditedEvent, AuditedEventSchema } from '../../contracts/audit-api.ts';
import { eventOfItem } from './audit-item.ts';
import { idFloor } from './audit-query.ts';
import { batchGet, queryAll } from './batch.ts';
import { AuditIndex } from './tables.ts';
import { guard } from './transact.ts';

/**
 * What counts as a use of a license at its issuing province (docs/protocol.md §16): a
 * verification there, or another province's verification call answered there.
 */
export const USE_ACTIONS: readonly AuditAction[] = [AuditAction.verify, AuditAction.interopVerify];

const ID_LOW = '0'.repeat(26);
const ID_HIGH = 'Z'.repeat(26);
/** Queries of one identifier's index partition a page may make, so a page stays bounded. */
const READS_PER_IDENTIFIER = 10;
const WHAT = 'the audit log';
/** Events of one province read at a time while looking for one that succeeded. */
const RELIANCE_BATCH = 10;

/** One identifier's events as a page reads them, newest first. */
interface Stream {
  identifier: string;
  found: string[];
  /** Every use at or above this id was read; undefined before the first read. */
  bound?: string;
  done: boolean;
  reads: number;
}

/**
 * The uses of a license, newest first, from the audit table's `byIdentifier` index: the license's
 * versions each have an identifier of their own, so a page merges one stream per version by event
 * id (a ULID, in time order) and reads the page's events from the table.
 */
export class LicenseUseReader {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * Up to `limit` uses of these identifiers with event id in [lo, hi] and below `before`, newest
   * first; `next` is where the following page starts (absent at the end). A page may hold fewer
   * than asked and still name a `next`, when a stream ran out of its read budget first.
   */
  async uses(
    identifiers: readonly string[],
    range: { lo?: string; hi?: string },
    page: { limit: number; before?: string | undefined },
  ): Promise<{ items: AuditedEvent[]; next?: string }> {
    const lo = range.lo ?? ID_LOW;
    let hi = range.hi ?? ID_HIGH;
    if (page.before && page.before <= hi) hi = page.before;
    const streams: Stream[] = identifiers.map((identifier) => ({
      identifier,
      found: [],
      done: false,
      reads: 0,
    }));
    const exclusive = page.before;
    for (;;) {
      const open = streams.filter((s) => !s.done && s.found.length < page.limit);
      const pending = open.filter((s) => s.reads < READS_PER_IDENTIFIER);
      if (pending.length === 0) break;
      await Promise.all(pending.map((s) => this.read(s, lo, hi, exclusive, page.limit)));
    }
    // Every use above `floor` has been read by every stream that is not finished.
    const unfinished = streams.filter((s) => !s.done);
    const floor = unfinished.reduce<string>((f, s) => (s.bound && s.bound > f ? s.bound : f), lo);
    const merged = [...new Set(streams.flatMap((s) => s.found))]
      .filter((id) => unfinished.length === 0 || id >= floor)
      .sort()
      .reverse();
    const ids = merged.slice(0, page.limit);
    const more = merged.length > page.limit || unfinished.length > 0;
    const last = ids.at(-1) ?? (unfinished.length > 0 ? floor : undefined);
    const stored =
      ids.length > 0
        ? await batchGet(
            this.doc,
            this.tableName,
            ids.map((eventId) => ({ eventId })),
            WHAT,
          )
        : [];
    const byId = new Map(stored.map((i) => [String(i.eventId), i]));
    const items = ids.flatMap((id) => {
      const item = byId.get(id);
      return item ? [AuditedEventSchema.parse(eventOfItem(item))] : [];
    });
    return { items, ...(more && last ? { next: last } : {}) };
  }

  /**
   * The provinces that relied on a license since `since` (docs/protocol.md §17.7): the
   * callers of `interop.verify` events answered with success, and `self` when a `verify` in this
   * province succeeded. The index items (action and peer projected) of every version are read
   * whole; then, per province, its events newest first until one that succeeded, so a province
   * whose every call was refused (no agreement, say) learns nothing of the license's changes.
   */
  async relyingProvinces(identifiers: readonly string[], since: Date, self: string): Promise<string[]> {
    const lo = idFloor(since);
    const byProvince = new Map<string, string[]>();
    for (const identifier of identifiers) {
      const items = await queryAll(this.doc, {
        TableName: this.tableName,
        IndexName: AuditIndex.byIdentifier,
        KeyConditionExpression: 'identifier = :i AND eventId >= :lo',
        FilterExpression: '#a IN (:a0, :a1)',
        ProjectionExpression: 'eventId, #a, peer',
        ExpressionAttributeNames: { '#a': 'action' },
        ExpressionAttributeValues: {
          ':i': identifier,
          ':lo': lo,
          ':a0': USE_ACTIONS[0],
          ':a1': USE_ACTIONS[1],
        },
        ScanIndexForward: false,
      });
      for (const item of items) {
        const province = item.action === AuditAction.interopVerify ? item.peer : self;
        if (typeof province !== 'string') continue;
        byProvince.set(province, [...(byProvince.get(province) ?? []), String(item.eventId)]);
      }
    }
    const relied: string[] = [];
    for (const [province, ids] of byProvince) {
      const newestFirst = [...new Set(ids)].sort().reverse();
      for (let i = 0; i < newestFirst.length; i += RELIANCE_BATCH) {
        const chunk = newestFirst.slice(i, i + RELIANCE_BATCH);
        const stored = await batchGet(
          this.doc,
          this.tableName,
          chunk.map((eventId) => ({ eventId })),
          WHAT,
        );
        if (stored.some((item) => (eventOfItem(item) as { outcome?: unknown }).outcome === 'success')) {
          relied.push(province);
          break;
        }
      }
    }
    return relied.sort();
  }

  private async read(s: Stream, lo: string, hi: string, exclusive: string | undefined, limit: number) {
    s.reads++;
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: AuditIndex.byIdentifier,
          KeyConditionExpression: 'identifier = :i AND eventId BETWEEN :lo AND :hi',
          FilterExpression: '#a IN (:a0, :a1)',
          ProjectionExpression: 'eventId',
          ExpressionAttributeNames: { '#a': 'action' },
          ExpressionAttributeValues: {
            ':i': s.identifier,
            ':lo': lo,
            ':hi': hi,
            ':a0': USE_ACTIONS[0],
            ':a1': USE_ACTIONS[1],
          },
          ScanIndexForward: false,
          Limit: limit,
          ...(s.bound ? { ExclusiveStartKey: { identifier: s.identifier, eventId: s.bound } } : {}),
        }),
      ),
      WHAT,
    );
    for (const item of out.Items ?? []) {
      const id = String(item.eventId);
      if (id !== exclusive) s.found.push(id);
    }
    const last = out.LastEvaluatedKey?.eventId;
    if (typeof last === 'string') s.bound = last;
    else s.done = true;
  }
}
