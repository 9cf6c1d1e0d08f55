import { describe, expect, it } from 'vitest';
import { auditEvent } from '../../../lib/audit/events.ts';
import { eventLeafData } from '../../../lib/audit/log-leaf.ts';
import { eventItem, eventOfItem } from '../../../lib/store/audit-item.ts';

const b64url = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
/** A receipt's shape: header, payload, a 64-byte signature, each base64url. */
const RECEIPT = [
  b64url('{"alg":"ES256","kid":"ROtfinr_UY_bBYCcoSL_V5umCWhUX6gxBv6Mp5VkE5o","typ":"elg-receipt+jwt"}'),
  b64url('{"iss":"310000","aud":"330000","rjti":"Zmm9UydHkRwbDrMa1cwvMUiP","sts":200,"iat":1796135640}'),
  b64url(Uint8Array.from({ length: 64 }, (_, i) => i * 3)),
].join('.');

function verifyEvent(receipt: unknown) {
  return auditEvent(
    {
      province: '330000',
      traceId: '6787c925bd571f45cfba27b7ede18287',
      action: 'verify',
      outcome: 'success',
      peer: '310000',
      details: { matterCode: 'BENCH001', direction: 'outbound', status: 200, receipt: receipt as string },
    },
    new Date('2026-12-01T08:00:00Z'),
  );
}

describe('an audit event as the audit table keeps it', () => {
  it('keeps a receipt as its bytes and gives the event back exactly', () => {
    const event = verifyEvent(RECEIPT);

    const item = eventItem(event);

    expect(item.details).not.toHaveProperty('receipt');
    expect(item.receiptBytes).toBeInstanceOf(Uint8Array);
    // 4 length bytes and the three segments decoded: a quarter smaller than the text.
    const decoded = RECEIPT.split('.').reduce((n, s) => n + Buffer.from(s, 'base64url').length, 0);
    expect((item.receiptBytes as Uint8Array).length).toBe(decoded + 4);
    expect(decoded + 4).toBeLessThan(RECEIPT.length * 0.76);
    expect(eventOfItem(item)).toEqual(event);
    expect(Buffer.from(eventLeafData(item)).equals(Buffer.from(eventLeafData(event)))).toBe(true);
  });

  it.each([
    ['padded', `${RECEIPT}==`],
    ['with stray bits in its last character', `${RECEIPT.slice(0, -1)}B`],
    ['of two segments', RECEIPT.split('.').slice(0, 2).join('.')],
    ['with characters outside base64url', RECEIPT.replace('.', '.+')],
  ])('keeps a receipt %s as the text it was', (_, receipt) => {
    const event = verifyEvent(receipt);

    const item = eventItem(event);

    expect(item).not.toHaveProperty('receiptBytes');
    expect((item.details as Record<string, unknown>).receipt).toBe(receipt);
    expect(eventOfItem(item)).toEqual(event);
  });

  it('leaves an event without a receipt as it is', () => {
    const event = verifyEvent(null);

    expect(eventItem(event)).toEqual(event);
    expect(eventOfItem(event)).toBe(event);
  });

  it('refuses a stored receipt that is cut short or stored twice', () => {
    const item = eventItem(verifyEvent(RECEIPT));
    const bytes = item.receiptBytes as Uint8Array;

    expect(() => eventOfItem({ ...item, receiptBytes: bytes.subarray(0, 60) })).toThrow(/malformed receipt/);
    expect(() => eventOfItem({ ...item, receiptBytes: 'text' })).toThrow(/malformed receipt/);
    expect(() =>
      eventOfItem({ ...item, details: { ...(item.details as object), receipt: RECEIPT } }),
    ).toThrow(/malformed receipt/);
  });
});
