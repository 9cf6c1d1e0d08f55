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
import { AuditIndex } from './tables.ts';
import { guard } from './transact.ts';

const INDEX_OF: Record<EventFilterName, string> = {
  traceId: AuditIndex.byTrace,
  identifier: AuditIndex.byIdentifier,
  holderHash: AuditIndex.byHolder,
  peer: AuditIndex.byPeer,
  action: AuditIndex.byAction,
};

/** The index, partition and remaining filters a search uses. */
export interface SearchPlan {
  index: string;
  attribute: string;
  /** One partition value, or the days of a day-by-day walk. */
  partitions: string[];
  filters: [EventFilterName, string][];
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
  if (first) return { index: INDEX_OF[first[0]], attribute: first[0], partitions: [first[1]], filters: rest };
  if (!range.from || !range.to) throw new TypeError('a search without a filter needs both ends of its range');
  return {
    index: AuditIndex.byDay,
    attribute: 'day',
    partitions: daysBetween(range.from, range.to),
    filters: [],
  };
}

/** Bounds the DynamoDB reads of one page, so a sparse filter cannot make one request unbounded. */
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
    return out.Item ? AuditedEventSchema.parse(out.Item) : undefined;
  }

  /**
   * Up to `limit` events matching every filter, in time order. A page may hold fewer, even none,
   * and still name a `next` position when the read budget ran out first.
   */
  async search(s: EventSearch): Promise<EventPage> {
    if (!Number.isInteger(s.limit) || s.limit < 1) throw new TypeError('limit must be a positive integer');
    const plan = planSearch(s.filter, s.range);
    const lo = s.range.from ? idFloor(s.range.from) : '0'.repeat(ID_LENGTH);
    const hi = s.range.to ? idCeiling(s.range.to) : 'Z'.repeat(ID_LENGTH);
    const walk = plan.attribute === 'day';
    const start = walk && s.position?.day ? plan.partitions.indexOf(s.position.day) : 0;
    if (start < 0) throw new TypeError(`day ${s.position?.day} is outside the range`);
    const items: AuditedEvent[] = [];
    const here = (p: number, after: string | undefined): Position => ({
      ...(after ? { after } : {}),
      ...(walk ? { day: plan.partitions[p] } : {}),
    });
    let after = s.position?.after;
    let reads = 0;
    for (let p = start; p < plan.partitions.length; p++) {
      const value = plan.partitions[p] ?? '';
      for (;;) {
        // Every id after `after` sorts at or above `after + '0'`: ids all have the same length.
        const lower = after ? `${after}0` : lo;
        if (lower > hi) break;
        if (reads === this.maxReads) return { items, next: here(p, after), index: plan.index };
        reads++;
        // With filters, DynamoDB's Limit counts items read, not matched: read a page's worth.
        const batch = plan.filters.length > 0 ? s.limit : s.limit - items.length;
        const out = await this.query(plan, value, lower, hi, batch);
        const found = (out.Items ?? []).map((item) => AuditedEventSchema.parse(item));
        const room = s.limit - items.length;
        items.push(...found.slice(0, room));
        const last = out.LastEvaluatedKey?.eventId;
        if (found.length >= room) {
          const full = { items, index: plan.index };
          if (found.length > room || last !== undefined)
            return { ...full, next: here(p, items.at(-1)?.eventId) };
          return p + 1 < plan.partitions.length ? { ...full, next: here(p + 1, undefined) } : full;
        }
        if (typeof last !== 'string') break;
        after = last;
      }
      after = undefined;
    }
    return { items, index: plan.index };
  }

  private query(plan: SearchPlan, value: string, lower: string, hi: string, limit: number) {
    const names: Record<string, string> = { '#k': plan.attribute, '#id': 'eventId' };
    const values: Record<string, string> = { ':k': value, ':lo': lower, ':hi': hi };
    const conditions = plan.filters.map(([name, v], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = v;
      return `#f${i} = :f${i}`;
    });
    return guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: plan.index,
          KeyConditionExpression: '#k = :k AND #id BETWEEN :lo AND :hi',
          ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          Limit: limit,
        }),
      ),
      'the audit log',
    );
  }
}
