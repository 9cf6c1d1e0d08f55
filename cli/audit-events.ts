import {
  AuditEventsPageSchema,
  type AuditedEvent,
  HolderHashResponseSchema,
  MAX_AUDIT_PAGE,
} from '../contracts/audit-api.ts';
import { CliError, HttpError } from './errors.ts';
import { call, expectShape } from './http.ts';
import type { Target } from './target.ts';

/** What an auditor searches by; at least one of identifier, holder or from is given. */
export interface EventQuery {
  identifier?: string | undefined;
  /** Sent only to each province itself, in a POST body, to get that province's keyed hash. */
  holder?: { typeCode: string; code: string } | undefined;
  action?: string | undefined;
  peer?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** At most this many events in all. */
  limit: number;
}

/** One province's part of the answer. */
export interface ProvinceEvents {
  province: string;
  items: AuditedEvent[];
  /** The province holds more matching events than were read. */
  more: boolean;
  /** The keyed hash the province gave for the holder (each province has its own key). */
  holderHash?: string;
  /** Why the province could not be read; the others are still shown. */
  error?: string;
}

export interface EventSearchResult {
  provinces: ProvinceEvents[];
  /** Every province's events, merged in time order and cut to the limit. */
  items: AuditedEvent[];
  /** More events match than are shown. */
  more: boolean;
}

/** Pages read from one province at most, so a sparse filter cannot keep the CLI walking forever. */
const MAX_PAGES = 500;

/**
 * Asks every target (as its auditor) for the matching events, following the cursors of
 * `GET /v1/audit/events` until `limit` events or the last page. A query the gateway refuses as
 * invalid is the auditor's mistake and ends the search; any other failure of one province is
 * reported with its events missing.
 */
export async function searchEvents(targets: readonly Target[], q: EventQuery): Promise<EventSearchResult> {
  const provinces: ProvinceEvents[] = [];
  for (const target of targets) {
    try {
      provinces.push(await fromProvince(target, q));
    } catch (err) {
      if (err instanceof HttpError && err.status === 400) throw err;
      if (!(err instanceof CliError)) throw err;
      const code = err instanceof HttpError ? `${err.code}: ` : '';
      provinces.push({ province: target.province, items: [], more: false, error: `${code}${err.message}` });
    }
  }
  const all = provinces
    .flatMap((p) => p.items)
    .sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
  return {
    provinces,
    items: all.slice(0, q.limit),
    more: all.length > q.limit || provinces.some((p) => p.more),
  };
}

async function fromProvince(target: Target, q: EventQuery): Promise<ProvinceEvents> {
  const out: ProvinceEvents = { province: target.province, items: [], more: false };
  const params: Record<string, string> = {};
  if (q.identifier) params.identifier = q.identifier;
  if (q.holder) {
    const answer = await call(target, 'POST', '/v1/audit/holder-hash', {
      body: { holderTypeCode: q.holder.typeCode, holderCode: q.holder.code },
    });
    out.holderHash = expectShape(HolderHashResponseSchema, answer, 'holder hash').holderHash;
    params.holderHash = out.holderHash;
  }
  if (q.action) params.action = q.action;
  if (q.peer) params.peer = q.peer;
  if (q.from) params.from = q.from;
  if (q.to) params.to = q.to;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const room = q.limit - out.items.length;
    const qs = new URLSearchParams({
      ...params,
      limit: String(Math.min(MAX_AUDIT_PAGE, room)),
      ...(cursor ? { cursor } : {}),
    });
    const answer = await call(target, 'GET', `/v1/audit/events?${qs}`);
    const body = expectShape(AuditEventsPageSchema, answer, 'audit events');
    out.items.push(...body.items);
    cursor = body.cursor;
    if (!cursor) return out;
    if (out.items.length >= q.limit) {
      out.more = true;
      return out;
    }
  }
  out.more = cursor !== undefined;
  return out;
}
