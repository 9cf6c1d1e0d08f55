import { createHmac } from 'node:crypto';

/**
 * Keyed hash of a holder (type code + code). Audit events carry this instead of the citizen ID
 * number; an auditor holding the province's key can find one holder's events, nobody else can
 * reverse it.
 */
export function holderHash(key: Uint8Array, holderTypeCode: string, holderCode: string): string {
  return createHmac('sha256', key).update(`${holderTypeCode}:${holderCode}`).digest('base64url');
}
