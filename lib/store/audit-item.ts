/**
 * How an audit event is kept in the audit table. The item holds the event's members as they are,
 * with one exception that keeps a calling-side `verify` event within one write unit (1 KB): the
 * callee's receipt, a compact JWS of ~460 characters in base64url, is kept as its bytes (~345)
 * in the binary attribute `receiptBytes` instead of `details.receipt`. `eventOfItem` gives the
 * event back exactly: a receipt is stored as bytes only when its three segments are canonical
 * base64url (no padding, no stray bits), so encoding the bytes again yields the same text; any
 * other receipt stays in `details` as it was. The log, the auditor API and every reader see the
 * event, never this form.
 */

const RECEIPT_BYTES = 'receiptBytes';

/** The stored item's members for an event (the storage attributes of the indexes added by the caller). */
export function eventItem<E extends { details?: Record<string, unknown> }>(
  event: E,
): Record<string, unknown> {
  const receipt = event.details?.receipt;
  const bytes = typeof receipt === 'string' ? receiptToBytes(receipt) : undefined;
  if (!bytes || !event.details) return { ...event };
  const { receipt: _, ...details } = event.details;
  return { ...event, details, [RECEIPT_BYTES]: bytes };
}

/** The event an item holds, in the shape the contract parses (an event passes unchanged). */
export function eventOfItem(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || !(RECEIPT_BYTES in item)) return item;
  const { [RECEIPT_BYTES]: bytes, ...rest } = item as Record<string, unknown>;
  const details = (rest.details ?? {}) as Record<string, unknown>;
  if (!(bytes instanceof Uint8Array) || 'receipt' in details) {
    throw new TypeError('a stored event holds a malformed receipt');
  }
  return { ...rest, details: { ...details, receipt: receiptFromBytes(bytes) } };
}

/** Each segment's bytes, length-prefixed (2 bytes, big-endian) but the last; undefined if not canonical. */
function receiptToBytes(jws: string): Uint8Array | undefined {
  const segments = jws.split('.');
  if (segments.length !== 3) return undefined;
  const parts = segments.map((s) => Buffer.from(s, 'base64url'));
  if (parts.some((p, i) => p.toString('base64url') !== segments[i] || p.length > 0xffff)) return undefined;
  const [header, payload, signature] = parts as [Buffer, Buffer, Buffer];
  const out = Buffer.alloc(4 + header.length + payload.length + signature.length);
  out.writeUInt16BE(header.length, 0);
  header.copy(out, 2);
  out.writeUInt16BE(payload.length, 2 + header.length);
  payload.copy(out, 4 + header.length);
  signature.copy(out, 4 + header.length + payload.length);
  return new Uint8Array(out);
}

function receiptFromBytes(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = () => {
    throw new TypeError('a stored event holds a malformed receipt');
  };
  if (b.length < 4) fail();
  const headerLength = b.readUInt16BE(0);
  if (b.length < 4 + headerLength) fail();
  const payloadLength = b.readUInt16BE(2 + headerLength);
  const signatureAt = 4 + headerLength + payloadLength;
  if (b.length < signatureAt) fail();
  return [b.subarray(2, 2 + headerLength), b.subarray(4 + headerLength, signatureAt), b.subarray(signatureAt)]
    .map((p) => p.toString('base64url'))
    .join('.');
}
