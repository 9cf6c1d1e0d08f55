import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Keyed hash of a holder (type code + code). Audit events carry this instead of the citizen ID
 * number; an auditor holding the province's key can find one holder's events, nobody else can
 * reverse it.
 */
export function holderHash(key: Uint8Array, holderTypeCode: string, holderCode: string): string {
  return createHmac('sha256', key).update(`${holderTypeCode}:${holderCode}`).digest('base64url');
}

const NO_HOLDER = Buffer.alloc(32);

/**
 * Whether two holder hashes are the same, compared in constant time; `stored` undefined (no
 * license found) is compared too, against nothing, so the answer takes as long either way.
 */
export function sameHolderHash(asked: string, stored: string | undefined): boolean {
  const a = Buffer.from(asked, 'base64url');
  const b = stored === undefined ? NO_HOLDER : Buffer.from(stored, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b) && stored !== undefined;
}
