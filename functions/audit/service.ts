import { AuditAction } from '../../contracts/audit.ts';
import {
  type AuditEventsPage,
  type AuditedEvent,
  type AuditQuery,
  type ConsistencyProof,
  type HolderHashRequest,
  type HolderHashResponse,
  type InclusionProof,
  MAX_AUDIT_WINDOW_DAYS,
} from '../../contracts/audit-api.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import { holderHash } from '../../lib/audit/holder-hash.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../lib/errors.ts';
import { CursorCodec } from './cursor.ts';
import { type AuditEventSearch, type AuditSink, EVENT_FILTERS, type EventFilter } from './ports.ts';

/** What the auditor API needs of the province's Merkle log. */
export interface AuditLogReader {
  /** The latest signed checkpoint; undefined while the log is empty. */
  checkpoint(): Promise<{ note: string; treeSize: number; rootHash: string } | undefined>;
  /** The newest witnessed checkpoint, else the latest; undefined while the log is empty. */
  publishedCheckpoint(): Promise<{ note: string; treeSize: number; rootHash: string } | undefined>;
  /** Proof against the latest checkpoint; undefined while the event is not integrated. */
  inclusionProof(eventId: string): Promise<InclusionProof | undefined>;
  /** Throws an InvalidRequestError (400) when `to` is beyond the latest checkpoint. */
  consistencyProof(from: number, to: number): Promise<ConsistencyProof>;
}

export interface AuditServiceDeps {
  province: string;
  reader: AuditEventSearch;
  log: AuditLogReader;
  auditStore: AuditSink;
  /** Holder hashes, and the key page cursors are authenticated with is derived from it. */
  holderHashKey: Uint8Array;
  clock: Clock;
}

type Details = Record<string, string | number | boolean | null>;

const DAY_MS = 86_400_000;

/**
 * The auditor's view of the province's audit trail. Every answered query leaves an `audit.query`
 * event naming what was asked (a holder only by hash); refusals are audited by the HTTP frame.
 */
export class AuditService {
  private readonly cursors: CursorCodec;

  constructor(private readonly deps: AuditServiceDeps) {
    this.cursors = new CursorCodec(deps.holderHashKey);
  }

  async events(query: AuditQuery, ctx: CallContext): Promise<AuditEventsPage> {
    const filter: EventFilter = {};
    for (const name of EVENT_FILTERS) if (query[name] !== undefined) filter[name] = query[name];
    const fingerprint = CursorCodec.fingerprint({ ...filter, from: query.from, to: query.to });
    const position = query.cursor ? this.cursors.decode(query.cursor, fingerprint) : undefined;
    const filtered = Object.keys(filter).length > 0;
    const from = query.from ? new Date(query.from) : undefined;
    // An open range walked by day ends now, fixed by the first page so later pages see the same range.
    const fixedTo =
      !filtered && !query.to ? (position?.to ?? this.deps.clock.now().toISOString()) : undefined;
    const toText = query.to ?? fixedTo;
    const to = toText ? new Date(toText) : undefined;
    if (!filtered) assertWindow(from, to);

    const page = await this.deps.reader.search({
      filter,
      range: { from, to },
      limit: query.limit,
      position: position && { after: position.after, day: position.day },
    });
    const cursor = page.next
      ? this.cursors.encode(fingerprint, { ...page.next, ...(fixedTo ? { to: fixedTo } : {}) })
      : undefined;

    const asked: Details = {};
    for (const [name, value] of Object.entries(filter)) asked[`filter.${name}`] = value;
    await this.record(ctx, {
      query: 'events',
      index: page.index,
      ...asked,
      ...(query.from ? { from: query.from } : {}),
      ...(toText ? { to: toText } : {}),
      limit: query.limit,
      continued: query.cursor !== undefined,
      returned: page.items.length,
    });
    return cursor ? { items: page.items, cursor } : { items: page.items };
  }

  async event(eventId: string, ctx: CallContext): Promise<AuditedEvent> {
    const event = await this.deps.reader.get(eventId);
    if (!event) throw new NotFoundError(`no audit event ${eventId} in province ${this.deps.province}`);
    await this.record(ctx, { query: 'event', eventId });
    return event;
  }

  async proof(eventId: string, ctx: CallContext): Promise<InclusionProof> {
    const proof = await this.deps.log.inclusionProof(eventId);
    if (!proof) {
      if (!(await this.deps.reader.get(eventId))) {
        throw new NotFoundError(`no audit event ${eventId} in province ${this.deps.province}`);
      }
      throw new ConflictError('not yet integrated into the log; retry shortly');
    }
    await this.record(ctx, { query: 'proof', eventId, treeSize: proof.treeSize });
    return proof;
  }

  /** The checkpoint the log publishes: its newest witnessed one, else its latest (§19.4). */
  async checkpoint(ctx: CallContext): Promise<string> {
    const head = await this.deps.log.publishedCheckpoint();
    if (!head) throw new NotFoundError('the audit log is empty: no checkpoint yet');
    await this.record(ctx, { query: 'checkpoint', treeSize: head.treeSize });
    return head.note;
  }

  async consistency(from: number, to: number, ctx: CallContext): Promise<ConsistencyProof> {
    const proof = await this.deps.log.consistencyProof(from, to);
    await this.record(ctx, { query: 'consistency', from, to });
    return proof;
  }

  /** The holder's keyed hash; the code itself is neither stored nor logged. */
  async holderHash(request: HolderHashRequest, ctx: CallContext): Promise<HolderHashResponse> {
    const hash = holderHash(this.deps.holderHashKey, request.holderTypeCode, request.holderCode);
    await this.record(ctx, {
      query: 'holder-hash',
      holderTypeCode: request.holderTypeCode,
      holderHash: hash,
    });
    return { holderHash: hash };
  }

  private async record(ctx: CallContext, details: Details) {
    await this.deps.auditStore.write(
      callEvent(
        this.deps.province,
        ctx,
        {
          action: AuditAction.auditQuery,
          details,
        },
        this.deps.clock.now(),
      ),
    );
  }
}

/** A query naming nothing to look up by walks the byDay index: it needs a start and a bounded range. */
function assertWindow(from: Date | undefined, to: Date | undefined) {
  if (!from) {
    const message =
      'a query naming no traceId, identifier, holderHash, peer or action needs from (and at most ' +
      `${MAX_AUDIT_WINDOW_DAYS} days up to to)`;
    throw new InvalidRequestError(message, [{ path: ['from'], code: 'invalid_type', message }]);
  }
  if (to && to.getTime() - from.getTime() > MAX_AUDIT_WINDOW_DAYS * DAY_MS) {
    const message = `a query naming no traceId, identifier, holderHash, peer or action spans at most ${MAX_AUDIT_WINDOW_DAYS} days`;
    throw new InvalidRequestError(message, [{ path: ['to'], code: 'too_big', message }]);
  }
}
