import { DependencyUnavailableError } from '../errors.ts';

/**
 * The item layout of the witness table (docs/protocol.md §19), for lib/store/witness-store.ts:
 *
 *   - `LOG#<origin>` / `STATE`: what this province last cosigned for a log (size, root hash, the
 *     signed note, when, on whose call), changed only by a conditional put (compare-and-set);
 *   - `EV#<evidenceId>` / `DOC`: one split-view evidence record, put once (the id is derived from
 *     the two checkpoints, so the same pair is kept once);
 *   - `EVIDENCE` / `<receivedAt>#<evidenceId>`: its copy in the listing partition, newest last in
 *     key order, so a page of evidence is one query.
 */

export const WHAT = 'the witness table';
export const TX = {
  what: WHAT,
  attempts: 6,
  exhausted: (cause: unknown) => new DependencyUnavailableError(`${WHAT} (concurrent changes)`, cause),
};

export type Key = { pk: string; sk: string };

export const EVIDENCE_PK = 'EVIDENCE';
export const logKey = (origin: string): Key => ({ pk: `LOG#${origin}`, sk: 'STATE' });
export const evidenceKey = (evidenceId: string): Key => ({ pk: `EV#${evidenceId}`, sk: 'DOC' });
export const evidenceListKey = (r: { receivedAt: string; evidenceId: string }): Key => ({
  pk: EVIDENCE_PK,
  sk: `${new Date(r.receivedAt).toISOString()}#${r.evidenceId}`,
});

/** The sort keys a cursor of the evidence listing may name. */
export const EVIDENCE_CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[0-9a-f]{32}$/;

/** An item's record without its keys. */
export function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}
