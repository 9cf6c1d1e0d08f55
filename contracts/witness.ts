import { z } from 'zod';
import { TimestampSchema, TraceIdSchema } from './common.ts';
import { GatewayIdSchema } from './registry.ts';

/**
 * The witness routes of a province (docs/protocol.md §19): C2SP tlog-witness `add-checkpoint`
 * (a signed call from any province of the registry), and the auditors' view of what this province
 * witnessed and of the split-view evidence it kept.
 */

/** `POST /v1/witness/add-checkpoint` (signed call, §19.2). */
export const WITNESS_ADD_CHECKPOINT = { method: 'POST', path: '/v1/witness/add-checkpoint' } as const;
/** `GET /v1/witness/logs`, `GET /v1/witness/evidence`, `GET /v1/witness/evidence/{evidenceId}` (§19.3). */
export const WITNESS_LOGS_PATH = '/v1/witness/logs';
export const WITNESS_EVIDENCE_PATH = '/v1/witness/evidence';

/**
 * Content type of the 409 answer of add-checkpoint (C2SP tlog-witness): the size of the checkpoint
 * the witness last cosigned for the log, ASCII decimal, then a newline.
 */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';
/** Content type of the request body and of the 200 answer (the cosignature/v1 signature line). */
export const WITNESS_TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** The body of a 409 answer: `<size>\n`. */
export function tlogSizeBody(size: number): string {
  if (!Number.isSafeInteger(size) || size < 0) throw new TypeError(`bad tree size ${size}`);
  return `${size}\n`;
}

/** Reads a `text/x.tlog.size` body strictly: decimal without leading zeroes, one newline. */
export function parseTlogSize(body: string): number | undefined {
  const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(body);
  if (!m?.[1]) return undefined;
  const size = Number(m[1]);
  return Number.isSafeInteger(size) ? size : undefined;
}

/**
 * Why a witness refused a checkpoint, in the `witness.refuse` event (`details.reason`):
 * `malformed` (400: not an add-checkpoint body, or an old size above the checkpoint's),
 * `unknown-log` (404: not a log this province witnesses), `bad-signature` (403: no published
 * audit key of the log signed it), `size-mismatch` (409: the old size is not the size last
 * cosigned, or another request's compare-and-set came first), `root-mismatch` (409: the size last
 * cosigned with another root hash), `bad-proof` (422: the consistency proof does not verify).
 */
export const WitnessRefusal = {
  malformed: 'malformed',
  unknownLog: 'unknown-log',
  badSignature: 'bad-signature',
  sizeMismatch: 'size-mismatch',
  rootMismatch: 'root-mismatch',
  badProof: 'bad-proof',
} as const;
export type WitnessRefusal = (typeof WitnessRefusal)[keyof typeof WitnessRefusal];

/**
 * What a piece of split-view evidence shows: `fork`, a consistency proof from the size cosigned
 * to a larger checkpoint that does not verify; `root-mismatch`, a checkpoint of the size cosigned
 * with another root hash; `rollback`, the log's own province submitting a checkpoint smaller than
 * the one cosigned.
 */
export const EvidenceKindSchema = z.enum(['fork', 'root-mismatch', 'rollback']);
export type EvidenceKind = z.infer<typeof EvidenceKindSchema>;

/** Evidence id: the first 16 bytes of SHA-256 over both signed notes, hex (§19.3). */
export const EvidenceIdSchema = z.string().regex(/^[0-9a-f]{32}$/);

const B64_HASH = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'a base64 SHA-256 hash');

/** One signed checkpoint as the witness holds it: its size and root, and the note verbatim. */
export const SignedCheckpointSchema = z.object({
  treeSize: z.number().int().nonnegative(),
  rootHash: B64_HASH,
  /** The signed note exactly as it was received, every signature line kept. */
  note: z.string().min(1),
});
export type SignedCheckpoint = z.infer<typeof SignedCheckpointSchema>;

/**
 * A split-view evidence record (§19.3): the checkpoint this province cosigned and the one that
 * contradicts it, both signed with the log's audit key, and the request that carried the second.
 */
export const EvidenceRecordSchema = z.object({
  evidenceId: EvidenceIdSchema,
  kind: EvidenceKindSchema,
  /** The log: `elg/<id>/audit`, and its province. */
  origin: z.string().min(1),
  logProvince: GatewayIdSchema,
  /** What this province had cosigned for the log when the contradiction came. */
  cosigned: SignedCheckpointSchema,
  /** The contradicting checkpoint, the old size and the consistency proof lines sent with it. */
  submitted: SignedCheckpointSchema.extend({
    oldSize: z.number().int().nonnegative(),
    proof: z.array(B64_HASH).max(63),
  }),
  /** The province whose signed call carried it (the log's own, or one that forwarded it). */
  caller: GatewayIdSchema,
  traceId: TraceIdSchema,
  receivedAt: TimestampSchema,
});
export type EvidenceRecord = z.infer<typeof EvidenceRecordSchema>;

const CursorSchema = z.string().regex(/^[0-9A-Za-z_-]{1,300}$/);

/** Query of `GET /v1/witness/evidence` (role auditor): newest first. */
export const EvidenceQuerySchema = z.strictObject({
  cursor: CursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type EvidenceQuery = z.infer<typeof EvidenceQuerySchema>;

export const EvidencePageSchema = z.object({
  items: z.array(EvidenceRecordSchema),
  cursor: z.string().optional(),
});
export type EvidencePage = z.infer<typeof EvidencePageSchema>;

/**
 * One log this province witnesses (`GET /v1/witness/logs`, roles auditor and operator): what it
 * last cosigned, absent while it never cosigned for that log.
 */
export const WitnessedLogSchema = z.object({
  origin: z.string().min(1),
  logProvince: GatewayIdSchema,
  cosigned: z
    .object({
      treeSize: z.number().int().nonnegative(),
      rootHash: B64_HASH,
      cosignedAt: TimestampSchema,
      /** The province whose call it was cosigned on. */
      caller: GatewayIdSchema,
    })
    .optional(),
});
export type WitnessedLog = z.infer<typeof WitnessedLogSchema>;

export const WitnessedLogsSchema = z.object({ logs: z.array(WitnessedLogSchema) });
export type WitnessedLogs = z.infer<typeof WitnessedLogsSchema>;
