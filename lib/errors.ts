import type { ContentfulStatusCode } from 'hono/utils/http-status';
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

export class InvalidRequestError extends AppError {
  constructor(message: string, issues?: FieldIssue[]) {
    super(ErrorCode.INVALID_REQUEST, 400, message, issues);
  }
}
export class UnauthenticatedError extends AppError {
  constructor(message = 'a valid bearer token is required') {
    super(ErrorCode.UNAUTHENTICATED, 401, message);
  }
}
export class SignatureInvalidError extends AppError {
  constructor(message: string) {
    super(ErrorCode.SIGNATURE_INVALID, 401, message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(ErrorCode.FORBIDDEN, 403, message);
  }
}
export class NotFoundError extends AppError {
  constructor(message: string) {
    super(ErrorCode.NOT_FOUND, 404, message);
  }
}
export class ConflictError extends AppError {
  constructor(message: string) {
    super(ErrorCode.CONFLICT, 409, message);
  }
}
export class IdempotencyKeyReusedError extends AppError {
  constructor() {
    super(
      ErrorCode.IDEMPOTENCY_KEY_REUSED,
      422,
      'this Idempotency-Key was already used with a different request body',
    );
  }
}
export class TransitionNotAllowedError extends AppError {
  constructor(from: string, to: string) {
    super(ErrorCode.TRANSITION_NOT_ALLOWED, 409, `status ${from} cannot change to ${to}`);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    super(ErrorCode.PAYLOAD_TOO_LARGE, 413, `request body exceeds ${limit} bytes`);
  }
}
export class DependencyUnavailableError extends AppError {
  constructor(what: string, cause?: unknown) {
    super(ErrorCode.DEPENDENCY_UNAVAILABLE, 503, `${what} is unavailable`);
    if (cause !== undefined) this.cause = cause;
  }
}
export class ReplayedError extends AppError {
  constructor(message = 'this signed request was already received (jti seen before)') {
    super(ErrorCode.REPLAYED, 409, message);
  }
}
export class AgreementRequiredError extends AppError {
  constructor(message: string) {
    super(ErrorCode.AGREEMENT_REQUIRED, 403, message);
  }
}
export class ScopeDeniedError extends AppError {
  constructor(message: string) {
    super(ErrorCode.SCOPE_DENIED, 403, message);
  }
}
export class PeerUnavailableError extends AppError {
  constructor(
    readonly peer: string,
    message: string,
  ) {
    super(ErrorCode.PEER_UNAVAILABLE, 502, message);
  }
}
