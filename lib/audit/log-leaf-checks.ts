import { eventLeafHash } from './log-leaf.ts';
import { equal, HASH_BYTES, type Hash } from './merkle.ts';
import type { LogFinding, LogSnapshot } from './verify-log.ts';

/** The leaf checks of a full log verification (verify-log.ts): leaves against their events. */

/** Each leaf against the event it names, and each integrated event against its leaf. */
export function checkLeaves(s: LogSnapshot, size: number) {
  const findings: LogFinding[] = [];
  const leafAt = new Map(s.leaves.map((l) => [l.index, l]));
  const eventById = new Map(s.events.map((e) => [String(e.eventId), e]));
  /** Stored leaf hashes, and the hashes the events give, in leaf order (zeros where none). */
  const stored: Hash[] = [];
  const fromEvents: Hash[] = [];
  const eventIds: string[] = [];
  /** Leaves whose event does not hash to them. */
  const mismatched: number[] = [];
  const misplaced = new Set<number>();
  const seen = new Map<string, number>();
  for (let i = 0; i < size; i++) {
    const leaf = leafAt.get(i);
    if (!leaf) {
      findings.push({ code: 'LEAF_MISSING', leafIndex: i, message: `no leaf is stored at ${i}` });
      stored.push(new Uint8Array(HASH_BYTES));
      fromEvents.push(new Uint8Array(HASH_BYTES));
      eventIds.push('');
      continue;
    }
    const at = { leafIndex: i, eventId: leaf.eventId };
    stored.push(leaf.hash);
    eventIds.push(leaf.eventId);
    const event = eventById.get(leaf.eventId);
    const earlier = seen.get(leaf.eventId);
    seen.set(leaf.eventId, i);
    if (earlier !== undefined) {
      misplaced.add(i);
      findings.push({
        code: 'LEAF_MISPLACED',
        ...at,
        message: `leaf ${i} names the event of leaf ${earlier}`,
      });
    }
    if (!event) {
      findings.push({
        code: 'EVENT_DELETED',
        ...at,
        message: `event ${leaf.eventId} of leaf ${i} is not stored`,
      });
      fromEvents.push(leaf.hash);
      continue;
    }
    if (event.leafIndex !== i && earlier === undefined) {
      misplaced.add(i);
      findings.push({
        code: 'LEAF_MISPLACED',
        ...at,
        message: `leaf ${i} names event ${leaf.eventId}, which was integrated at ${String(event.leafIndex)}`,
      });
    }
    const hash = hashOf(event);
    fromEvents.push(hash ?? leaf.hash);
    if (!hash || !equal(hash, leaf.hash)) mismatched.push(i);
  }
  for (const e of s.events) {
    const claimed = e.leafIndex;
    if (typeof claimed !== 'number' || claimed >= size || misplaced.has(claimed)) continue;
    const leaf = leafAt.get(claimed);
    if (leaf && leaf.eventId !== e.eventId) {
      misplaced.add(claimed);
      findings.push({
        code: 'LEAF_MISPLACED',
        leafIndex: claimed,
        eventId: String(e.eventId),
        message: `event ${String(e.eventId)} was integrated at ${claimed}, but that leaf names another event`,
      });
    }
  }
  return { findings, stored, fromEvents, eventIds, mismatched };
}

/** A leaf and its event disagree: the leaf changed if the events still give every signed root over it. */
export function changedLeaf(
  i: number,
  eventId: string,
  eventsAgree: ReadonlyMap<number, boolean>,
): LogFinding {
  const covering = [...eventsAgree].filter(([treeSize]) => treeSize > i);
  return covering.length > 0 && covering.every(([, agree]) => agree)
    ? { code: 'LEAF_CHANGED', leafIndex: i, eventId, message: `leaf ${i} was changed; its event was not` }
    : {
        code: 'EVENT_CHANGED',
        leafIndex: i,
        eventId,
        message: `event ${eventId} no longer hashes to leaf ${i}`,
      };
}

function hashOf(event: Record<string, unknown>): Hash | undefined {
  try {
    return eventLeafHash(event);
  } catch {
    return undefined;
  }
}
