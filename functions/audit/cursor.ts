import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { AuditEventIdSchema } from '../../contracts/audit-api.ts';
import { DateSchema, TimestampSchema } from '../../contracts/common.ts';
import { InvalidRequestError } from '../../lib/errors.ts';

/** Where the next page starts, and the end of the range when the first page fixed it. */
export const CursorStateSchema = z.strictObject({
  after: AuditEventIdSchema.optional(),
  day: DateSchema.optional(),
  to: TimestampSchema.optional(),
});
export type CursorState = z.infer<typeof CursorStateSchema>;

const PayloadSchema = CursorStateSchema.extend({ v: z.literal(1), q: z.string() });

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Opaque page cursors: base64url JSON of the position and a fingerprint of the query, then an
 * HMAC under a key derived from the province's secret. A cursor cannot be forged, edited or
 * carried over to another query; anything else is 400, never a crash.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: Uint8Array) {
    // Its own key: a cursor MAC must never double as a holder hash.
    this.key = createHmac('sha256', secret).update('elg/audit/cursor/v1').digest();
  }

  /** The fingerprint binding a cursor to the filters and range of its query. */
  static fingerprint(query: Record<string, string | undefined>): string {
    const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    return createHash('sha256')
      .update(canonicalize(defined) ?? '')
      .digest('base64url');
  }

  encode(fingerprint: string, state: CursorState): string {
    const payload = Buffer.from(JSON.stringify({ v: 1, q: fingerprint, ...state })).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  decode(token: string, fingerprint: string): CursorState {
    const [payload, mac, ...extra] = token.split('.');
    if (!payload || !mac || extra.length > 0 || !B64URL.test(payload) || !B64URL.test(mac)) {
      throw invalid('the cursor is malformed');
    }
    const expected = this.mac(payload);
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalid('the cursor was not issued by this gateway or was altered');
    }
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw invalid('the cursor is malformed');
    }
    const parsed = PayloadSchema.safeParse(raw);
    if (!parsed.success) throw invalid('the cursor is malformed');
    const { v: _v, q, ...state } = parsed.data;
    if (q !== fingerprint) throw invalid('the cursor belongs to another query: repeat its filters and range');
    return state;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

function invalid(message: string) {
  return new InvalidRequestError(message, [{ path: ['cursor'], code: 'invalid_cursor', message }]);
}
