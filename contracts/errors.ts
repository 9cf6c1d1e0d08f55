import { z } from 'zod';

/**
 * Stable error codes of the HTTP API (docs/protocol.md §13.1). Other provinces and client platforms
 * branch on these strings: never rename one, only add.
 */
export const ErrorCode = {
  INVALID_REQUEST: 'INVALID_REQUEST',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  REPLAYED: 'REPLAYED',
  FORBIDDEN: 'FORBIDDEN',
  AGREEMENT_REQUIRED: 'AGREEMENT_REQUIRED',
  SCOPE_DENIED: 'SCOPE_DENIED',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  TRANSITION_NOT_ALLOWED: 'TRANSITION_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  PEER_UNAVAILABLE: 'PEER_UNAVAILABLE',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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
