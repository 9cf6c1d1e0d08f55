import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AuditedEvent, AuditedEventSchema } from '../../contracts/audit-api.ts';
import type { AuditEventSearch } from '../../functions/audit/ports.ts';
import {
  EVENT_FILTERS,
  type EventFilter,
  type EventFilterName,
  type EventPage,
  type EventRange,
  type EventSearch,
  type Position,
} from '../audit/search.ts';
import { ulid } from '../ids.ts';
import { eventOfItem } from './audit-item.ts';
import { batchGet } from './batch.ts';
import { AuditIndex, DAY_BY_ACTION, searchIndex, shardValue } from './tables.ts';
import { guard } from './transact.ts';

const INDEX_OF: Record<EventFilterName, string> = {
  traceId: AuditIndex.byTrace,
  identifier: AuditIndex.byIdentifier,
  holderHash: AuditIndex.byHolder,
  peer: AuditIndex.byPeer,
  action: AuditIndex.byAction,
};

/** One run of ids a search merges: an index partition, in id order. */
export interface Stream {
  index: string;
  /** The index's partition key: the attribute itself, or its sharded form (`actionShard`). */
  key: string;
  value: string;
}

/** The index, partitions and remaining filters a search uses. */
export interface SearchPlan {
  /** The index the search is named by in its audit record. */
  index: string;
  /** The event attribute the index finds events by (`day` for the day-by-day walk). */
  attribute: string;
  /** One value, or the days of a day-by-day walk. */
  partitions: string[];
  /**
   * The runs a partition's ids are merged from: the shards of its value (`<value>#<n>`, or the
   * value when the index is not sharded); for a day also the shards of `byAction` of each action
   * that carries no day key (DAY_BY_ACTION), read within that day.
   */
  streams(partition: string): Stream[];
  filters: [EventFilterName, string][];
}

function shardsOf(indexName: string, value: string): Stream[] {
  const { index, shards } = searchIndex(indexName);
  const key = index.partitionKey;
  return shards === 1
    ? [{ index: index.name, key, value }]
    : Array.from({ length: shards }, (_, n) => ({ index: index.name, key, value: shardValue(value, n) }));
}

const ID_LENGTH = 26;
const MAX_ULID_TIME = 2 ** 48 - 1;

/** The smallest and largest event ids of a millisecond: a ULID starts with 10 characters of time. */
export function idFloor(at: Date): string {
  return timePrefix(at) + '0'.repeat(ID_LENGTH - 10);
}
export function idCeiling(at: Date): string {
  return timePrefix(at) + 'Z'.repeat(ID_LENGTH - 10);
}
function timePrefix(at: Date): string {
  const ms = Math.min(Math.max(at.getTime(), 0), MAX_ULID_TIME);
  return ulid(new Date(ms)).slice(0, 10);
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** UTC days from `from` to `to`, both included, as the `day` attribute of events holds them. */
export function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  const last = dayOf(to.getTime());
  for (let ms = Date.parse(`${dayOf(from.getTime())}T00:00:00Z`); ; ms += DAY_MS) {
    const day = dayOf(ms);
    if (day > last) break;
    days.push(day);
  }
  return days;
}

/**
 * The most selective index for the filters given (trace, then license, holder, peer, action), the
 * others applied as filters; without any, the byDay index walked day by day over a bounded range.
 */
export function planSearch(filter: EventFilter, range: EventRange): SearchPlan {
  const given = EVENT_FILTERS.flatMap((name) => {
    const value = filter[name];
    return value === undefined ? [] : [[name, value] as [EventFilterName, string]];
  });
  const [first, ...rest] = given;
  if (first) {
    const index = INDEX_OF[first[0]];
    return {
      index,
      attribute: first[0],
      partitions: [first[1]],
      streams: (value) => shardsOf(index, value),
      filters: rest,
    };
  }
  if (!range.from || !range.to) throw new TypeError('a search without a filter needs both ends of its range');
  return {
    index: AuditIndex.byDay,
    attribute: 'day',
    partitions: daysBetween(range.from, range.to),
    streams: (day) => [
      ...shardsOf(AuditIndex.byDay, day),
      ...DAY_BY_ACTION.flatMap((action) => shardsOf(AuditIndex.byAction, action)),
    ],
    filters: [],
  };
}

