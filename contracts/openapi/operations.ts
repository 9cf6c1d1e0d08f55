import type { z } from 'zod';
import { AgreementDocumentSchema } from '../agreement.ts';
import { AuditEventIdSchema } from '../audit-api.ts';
import type { ErrorBody } from '../errors.ts';
import * as ex from '../examples.ts';
import { RECEIPT_HEADER } from '../interop.ts';
import { inline, json, ref } from './json-schema.ts';

/* What the operations of every area are made of: their answers, parameters and security. */

// ---- Answers ----------------------------------------------------------------------------------

type Auth = 'none' | 'bearer' | 'signed';

const ERROR_MEANING: Record<number, { bearer: string; signed: string }> = {
  400: { bearer: 'INVALID_REQUEST: the request does not match its contract', signed: 'INVALID_REQUEST' },
  401: {
    bearer: 'UNAUTHENTICATED: no valid bearer token',
    signed: 'SIGNATURE_INVALID: ELG-Signature missing, not by an active province, or not over this call',
  },
  403: {
    bearer: 'FORBIDDEN: the token lacks the role, or the authority may not act on this license',
    signed: 'FORBIDDEN (not a party), AGREEMENT_REQUIRED or SCOPE_DENIED (no agreement grants this)',
  },
  404: { bearer: 'NOT_FOUND', signed: 'NOT_FOUND' },
  409: {
    bearer: 'CONFLICT or TRANSITION_NOT_ALLOWED: the current state does not allow this',
    signed: 'REPLAYED (this jti was used before) or CONFLICT',
  },
  413: { bearer: 'PAYLOAD_TOO_LARGE: the body exceeds 64 KiB', signed: 'PAYLOAD_TOO_LARGE' },
  415: { bearer: 'UNSUPPORTED_MEDIA_TYPE: send application/json', signed: 'UNSUPPORTED_MEDIA_TYPE' },
  422: {
    bearer: 'IDEMPOTENCY_KEY_REUSED: the key came with a different body before',
    signed: 'IDEMPOTENCY_KEY_REUSED',
  },
  429: {
    bearer: 'RATE_LIMITED: the issuing province answers this province too often; retry later',
    signed: 'RATE_LIMITED: this province asked too often this minute',
  },
  500: { bearer: 'INTERNAL: quote the trace id to the operator', signed: 'INTERNAL' },
  502: {
    bearer: 'PEER_UNAVAILABLE: the issuing province did not answer',
    signed: 'PEER_UNAVAILABLE',
  },
  503: {
    bearer: 'DEPENDENCY_UNAVAILABLE: storage, KMS or the audit trail did not answer; retry',
    signed: 'DEPENDENCY_UNAVAILABLE',
  },
};

const traceHeader = { traceparent: { $ref: '#/components/headers/traceparent' } };
const receiptHeader = { [RECEIPT_HEADER]: { $ref: '#/components/headers/ELG-Receipt' } };

function headersFor(auth: Auth, extra: Record<string, unknown> = {}) {
  return { ...traceHeader, ...(auth === 'signed' ? receiptHeader : {}), ...extra };
}

/** What a route says of one of its error statuses instead of the common meaning and example. */
export interface ErrorNote {
  description?: string;
  example?: ErrorBody;
}

/**
 * The error answers of an operation: each listed status (and 500) with its common meaning and
 * example, or the route's own `notes`. A route that answers 429 itself (a rate limit of its own)
 * lists it; otherwise 429 is API Gateway's throttle.
 */
export function errors(
  auth: Auth,
  statuses: readonly number[],
  notes: Readonly<Record<number, ErrorNote>> = {},
) {
  const out: Record<string, unknown> = {};
  const side = auth === 'signed' ? 'signed' : 'bearer';
  const examples = auth === 'signed' ? ex.SIGNED_CALL_ERRORS : ex.ERRORS;
  for (const status of Object.keys(notes).map(Number)) {
    if (!statuses.includes(status)) throw new Error(`openapi: a note for ${status}, which is not listed`);
  }
  for (const status of [...statuses, 500]) {
    const meaning = ERROR_MEANING[status];
    if (!meaning) throw new Error(`openapi: no meaning for ${status}`);
    const note = notes[status] ?? {};
    const description = note.description ?? meaning[side];
    out[String(status)] = {
      description:
        status === 429
          ? `${description}. (API Gateway's own throttle also answers 429, in its own form: ${JSON.stringify(ex.TOO_MANY_REQUESTS)}.)`
          : description,
      headers: headersFor(auth),
      content: json('ErrorBody', note.example ?? examples[status]),
    };
  }
  if (!statuses.includes(429)) out['429'] = { $ref: '#/components/responses/Throttled' };
  return out;
}

export function answer(description: string, auth: Auth, content: Record<string, unknown>, extraHeaders = {}) {
  return { description, headers: headersFor(auth, extraHeaders), content };
}

// ---- Parameters -------------------------------------------------------------------------------

export const identifierParam = {
  name: 'identifier',
  in: 'path',
  required: true,
  description: 'GB/T 36904 e-license identifier',
  schema: ref('Identifier'),
  example: ex.IDENTIFIER,
};
export const agreementIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'agreement id: `agr_` and a ULID',
  schema: inline(AgreementDocumentSchema.shape.id),
  example: ex.AGREEMENT_ID,
};
export const eventIdParam = {
  name: 'eventId',
  in: 'path',
  required: true,
  description: 'audit event id (ULID)',
  schema: inline(AuditEventIdSchema),
  example: ex.EVENT_ID,
};

export function queryParams(s: z.ZodObject, examples: Record<string, unknown>) {
  return Object.entries(s.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: inline(field as z.ZodType),
    ...(examples[name] !== undefined ? { example: examples[name] } : {}),
  }));
}

export const LOCATION = (example: string) => ({
  Location: { description: 'where the new resource is read', schema: { type: 'string' }, example },
});

// ---- Operations -------------------------------------------------------------------------------

export const bearer = [{ bearer: [] }];
export const signed = [{ elgSignature: [] }];

export const SIGNED_NOTE =
  'A signed call between gateways (docs/protocol.md §7): the caller signs method, path, body hash, ' +
  'time and a single-use id into `ELG-Signature` with its `gateway` key listed in the trust ' +
  'registry. Every answer to a caller whose signature verified, refusals included, carries an ' +
  '`ELG-Receipt` signed by this gateway over the status and the exact answer body.';
