import type { AuditedEvent } from '../../contracts/audit-api.ts';

/** What an auditor's search says and answers: the vocabulary of the auditor API and its store. */

/** The attributes an auditor filters on, most selective first: the first one given picks the index. */
export const EVENT_FILTERS = ['traceId', 'identifier', 'holderHash', 'peer', 'action'] as const;
export type EventFilterName = (typeof EVENT_FILTERS)[number];
export type EventFilter = Partial<Record<EventFilterName, string>>;

/** Both ends inclusive. */
export interface EventRange {
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Where a search resumes: after this event id, from this day of a day-by-day walk. */
export interface Position {
  after?: string | undefined;
  day?: string | undefined;
}

export interface EventSearch {
  filter: EventFilter;
  range: EventRange;
  limit: number;
  position?: Position | undefined;
}

export interface EventPage {
  /** In event id order, which is time order. */
  items: AuditedEvent[];
  /** Absent when the search is complete. */
  next?: Position;
  /** The index the search walked. */
  index: string;
}