/** The ids of a UTC day (`YYYY-MM-DD`): those whose time prefix falls within it. */
function dayIds(day: string): [string, string] {
  const start = Date.parse(`${day}T00:00:00Z`);
  return [idFloor(new Date(start)), idCeiling(new Date(start + DAY_MS - 1))];
}

/** What a search has read of one stream of a partition within a page. */
interface ShardRead {
  stream: Stream;
  /** The last id the shard was read up to (matching or not); undefined before its first read. */
  bound?: string | undefined;
  /** Read up to the end of the range. */
  done: boolean;
  /** The matching ids read, ascending. */
  found: string[];
}

/** What a page read of one partition: ids in order, and whether the partition is finished. */
interface PartitionRead {
  ids: string[];
  /** Every matching id of the partition after the lower bound is in `ids`. */
  done: boolean;
  /** When not done: every matching id up to this one was read, and the next page starts after it. */
  after?: string | undefined;
}

/**
 * Bounds the index queries of one page, so a sparse filter cannot make one request unbounded: at
 * most MAX_READS_PER_PAGE queries of each shard of the index, every shard query counted. A
 * sharded partition is read in rounds of one query per shard (each of about 2/shards of the page),
 * and a round runs whole or not at all; an unsharded index is one query a round, as before. So a
 * day-by-day walk reads up to 40 days a page whatever the shards, an index of 16 shards makes at
 * most 640 queries, and a walk by day (16 byDay shards and 32 of byAction, 48 streams) at most
 * 1,920. The page's events are then read from the table: at most 100 to a BatchGetItem, so 2 for
 * the largest page (and the retries of their unprocessed keys).
 */
export const MAX_READS_PER_PAGE = 40;

