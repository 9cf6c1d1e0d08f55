import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  LICENSE_STATUS_NAMES,
  type LicenseStatus,
  STATUS_TRANSITIONS,
} from '../contracts/codes/license-status.ts';
import { ErrorCode, type FieldIssue } from '../contracts/errors.ts';

/**
 * The one base error of the gateway: a stable code and an HTTP status. The HTTP layer renders every
 * AppError as `{"error": {code, message, traceId}}`; anything else becomes 500 INTERNAL.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: ContentfulStatusCode,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An AppError class of one code and status, made with a message. */
function withCode(code: ErrorCode, status: ContentfulStatusCode) {
  return class extends AppError {
    constructor(message: string) {
      super(code, status, message);
    }
  };
}

export class InvalidRequestError extends AppError {
  constructor(message: string, issues?: FieldIssue[]) {
    super(ErrorCode.INVALID_REQUEST, 400, message, issues);
  }
}
export class UnauthenticatedError extends withCode(ErrorCode.UNAUTHENTICATED, 401) {
  constructor(message = 'a valid bearer token is required') {
    super(message);
  }
}
export class SignatureInvalidError extends withCode(ErrorCode.SIGNATURE_INVALID, 401) {}
export class ForbiddenError extends withCode(ErrorCode.FORBIDDEN, 403) {}
export class NotFoundError extends withCode(ErrorCode.NOT_FOUND, 404) {}
export class ConflictError extends withCode(ErrorCode.CONFLICT, 409) {}
export class IdempotencyKeyReusedError extends withCode(ErrorCode.IDEMPOTENCY_KEY_REUSED, 422) {
  constructor() {
    super('this Idempotency-Key was already used with a different request body');
  }
}
/** `07 revoked (吊销)`: a license status code with its meaning; the code alone when unknown. */
export function statusName(code: string): string {
  const name = Object.hasOwn(LICENSE_STATUS_NAMES, code)
    ? LICENSE_STATUS_NAMES[code as LicenseStatus]
    : undefined;
  return name ? `${code} ${name.en} (${name.zh})` : code;
}

/** Why a status change is refused, with the statuses named by their meaning. */
function transitionMessage(from: string, to: string): string {
  const next: readonly string[] = Object.hasOwn(STATUS_TRANSITIONS, from)
    ? STATUS_TRANSITIONS[from as LicenseStatus]
    : [];
  if (next.length === 0) {
    return from === to
      ? `the license is already ${statusName(from)}, a final status: it cannot change any more`
      : `the license is ${statusName(from)}, a final status: it cannot change to ${statusName(to)} or any other status`;
  }
  if (from === to) return `the license is already ${statusName(from)}`;
  const allowed = next.map(statusName);
  const last = allowed.pop();
  const list = allowed.length > 0 ? `${allowed.join(', ')} or ${last}` : last;
  return `a license that is ${statusName(from)} can change to ${list}, not to ${statusName(to)}`;
}

export class TransitionNotAllowedError extends withCode(ErrorCode.TRANSITION_NOT_ALLOWED, 409) {
  constructor(from: string, to: string) {
    super(transitionMessage(from, to));
  }
}
export class PayloadTooLargeError extends withCode(ErrorCode.PAYLOAD_TOO_LARGE, 413) {
  constructor(limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}
export class DependencyUnavailableError extends withCode(ErrorCode.DEPENDENCY_UNAVAILABLE, 503) {
  constructor(what: string, cause?: unknown) {
    super(`${what} is unavailable`);
    if (cause !== undefined) this.cause = cause;
  }
}
export class ReplayedError extends withCode(ErrorCode.REPLAYED, 409) {
  constructor(message = 'this signed request was already received (jti seen before)') {
    super(message);
  }
}
export class AgreementRequiredError extends withCode(ErrorCode.AGREEMENT_REQUIRED, 403) {}
/** Too many calls from one caller in a window (a limit kept in DynamoDB, lib/store/rate-limits.ts). */
export class RateLimitedError extends withCode(ErrorCode.RATE_LIMITED, 429) {}
/** The granting province's breaker for the calling province is open (docs/protocol.md §18.4). */
export class CircuitOpenError extends withCode(ErrorCode.CIRCUIT_OPEN, 429) {}
export class ScopeDeniedError extends withCode(ErrorCode.SCOPE_DENIED, 403) {}
export class PeerUnavailableError extends withCode(ErrorCode.PEER_UNAVAILABLE, 502) {
  constructor(
    readonly peer: string,
    message: string,
  ) {
    super(message);
  }
}

/** The checkpoint's origin is no log this province witnesses (docs/protocol.md §19.2). */
export class WitnessUnknownLogError extends withCode(ErrorCode.WITNESS_UNKNOWN_LOG, 404) {}
/** No published audit key of the log verifies the checkpoint (§19.2). */
export class CheckpointSignatureInvalidError extends withCode(ErrorCode.CHECKPOINT_SIGNATURE_INVALID, 403) {}
/** The consistency proof from the size last cosigned does not verify (§19.2). */
export class ConsistencyProofInvalidError extends withCode(ErrorCode.CONSISTENCY_PROOF_INVALID, 422) {}

/**
 * A 409 of the witness (§19.2): the old size is not the size last cosigned (WITNESS_SIZE_MISMATCH),
 * or that size has another root hash (WITNESS_ROOT_MISMATCH). Answered, as C2SP tlog-witness says,
 * with the size last cosigned in decimal and a newline, content type `text/x.tlog.size`, not
 * with the JSON error body.
 */
export class WitnessConflictError extends AppError {
  constructor(
    code: typeof ErrorCode.WITNESS_SIZE_MISMATCH | typeof ErrorCode.WITNESS_ROOT_MISMATCH,
    /** The size of the checkpoint this witness last cosigned for the log (0 if none). */
    readonly cosignedSize: number,
    message: string,
  ) {
    super(code, 409, message);
  }
}
