import type { Clock } from '../../lib/clock.ts';
import type { LoggedEvents } from '../../lib/store/logged-events.ts';
import { PENDING_SHARDS } from '../../lib/store/tables.ts';

export interface LagDeps {
  loggedEvents: LoggedEvents;
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
  const oldest = await oldestPendingEventId(g.loggedEvents);
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
export async function oldestPendingEventId(events: LoggedEvents): Promise<string | undefined> {
  const heads = await Promise.all(Array.from({ length: PENDING_SHARDS }, (_, i) => oldestInShard(events, i)));
  return heads.filter((id): id is string => id !== undefined).sort()[0];
}

async function oldestInShard(events: LoggedEvents, shard: number): Promise<string | undefined> {
  let start: Record<string, unknown> | undefined;
  let last: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { ids, next } = await events.pendingInShard(shard, PAGE, start);
    if (ids.length > 0) {
      const stored = await events.get(ids);
      const waiting = ids.find((id) => {
        const item = stored.get(id);
        return item !== undefined && item.leafIndex === undefined;
      });
      if (waiting) return waiting;
      last = ids.at(-1);
    }
    start = next;
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
