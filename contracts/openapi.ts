import { z } from 'zod';
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
    },
  };
}
