import { z } from 'zod';
import { AuditActionSchema, AuditEventSchema } from './audit.ts';
import { checkHolderCode, HolderTypeCodeSchema } from './codes/index.ts';
import { TimestampSchema, TraceIdSchema } from './common.ts';
import { GatewayIdSchema } from './registry.ts';

export const MAX_AUDIT_PAGE = 200;

/** The longest time range a query that names no trace, license, holder, peer or action may walk. */
export const MAX_AUDIT_WINDOW_DAYS = 31;

/** An audit event id: a ULID (Crockford base32, time first). */
export const AuditEventIdSchema = AuditEventSchema.shape.eventId;

/** The keyed hash of a holder as events carry it: base64url HMAC-SHA-256. */
export const HolderHashSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'base64url HMAC-SHA-256');

/**
 * `GET /v1/audit/events` (role auditor). Every filter is optional, but a query naming no trace,
 * license, holder, peer or action needs `from` and may span at most MAX_AUDIT_WINDOW_DAYS.
 */
export const AuditQuerySchema = z
  .strictObject({
    traceId: TraceIdSchema.optional(),
    identifier: z.string().min(1).max(128).optional(),
    /** The keyed hash of a holder, as events carry it (`holderHash`). */
    holderHash: HolderHashSchema.optional(),
    peer: GatewayIdSchema.optional(),
    action: AuditActionSchema.optional(),
    from: TimestampSchema.optional(),
    to: TimestampSchema.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(50),
    cursor: z.string().max(512).optional(),
  })
  // Compared as instants: '08:00:00.5Z' sorts before '08:00:00Z' as text.
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'from is after to',
    path: ['from'],
  });
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

/**
 * `POST /v1/audit/holder-hash` (role auditor): the keyed hash events carry for a holder, so an
 * auditor can query by `holderHash` without a citizen ID number ever appearing in a URL or a log.
 */
export const HolderHashRequestSchema = z
  .strictObject({ holderTypeCode: HolderTypeCodeSchema, holderCode: z.string().min(1).max(64) })
  .superRefine((h, ctx) => {
    const checked = checkHolderCode(h.holderTypeCode, h.holderCode);
    if (!checked.ok) ctx.addIssue({ code: 'custom', path: ['holderCode'], message: checked.issue.reason });
  });
export type HolderHashRequest = z.infer<typeof HolderHashRequestSchema>;

export const HolderHashResponseSchema = z.object({ holderHash: HolderHashSchema });
export type HolderHashResponse = z.infer<typeof HolderHashResponseSchema>;

/** An event as auditors read it: the stored event and, once integrated, its place in the log. */
export const AuditedEventSchema = AuditEventSchema.extend({
  /** Leaf index in the province's Merkle log; absent until the sequencer integrated it. */
  leafIndex: z.number().int().nonnegative().optional(),
});
export type AuditedEvent = z.infer<typeof AuditedEventSchema>;

export const AuditEventsPageSchema = z.object({
  items: z.array(AuditedEventSchema),
  /** Opaque; absent on the last page. */
  cursor: z.string().optional(),
});
export type AuditEventsPage = z.infer<typeof AuditEventsPageSchema>;

const b64 = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'base64 SHA-256');

/**
 * `GET /v1/audit/events/{eventId}/proof`: RFC 9162 inclusion proof against the newest checkpoint
 * that has its witness quorum and covers the event, else the latest one (docs/protocol.md §19.4).
 */
export const InclusionProofSchema = z.object({
  index: z.number().int().nonnegative(),
  treeSize: z.number().int().positive(),
  /** base64 SHA-256(0x00 || RFC 8785 canonical event). */
  leafHash: b64,
  /** base64 hashes, leaf to root. */
  proof: z.array(b64),
  /** The cosigned note (C2SP checkpoint and the witnesses' cosignatures) the proof is against. */
  checkpoint: z.string(),
  /** The checkpoint had its witness quorum when its cosignatures were stored; false: not (yet). */
  witnessed: z.boolean().optional(),
});
export type InclusionProof = z.infer<typeof InclusionProofSchema>;

/** `GET /v1/audit/consistency?from=&to=`: RFC 9162 consistency proof between two tree sizes. */
export const ConsistencyQuerySchema = z
  .strictObject({ from: z.coerce.number().int().positive(), to: z.coerce.number().int().positive() })
  .refine((q) => q.from <= q.to, { message: 'from is larger than to', path: ['from'] });

export const ConsistencyProofSchema = z.object({
  from: z.number().int().positive(),
  to: z.number().int().positive(),
  proof: z.array(b64),
  /** Cosigned note of size `to` (the latest checkpoint when `to` is the current size). */
  checkpoint: z.string().optional(),
});
export type ConsistencyProof = z.infer<typeof ConsistencyProofSchema>;
