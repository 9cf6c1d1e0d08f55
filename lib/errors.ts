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

export class TransitionNotAllowedError extends AppError {
  constructor(from: string, to: string) {
    super(ErrorCode.TRANSITION_NOT_ALLOWED, 409, transitionMessage(from, to));
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
