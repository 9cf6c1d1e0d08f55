import { z } from 'zod';
import {
  AuditEventsPageSchema,
  AuditedEventSchema,
  AuditQuerySchema,
  ConsistencyProofSchema,
  ConsistencyQuerySchema,
  HolderHashRequestSchema,
  HolderHashResponseSchema,
  InclusionProofSchema,
} from './audit-api.ts';
import { ErrorBodySchema } from './errors.ts';
import { JwksSchema } from './keys.ts';
import {
  IssueRequestSchema,
  IssueResponseSchema,
  LicenseResponseSchema,
  NewVersionRequestSchema,
  StatusChangeRequestSchema,
} from './license.ts';
import { VerifyRequestSchema, VerifyResponseSchema } from './verify.ts';

const schema = (s: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const json = (s: z.ZodType, io: 'input' | 'output') => ({ 'application/json': { schema: schema(s, io) } });

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [String(s), { description: 'error', content: json(ErrorBodySchema, 'output') }]),
  );

const bearer = [{ bearer: [] }];
const identifierParam = {
  name: 'identifier',
  in: 'path',
  required: true,
  description: 'GB/T 36904 e-license identifier',
  schema: { type: 'string' },
};

const eventIdParam = {
  name: 'eventId',
  in: 'path',
  required: true,
  description: 'audit event id (ULID)',
  schema: { type: 'string' },
};
const queryParams = (s: z.ZodObject) =>
  Object.entries(s.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !field.safeParse(undefined).success,
    schema: schema(field as z.ZodType, 'input'),
  }));

/**
 * OpenAPI 3.1 document of a province gateway, generated from the same zod contracts the
 * functions validate with, so the document cannot drift from the code.
 */
export function openApiDocument(province: string, serverUrl?: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: `E-license interoperability gateway ${province}`,
      version: '1.0.0',
      description: 'Issue and verify GB/T 36904 e-licenses; cross-province exchange (跨省通办).',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    paths: {
      '/.well-known/jwks.json': {
        get: {
          summary: 'Public keys with their purposes',
          responses: { '200': { description: 'JWKS', content: json(JwksSchema, 'output') } },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness and dependency status',
          responses: { '200': { description: 'ok' }, '503': { description: 'a dependency is down' } },
        },
      },
      '/v1/licenses': {
        post: {
          summary: 'Issue an e-license (role issuer)',
          security: bearer,
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: json(IssueRequestSchema, 'input') },
          responses: {
            '201': { description: 'issued', content: json(IssueResponseSchema, 'output') },
            ...errors(400, 401, 403, 413, 415, 422, 503),
          },
        },
      },
      '/v1/licenses/{identifier}': {
        get: {
          summary: 'Read a license, masked by role (issuer, platform)',
          security: bearer,
          parameters: [identifierParam],
          responses: {
            '200': { description: 'the license', content: json(LicenseResponseSchema, 'output') },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      '/v1/licenses/{identifier}/versions': {
        post: {
          summary: 'Change a license (变更): a new version supersedes the current one (role issuer)',
          security: bearer,
          parameters: [identifierParam],
          requestBody: { required: true, content: json(NewVersionRequestSchema, 'input') },
          responses: {
            '201': { description: 'new version', content: json(IssueResponseSchema, 'output') },
            ...errors(400, 401, 403, 404, 409, 413),
          },
        },
      },
      '/v1/licenses/{identifier}/status': {
        post: {
          summary: 'Change the status: suspend, withdraw, cancel, revoke ... (role issuer)',
          security: bearer,
          parameters: [identifierParam],
          requestBody: { required: true, content: json(StatusChangeRequestSchema, 'input') },
          responses: {
            '200': { description: 'changed', content: json(LicenseResponseSchema, 'output') },
            ...errors(400, 401, 403, 404, 409, 413),
          },
        },
      },
      '/v1/verify': {
        post: {
          summary: 'Verify a credential or identifier from any province (role platform)',
          security: bearer,
          requestBody: { required: true, content: json(VerifyRequestSchema, 'input') },
          responses: {
            '200': { description: 'verdict', content: json(VerifyResponseSchema, 'output') },
            ...errors(400, 401, 403, 413, 503),
          },
        },
      },
      '/v1/audit/events': {
        get: {
          summary:
            'Audit events by trace, license, holder hash, peer, action and time, in time order (role auditor)',
          description:
            'Without traceId, identifier, holderHash, peer or action, `from` is required and the range ' +
            'spans at most 31 days. A page may hold fewer than `limit` events and still carry a cursor.',
          security: bearer,
          parameters: queryParams(AuditQuerySchema),
          responses: {
            '200': { description: 'a page of events', content: json(AuditEventsPageSchema, 'output') },
            ...errors(400, 401, 403, 503),
          },
        },
      },
      '/v1/audit/events/{eventId}': {
        get: {
          summary: 'One audit event, with its leaf index once integrated into the log (role auditor)',
          security: bearer,
          parameters: [eventIdParam],
          responses: {
            '200': { description: 'the event', content: json(AuditedEventSchema, 'output') },
            ...errors(400, 401, 403, 404),
          },
        },
      },
      '/v1/audit/events/{eventId}/proof': {
        get: {
          summary: 'RFC 9162 inclusion proof of an event against the latest checkpoint (role auditor)',
          security: bearer,
          parameters: [eventIdParam],
          responses: {
            '200': { description: 'the proof', content: json(InclusionProofSchema, 'output') },
            ...errors(400, 401, 403, 404, 409),
          },
        },
      },
      '/v1/audit/checkpoint': {
        get: {
          summary: 'The latest checkpoint: a C2SP signed note by the audit key (role auditor)',
          security: bearer,
          responses: {
            '200': {
              description: 'signed note',
              content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } },
            },
            ...errors(401, 403, 404),
          },
        },
      },
      '/v1/audit/consistency': {
        get: {
          summary: 'RFC 9162 consistency proof between two tree sizes (role auditor)',
          security: bearer,
          parameters: queryParams(ConsistencyQuerySchema),
          responses: {
            '200': { description: 'the proof', content: json(ConsistencyProofSchema, 'output') },
            ...errors(400, 401, 403),
          },
        },
      },
      '/v1/audit/holder-hash': {
        post: {
          summary: "A holder's keyed hash, to query events by holderHash (role auditor)",
          security: bearer,
          requestBody: { required: true, content: json(HolderHashRequestSchema, 'input') },
          responses: {
            '200': { description: 'the hash', content: json(HolderHashResponseSchema, 'output') },
            ...errors(400, 401, 403, 413, 415),
          },
        },
      },
    },
  };
}
