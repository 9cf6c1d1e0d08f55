import type { ErrorBody, ErrorCode } from '../errors.ts';
import { IDENTIFIER, TRACE_ID } from './parties.ts';

/** An error answer per status, each with the code a client most often meets there. */
export const ERRORS: Readonly<Record<number, ErrorBody>> = {
  400: errorBody(
    'INVALID_REQUEST',
    'the body is invalid: useCause: Too small: expected string to have >=1 characters',
    [{ path: ['useCause'], code: 'too_small', message: 'Too small: expected string to have >=1 characters' }],
  ),
  401: errorBody('UNAUTHENTICATED', 'the Authorization header is missing; send "Bearer <token>"'),
  403: errorBody('FORBIDDEN', 'this call needs the role issuer'),
  404: errorBody('NOT_FOUND', `no license ${IDENTIFIER} in province 310000`),
  409: errorBody('CONFLICT', 'only a valid (01) license can be changed; its status is 02'),
  413: errorBody('PAYLOAD_TOO_LARGE', 'request body exceeds 65536 bytes'),
  415: errorBody('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'),
  422: errorBody(
    'IDEMPOTENCY_KEY_REUSED',
    'this Idempotency-Key was already used with a different request body',
  ),
  429: errorBody('RATE_LIMITED', '310000 is answering too many holder questions; try again later'),
  500: errorBody('INTERNAL', 'internal error; quote the trace id to the operator'),
  502: errorBody('PEER_UNAVAILABLE', '310000 did not answer within 3000 ms'),
  503: errorBody('DEPENDENCY_UNAVAILABLE', 'storage is unavailable'),
};

/** The same statuses as a signed call from another gateway meets them. */
export const SIGNED_CALL_ERRORS: Readonly<Record<number, ErrorBody>> = {
  ...ERRORS,
  400: errorBody('INVALID_REQUEST', 'the body is not valid JSON'),
  401: errorBody('SIGNATURE_INVALID', 'the ELG-Signature header is missing'),
  403: errorBody('AGREEMENT_REQUIRED', 'no active agreement grants 330000 verify on this license type'),
  404: errorBody('NOT_FOUND', `province 310000 issued no license ${IDENTIFIER}`),
  409: errorBody('REPLAYED', 'this signed request was already received (jti seen before)'),
  429: errorBody('RATE_LIMITED', '330000 asked for holders’ uses more than 120 times this minute'),
};

/** What API Gateway answers when the stage's throttle (500 requests/s, bursts of 1000) is reached. */
export const TOO_MANY_REQUESTS = { message: 'Too Many Requests' };

function errorBody(code: ErrorCode, message: string, issues?: ErrorBody['error']['issues']): ErrorBody {
  return { error: { code, message, traceId: TRACE_ID, ...(issues ? { issues } : {}) } };
}
