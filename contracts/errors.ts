import { z } from 'zod';
import { selfNamed, type ValueOf } from './code-list.ts';

/**
 * Stable error codes of the HTTP API (docs/protocol.md §13.1). Other provinces and client platforms
 * branch on these strings: never rename one, only add.
 */
export const ErrorCode = selfNamed(
  'INVALID_REQUEST',
  'UNAUTHENTICATED',
  'SIGNATURE_INVALID',
  'REPLAYED',
  'FORBIDDEN',
  'AGREEMENT_REQUIRED',
  'SCOPE_DENIED',
  'NOT_FOUND',
  'CONFLICT',
  'IDEMPOTENCY_KEY_REUSED',
  'TRANSITION_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  /** The granting province's breaker for the calling province is open (docs/protocol.md §18.4). */
  'CIRCUIT_OPEN',
  /** A witnessed checkpoint's origin is no log this province witnesses (404, docs/protocol.md §19.2). */
  'WITNESS_UNKNOWN_LOG',
  /** No published audit key of the log verifies the checkpoint (403, §19.2). */
  'CHECKPOINT_SIGNATURE_INVALID',
  /** The old size is not the size this witness last cosigned (409, body `text/x.tlog.size`, §19.2). */
  'WITNESS_SIZE_MISMATCH',
  /** The checkpoint has the size last cosigned but another root hash (409, §19.2). */
  'WITNESS_ROOT_MISMATCH',
  /** The consistency proof from the size last cosigned does not verify (422, §19.2). */
  'CONSISTENCY_PROOF_INVALID',
  'PEER_UNAVAILABLE',
  'DEPENDENCY_UNAVAILABLE',
  'INTERNAL',
);
export type ErrorCode = ValueOf<typeof ErrorCode>;

export const ErrorCodeSchema = z.enum(ErrorCode);

/** One field problem of an INVALID_REQUEST answer, in zod's own terms. */
export const FieldIssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  code: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    traceId: z.string(),
    issues: z.array(FieldIssueSchema).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
