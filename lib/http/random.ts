import { randomFillSync } from 'node:crypto';

/*
 * The random identifiers of the request path (trace and span ids, request ids, officer
 * references), drawn from one buffer of the CSPRNG's bytes refilled 4 KB at a time, as Node draws
 * its own randomUUID: a draw of a few bytes from OpenSSL costs about what a draw of 4 KB costs.
 * Each byte is handed out once, and a refill is a new buffer, so no draw shares bytes with another.
 */

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function draw(bytes: number): Buffer {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES) {
    throw new RangeError(`draws are of 1 to ${POOL_BYTES} bytes`);
  }
  if (offset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return out;
}

/** `bytes` random bytes as lower-case hex (16 for a W3C trace id, 8 for a span id). */
export function randomHex(bytes: number): string {
  return draw(bytes).toString('hex');
}

/** `bytes` random bytes as base64url without padding. */
export function randomBase64url(bytes: number): string {
  return draw(bytes).toString('base64url');
}
