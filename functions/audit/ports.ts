import type { AuditedEvent } from '../../contracts/audit-api.ts';

export type { AuditSink } from '../../lib/audit/sink.ts';

import type { EventPage, EventSearch } from '../../lib/audit/search.ts';

/** The filters, ranges, positions and pages of an audit search. */
export * from '../../lib/audit/search.ts';

/** The audit events as auditors read them: one by id, or a page of a search in time order. */
export interface AuditEventSearch {
  get(eventId: string): Promise<AuditedEvent | undefined>;
  /**
   * Up to `limit` events matching every filter, in time order. A page may hold fewer, even none,
   * and still name a `next` position.
   */
  search(s: EventSearch): Promise<EventPage>;
}
