import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID: 48-bit millisecond time + 80 random bits, Crockford base32, sorts by time. */
export function ulid(now: Date = new Date()): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD.charAt(time % 32) + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let tail = '';
  for (let i = 0; i < 16; i++) tail += CROCKFORD.charAt((bytes[i] ?? 0) % 32);
  return head + tail;
}

/** A fresh W3C trace id (16 random bytes, hex). */
export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

/** A fresh W3C span id (8 random bytes, hex). */
export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** Trace id of a W3C `traceparent` header, or undefined when absent or malformed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const m = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  const id = m?.[1];
  if (!id || /^0+$/.test(id) || /^0+$/.test(m?.[2] ?? '')) return undefined;
  return id;
}

export function traceparentOf(traceId: string, spanId: string = newSpanId()): string {
  return `00-${traceId}-${spanId}-01`;
}
