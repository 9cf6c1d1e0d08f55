import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { LoggedEvents } from '../../lib/store/logged-events.ts';
import { AuditIndex, PENDING_SHARDS } from '../../lib/store/tables.ts';
import { guard } from '../../lib/store/transact.ts';

export interface LagDeps {
  doc: DynamoDBDocumentClient;
  tables: { audit: string };
  clock: Clock;
}

const PAGE = 100;
const MAX_PAGES = 3;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * How long the oldest audit event not yet in the Merkle log has been waiting, in whole seconds;
 * 0 when none waits. The sequencer reports it after each run, so an alarm sees the log falling
 * behind (or the sequencer failing) long before an auditor asks for a proof.
 */
export async function oldestPendingAgeSeconds(g: LagDeps): Promise<number> {
  const oldest = await oldestPendingEventId(g.doc, g.tables.audit);
  if (oldest === undefined) return 0;
  return Math.max(0, Math.floor((g.clock.now().getTime() - ulidTime(oldest)) / 1000));
}

/**
 * The id of the oldest event waiting for the log. Event ids are ULIDs, so each shard of the sparse
 * `pending` index lists its events oldest first. The index lags behind the table: an event
 * integrated a moment ago may still be listed, so each candidate is checked with a strongly
 * consistent read of the event. Should a shard list only integrated events for several pages, its
 * last listed id stands in: an upper bound on the age, so the alarm errs towards firing.
 */
export async function oldestPendingEventId(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<string | undefined> {
  const events = new LoggedEvents(doc, table);
  const heads = await Promise.all(
    Array.from({ length: PENDING_SHARDS }, (_, i) => oldestInShard(doc, events, `P${i}`)),
  );
  return heads.filter((id): id is string => id !== undefined).sort()[0];
}

async function oldestInShard(
  doc: DynamoDBDocumentClient,
  events: LoggedEvents,
  shard: string,
): Promise<string | undefined> {
  let start: QueryCommandInput['ExclusiveStartKey'];
  let last: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await guard(
      doc.send(
        new QueryCommand({
          TableName: events.tableName,
          IndexName: AuditIndex.pending,
          KeyConditionExpression: 'pendingShard = :shard',
          ExpressionAttributeValues: { ':shard': shard },
          ProjectionExpression: 'eventId',
          Limit: PAGE,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
      'the audit event store',
    );
    const ids = (out.Items ?? []).map((i) => z.string().parse(i.eventId));
    if (ids.length > 0) {
      const stored = await events.get(ids);
      const waiting = ids.find((id) => {
        const item = stored.get(id);
        return item !== undefined && item.leafIndex === undefined;
      });
      if (waiting) return waiting;
      last = ids.at(-1);
    }
    start = out.LastEvaluatedKey;
    if (!start) return undefined;
  }
  return last;
}

/** The millisecond timestamp in the first 10 characters of a ULID; TypeError for anything else. */
export function ulidTime(id: string): number {
  if (!/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(id)) throw new TypeError(`${JSON.stringify(id)} is not a ULID`);
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}