/** Read side of the audit table for auditors: one event, or a page of events by index in time order. */
export class AuditEventReader implements AuditEventSearch {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly maxReads: number = MAX_READS_PER_PAGE,
  ) {
    if (!Number.isInteger(maxReads) || maxReads < 1)
      throw new TypeError('maxReads must be a positive integer');
  }

  async get(eventId: string): Promise<AuditedEvent | undefined> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: { eventId }, ConsistentRead: true })),
      'the audit log',
    );
    return out.Item ? AuditedEventSchema.parse(eventOfItem(out.Item)) : undefined;
  }

  /**
   * Up to `limit` events matching every filter, in time order. A page may hold fewer, even none,
   * and still name a `next` position when the read budget ran out first. The index gives the ids
   * (merged by id over the shards of a sharded index); the events are read from the table.
   */
  async search(s: EventSearch): Promise<EventPage> {
    if (!Number.isInteger(s.limit) || s.limit < 1) throw new TypeError('limit must be a positive integer');
    const plan = planSearch(s.filter, s.range);
    const lo = s.range.from ? idFloor(s.range.from) : '0'.repeat(ID_LENGTH);
    const hi = s.range.to ? idCeiling(s.range.to) : 'Z'.repeat(ID_LENGTH);
    const walk = plan.attribute === 'day';
    const start = walk && s.position?.day ? plan.partitions.indexOf(s.position.day) : 0;
    if (start < 0) throw new TypeError(`day ${s.position?.day} is outside the range`);
    const ids: string[] = [];
    const here = (p: number, after: string | undefined): Position => ({
      ...(after ? { after } : {}),
      ...(walk ? { day: plan.partitions[p] } : {}),
    });
    const budget = { reads: 0 };
    let after = s.position?.after;
    for (let p = start; p < plan.partitions.length; p++) {
      // Every id after `after` sorts at or above `after + '0'`: ids all have the same length.
      const resumed = after;
      const lower = resumed ? `${resumed}0` : lo;
      after = undefined;
      if (lower > hi) continue;
      const room = s.limit - ids.length;
      // With filters, DynamoDB's Limit counts items read, not matched: read a page's worth.
      const batch = plan.filters.length > 0 ? s.limit : room;
      const partition = plan.partitions[p] ?? '';
      // A day's runs of byAction span every day: each is read within the day.
      const [dayLo, dayHi] = walk ? dayIds(partition) : [lower, hi];
      const from = lower > dayLo ? lower : dayLo;
      const to = hi < dayHi ? hi : dayHi;
      if (from > to) continue;
      const read = await this.readPartition(plan, partition, from, to, room, batch, budget);
      ids.push(...read.ids);
      if (!read.done) return this.page(plan, ids, here(p, read.after ?? resumed));
      if (ids.length === s.limit)
        return this.page(plan, ids, p + 1 < plan.partitions.length ? here(p + 1, undefined) : undefined);
    }
    return this.page(plan, ids, undefined);
  }

  /**
   * The smallest `room` matching ids of one partition from `lower`, merged over its streams (an
   * id found in two, as an event written before DAY_BY_ACTION can be, counts once). Each round
   * queries the streams that may still hold one of them (those read only below the `room`-th
   * smallest id found so far); the ids up to the lowest point every unfinished stream has been
   * read to are then known exactly, and a page that ends there resumes after it.
   */
  private async readPartition(
    plan: SearchPlan,
    value: string,
    lower: string,
    hi: string,
    room: number,
    batch: number,
    budget: { reads: number },
  ): Promise<PartitionRead> {
    const shards: ShardRead[] = plan.streams(value).map((stream) => ({ stream, done: false, found: [] }));
    const count = shards.length;
    // A stream holds about 1/count of the ids; twice its share leaves room for an uneven spread.
    const perShard = count === 1 ? batch : Math.min(batch, 2 * Math.ceil(batch / count));
    for (;;) {
      const open = shards.filter((sh) => !sh.done);
      const bounds = open.map((sh) => sh.bound);
      // Every matching id up to `known` has been read; all of them when every shard is done.
      const known = bounds.includes(undefined) ? undefined : (bounds as string[]).sort()[0];
      const found = [...new Set(shards.flatMap((sh) => sh.found))].sort();
      const settled =
        open.length === 0 ? found : known === undefined ? [] : found.filter((id) => id <= known);
      if (settled.length >= room) {
        const ids = settled.slice(0, room);
        if (open.length === 0 && found.length === room) return { ids, done: true };
        return { ids, done: false, after: ids.at(-1) };
      }
      if (open.length === 0) return { ids: settled, done: true };
      const nth = found.length >= room ? found[room - 1] : undefined;
      const todo = open.filter((sh) => sh.bound === undefined || nth === undefined || sh.bound < nth);
      if (budget.reads + todo.length > this.maxReads * count)
        return { ids: settled, done: false, after: known };
      budget.reads += todo.length;
      await Promise.all(
        todo.map(async (sh) => {
          const from = sh.bound === undefined ? lower : `${sh.bound}0`;
          const out = await this.query(plan, sh.stream, from, hi, perShard);
          sh.found.push(...(out.Items ?? []).map((item) => String(item.eventId)));
          const last = out.LastEvaluatedKey?.eventId;
          if (typeof last === 'string') sh.bound = last;
          else sh.done = true;
        }),
      );
    }
  }

  /**
   * The page of these ids, each event read from the table (strongly consistent, BatchGetItem of at
   * most 100 keys, unprocessed keys retried). An id the index lists but the table does not hold
   * is skipped: the page holds fewer and its position is unchanged.
   */
  private async page(plan: SearchPlan, ids: string[], next: Position | undefined): Promise<EventPage> {
    const stored =
      ids.length === 0
        ? []
        : await batchGet(
            this.doc,
            this.tableName,
            ids.map((eventId) => ({ eventId })),
          );
    const byId = new Map(stored.map((item) => [String(item.eventId), item]));
    const items = ids.flatMap((id) => {
      const item = byId.get(id);
      return item ? [AuditedEventSchema.parse(eventOfItem(item))] : [];
    });
    return { items, ...(next ? { next } : {}), index: plan.index };
  }

  private query(plan: SearchPlan, stream: Stream, lower: string, hi: string, limit: number) {
    const names: Record<string, string> = { '#k': stream.key, '#id': 'eventId' };
    const values: Record<string, string> = { ':k': stream.value, ':lo': lower, ':hi': hi };
    const conditions = plan.filters.map(([name, v], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = v;
      return `#f${i} = :f${i}`;
    });
    return guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: stream.index,
          KeyConditionExpression: '#k = :k AND #id BETWEEN :lo AND :hi',
          ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
          // The index holds the filter attributes; the search needs only the ids from it.
          ProjectionExpression: '#id',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Limit: limit,
        }),
      ),
      'the audit log',
    );
  }
}
