import canonicalize from 'canonicalize';
import { type AuditEvent, AuditEventSchema } from '../../contracts/audit.ts';
import { eventOfItem } from '../store/audit-item.ts';
import { type Hash, leafHash } from './merkle.ts';

/**
 * The data of an event's leaf: RFC 8785 canonical JSON of the event as the contract defines it.
 * A stored item is read as the event it holds (lib/store/audit-item.ts) through the contract,
 * which drops storage attributes (`pendingShard`, the shard keys, `leafIndex`), so the leaf is
 * the same before and after integration.
 */
export function eventLeafData(item: unknown): Uint8Array {
  const event: AuditEvent = AuditEventSchema.parse(eventOfItem(item));
  const text = canonicalize(event);
  if (text === undefined) throw new TypeError('an audit event cannot be canonicalized');
  return new TextEncoder().encode(text);
}

/** SHA-256(0x00 || canonical event). Throws (a zod error) for an item that is not an event. */
export function eventLeafHash(item: unknown): Hash {
  return leafHash(eventLeafData(item));
}
