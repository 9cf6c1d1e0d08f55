import { z } from 'zod';
import {
  AgreementDocumentSchema,
  AgreementProposalSchema,
  AgreementSignatureSchema,
  AgreementStateSchema,
  AgreementViewSchema,
  DeliverySchema,
  GrantSchema,
  ProposalDeliverySchema,
  WithdrawalSchema,
} from './agreement.ts';
import {
  AuditEventIdSchema,
  AuditEventsPageSchema,
  AuditedEventSchema,
  AuditQuerySchema,
  ConsistencyProofSchema,
  ConsistencyQuerySchema,
  HolderHashRequestSchema,
  HolderHashResponseSchema,
  InclusionProofSchema,
} from './audit-api.ts';
import { IdentifierSchema, LicenseStatusSchema } from './codes/index.ts';
import { TimestampSchema } from './common.ts';
import { ErrorBodySchema } from './errors.ts';
import * as ex from './examples.ts';
import {
  DataLevelSchema,
  InteropVerifyRequestSchema,
  InteropVerifyResponseSchema,
  RECEIPT_HEADER,
  SharedLicenseSchema,
  SIGNATURE_HEADER,
} from './interop.ts';
import { JwksSchema, PublicJwkSchema } from './keys.ts';
import {
  IssueRequestSchema,
  IssueResponseSchema,
  LicenseResponseSchema,
  LicenseSchema,
  NewVersionRequestSchema,
  StatusChangeRequestSchema,
} from './license.ts';
import { GatewayIdSchema } from './registry.ts';
import { VerifyRequestSchema, VerifyResponseSchema } from './verify.ts';

/** `GET /healthz`: 200 when storage answers and a registry is loaded, 503 `degraded` otherwise. */
export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  province: GatewayIdSchema,
  dependencies: z.object({
    storage: z.enum(['up', 'down']),
    registry: z.object({
      seq: z.number().int().nonnegative(),
      iat: z.number().int(),
      loadedAt: TimestampSchema,
      from: z.enum(['source', 'store']),
      lastRefreshAt: TimestampSchema.optional(),
      lastError: z.object({ code: z.string(), message: z.string(), at: TimestampSchema }).optional(),
      lastStoreError: z.object({ message: z.string(), at: TimestampSchema }).optional(),
    }),
  }),
});
export type Health = z.infer<typeof HealthSchema>;

/** `GET /v1/licenses/{identifier}`: the credential too when the caller's authority issued it. */
export const LicenseReadSchema = LicenseResponseSchema.extend({ credential: z.string().optional() });

export const AgreementListSchema = z.object({ items: z.array(AgreementViewSchema) });

/** What a gateway answers a delivery: 201 when something new was stored, 200 when all was held. */
export const AgreementReceiptSchema = z.object({
  id: AgreementDocumentSchema.shape.id,
  state: AgreementStateSchema,
  activeParties: z.array(GatewayIdSchema),
  changed: z.boolean(),
});

/** API Gateway's own answer when the stage throttle is reached: not the gateway's error shape. */
export const ThrottledSchema = z.object({ message: z.string() });

/** Where a named schema appears: request bodies (zod input side), answers (output side), or both. */
type Use = 'request' | 'response' | 'both';

/**
 * The zod contracts as named schemas (`#/components/schemas/<name>`). A schema met inside
 * another named one becomes a `$ref` to it. `both`: its input and output JSON Schema must be the
 * same, or the document would describe one side wrongly (checked when the document is built).
 */
export const COMPONENTS = {
  ErrorBody: { schema: ErrorBodySchema, use: 'response', description: 'Every refusal and failure' },
  Throttled: { schema: ThrottledSchema, use: 'response', description: "API Gateway's answer 429" },
  Identifier: {
    schema: IdentifierSchema,
    use: 'both',
    description:
      'GB/T 36904 e-license identifier: 1.2.156.3005.2, type code, issuer USCC, serial, version, ' +
      'and a mod 37,36 check character',
  },
  LicenseStatus: {
    schema: LicenseStatusSchema,
    use: 'both',
    description:
      '证照状态: 01 有效 valid, 02 暂扣 suspended, 03 撤销 withdrawn, 04 注销 cancelled, 05 失效 lapsed, ' +
      '06 办理转出 transferred out, 07 吊销 revoked, 99 其他 other',
  },
  GatewayId: { schema: GatewayIdSchema, use: 'both', description: 'A province: its GB/T 2260 code' },
  DataLevel: {
    schema: DataLevelSchema,
    use: 'both',
    description: '分类分级: 1 public, 2 internal, 3 sensitive, 4 restricted (never leaves the province)',
  },
  PublicJwk: { schema: PublicJwkSchema, use: 'response' },
  Jwks: { schema: JwksSchema, use: 'response' },
  Health: { schema: HealthSchema, use: 'response' },
  IssueRequest: { schema: IssueRequestSchema, use: 'request' },
  NewVersionRequest: { schema: NewVersionRequestSchema, use: 'request' },
  StatusChangeRequest: { schema: StatusChangeRequestSchema, use: 'request' },
  License: { schema: LicenseSchema, use: 'response' },
  IssueResponse: { schema: IssueResponseSchema, use: 'response' },
  LicenseResponse: { schema: LicenseResponseSchema, use: 'response' },
  LicenseRead: { schema: LicenseReadSchema, use: 'response' },
  VerifyRequest: { schema: VerifyRequestSchema, use: 'request' },
  VerifyResponse: { schema: VerifyResponseSchema, use: 'response' },
  SharedLicense: { schema: SharedLicenseSchema, use: 'response' },
  InteropVerifyRequest: { schema: InteropVerifyRequestSchema, use: 'request' },
  InteropVerifyResponse: { schema: InteropVerifyResponseSchema, use: 'response' },
  Grant: { schema: GrantSchema, use: 'both' },
  AgreementProposal: { schema: AgreementProposalSchema, use: 'request' },
  AgreementDocument: {
    schema: AgreementDocumentSchema,
    use: 'request',
    description: 'What every party signs: the RFC 8785 canonical JSON of exactly these members',
  },
  AgreementSignature: { schema: AgreementSignatureSchema, use: 'both' },
  Withdrawal: { schema: WithdrawalSchema, use: 'both' },
  Delivery: { schema: DeliverySchema, use: 'response' },
  AgreementView: { schema: AgreementViewSchema, use: 'response' },
  AgreementList: { schema: AgreementListSchema, use: 'response' },
  ProposalDelivery: { schema: ProposalDeliverySchema, use: 'request' },
  AgreementReceipt: { schema: AgreementReceiptSchema, use: 'response' },
  AuditedEvent: { schema: AuditedEventSchema, use: 'response' },
  AuditEventsPage: { schema: AuditEventsPageSchema, use: 'response' },
  InclusionProof: { schema: InclusionProofSchema, use: 'response' },
  ConsistencyProof: { schema: ConsistencyProofSchema, use: 'response' },
  HolderHashRequest: { schema: HolderHashRequestSchema, use: 'request' },
  HolderHashResponse: { schema: HolderHashResponseSchema, use: 'response' },
} as const satisfies Record<string, { schema: z.ZodType; use: Use; description?: string }>;
export type ComponentName = keyof typeof COMPONENTS;

type JsonSchema = Record<string, unknown>;
const REF_PREFIX = '#/components/schemas/';
const ref = (name: ComponentName) => ({ $ref: `${REF_PREFIX}${name}` });

/**
 * Strips `$schema` (OpenAPI 3.1's default dialect is JSON Schema 2020-12 with its vocabulary, what
 * zod writes) and `$id` (a component is named by its place in the document).
 */
function clean(s: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = s;
  return rest;
}

function refsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX))
        out.add(v.slice(REF_PREFIX.length));
      else refsIn(v, out);
    }
  }
  return out;
}

let componentSchemas: Record<string, JsonSchema> | undefined;

/** JSON Schema (2020-12, as OpenAPI 3.1 uses it) of every component, built once. */
function schemas(): Record<string, JsonSchema> {
  if (componentSchemas) return componentSchemas;
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [id, c] of Object.entries(COMPONENTS)) {
    registry.add(c.schema, { id, ...('description' in c ? { description: c.description } : {}) });
  }
  const convert = (io: 'input' | 'output') =>
    z.toJSONSchema(registry, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      uri: (id) => `${REF_PREFIX}${id}`,
    }).schemas as Record<string, JsonSchema>;
  const side = { input: convert('input'), output: convert('output') };
  const out: Record<string, JsonSchema> = {};
  for (const [name, c] of Object.entries(COMPONENTS) as [
    ComponentName,
    (typeof COMPONENTS)[ComponentName],
  ][]) {
    const io = c.use === 'request' ? 'input' : 'output';
    const json = side[io][name];
    if (!json) throw new Error(`openapi: no JSON Schema for ${name}`);
    if (c.use === 'both' && JSON.stringify(side.input[name]) !== JSON.stringify(json)) {
      throw new Error(`openapi: ${name} reads differently as a request and as an answer; name each side`);
    }
    // A request schema may only point at schemas drawn as requests, an answer at answers.
    for (const target of refsIn(json)) {
      const use = COMPONENTS[target as ComponentName]?.use;
      if (use !== 'both' && use !== c.use) {
        throw new Error(`openapi: ${name} (${c.use}) refers to ${target} (${use ?? 'unknown'})`);
      }
    }
    out[name] = clean(json);
  }
  componentSchemas = out;
  return out;
}

/** A parameter's schema, inline (parameters are few and small). */
const inline = (s: z.ZodType) =>
  clean(z.toJSONSchema(s, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema);

const json = (name: ComponentName, example: unknown) => ({
  'application/json': { schema: ref(name), example },
});

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
  500: { bearer: 'INTERNAL: quote the trace id to the operator', signed: 'INTERNAL' },
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

function errors(auth: Auth, statuses: readonly number[]) {
  const out: Record<string, unknown> = {};
  const side = auth === 'signed' ? 'signed' : 'bearer';
  const examples = auth === 'signed' ? ex.SIGNED_CALL_ERRORS : ex.ERRORS;
  for (const status of [...statuses, 500]) {
    const meaning = ERROR_MEANING[status];
    if (!meaning) throw new Error(`openapi: no meaning for ${status}`);
    out[String(status)] = {
      description: meaning[side],
      headers: headersFor(auth),
      content: json('ErrorBody', examples[status]),
    };
  }
  out['429'] = { $ref: '#/components/responses/Throttled' };
  return out;
}

function answer(description: string, auth: Auth, content: Record<string, unknown>, extraHeaders = {}) {
  return { description, headers: headersFor(auth, extraHeaders), content };
}

// ---- Parameters -------------------------------------------------------------------------------

const identifierParam = {
  name: 'identifier',
  in: 'path',
  required: true,
  description: 'GB/T 36904 e-license identifier',
  schema: ref('Identifier'),
  example: ex.IDENTIFIER,
};
const agreementIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'agreement id: `agr_` and a ULID',
  schema: inline(AgreementDocumentSchema.shape.id),
  example: ex.AGREEMENT_ID,
};
const eventIdParam = {
  name: 'eventId',
  in: 'path',
  required: true,
  description: 'audit event id (ULID)',
  schema: inline(AuditEventIdSchema),
  example: ex.EVENT_ID,
};

function queryParams(s: z.ZodObject, examples: Record<string, unknown>) {
  return Object.entries(s.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: !(field as z.ZodType).safeParse(undefined).success,
    schema: inline(field as z.ZodType),
    ...(examples[name] !== undefined ? { example: examples[name] } : {}),
  }));
}

const LOCATION = (example: string) => ({
  Location: { description: 'where the new resource is read', schema: { type: 'string' }, example },
});

// ---- Operations -------------------------------------------------------------------------------

const bearer = [{ bearer: [] }];
const signed = [{ elgSignature: [] }];

const SIGNED_NOTE =
  'A signed call between gateways (docs/protocol.md §7): the caller signs method, path, body hash, ' +
  'time and a single-use id into `ELG-Signature` with its `gateway` key listed in the trust ' +
  'registry. Every answer to a caller whose signature verified, refusals included, carries an ' +
  '`ELG-Receipt` signed by this gateway over the status and the exact answer body.';

function paths() {
  return {
    '/.well-known/jwks.json': {
      get: {
        tags: ['discovery'],
        operationId: 'getJwks',
        summary: 'Public keys, each with its purpose',
        description:
          'The current credential, gateway and audit keys, and earlier generations still needed to ' +
          'verify what they signed. Cacheable for 5 minutes.',
        responses: {
          '200': answer('JWKS', 'none', json('Jwks', ex.JWKS)),
          ...errors('none', []),
        },
      },
    },
    '/healthz': {
      get: {
        tags: ['discovery'],
        operationId: 'getHealth',
        summary: 'Liveness and dependency status',
        responses: {
          '200': answer('storage answers and a trust registry is loaded', 'none', json('Health', ex.HEALTH)),
          '503': answer(
            'a dependency is down',
            'none',
            json('Health', {
              ...ex.HEALTH,
              status: 'degraded',
              dependencies: { ...ex.HEALTH.dependencies, storage: 'down' },
            }),
          ),
          ...errors('none', []),
        },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['discovery'],
        operationId: 'getOpenApi',
        summary: 'This document',
        responses: {
          '200': answer('OpenAPI 3.1 document', 'none', {
            'application/json': {
              schema: { type: 'object' },
              example: { openapi: '3.1.0', info: { title: 'E-license interoperability gateway 310000' } },
            },
          }),
          ...errors('none', []),
        },
      },
    },
    '/docs': {
      get: {
        tags: ['discovery'],
        operationId: 'getDocs',
        summary: 'This document as an interactive reference page',
        description:
          'Swagger UI, served with all its files from the gateway itself: the page loads nothing ' +
          'from anywhere else (its Content-Security-Policy says so too).',
        responses: {
          '200': answer('the page', 'none', {
            'text/html; charset=utf-8': {
              schema: { type: 'string' },
              example: '<!doctype html><html lang="zh-CN"><head><title>API reference</title>…',
            },
          }),
          ...errors('none', []),
        },
      },
    },
    '/docs/{asset}': {
      get: {
        tags: ['discovery'],
        operationId: 'getDocsAsset',
        summary: 'A file of the reference page',
        parameters: [
          {
            name: 'asset',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: [...DOCS_ASSETS] },
            example: 'swagger-ui.css',
          },
        ],
        responses: {
          '200': answer('the file; gzip-encoded when the client accepts it', 'none', {
            'text/javascript; charset=utf-8': {
              schema: { type: 'string' },
              example: 'window.ui = SwaggerUIBundle({…});',
            },
            'text/css; charset=utf-8': { schema: { type: 'string' }, example: '.swagger-ui{…}' },
          }),
          ...errors('none', [404]),
        },
      },
    },
    '/v1/licenses': {
      post: {
        tags: ['issuance'],
        operationId: 'issueLicense',
        summary: 'Issue an e-license (role issuer)',
        description:
          'The issuer token may issue only as its own authority (`issuer.uscc`). With the same ' +
          '`Idempotency-Key` and body, a retry answers the license issued the first time.',
        security: bearer,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: '8-128 letters, digits, `. _ : -`; kept for 24 hours',
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' },
            example: 'req-2026-000123',
          },
        ],
        requestBody: { required: true, content: json('IssueRequest', ex.ISSUE_REQUEST) },
        responses: {
          '201': answer('issued', 'bearer', json('IssueResponse', ex.ISSUE_RESPONSE), {
            ...LOCATION(`/v1/licenses/${ex.IDENTIFIER}`),
            'Idempotent-Replayed': {
              description: '`true` when this answers a retry with the same Idempotency-Key',
              schema: { type: 'string', enum: ['true'] },
              example: 'true',
            },
          }),
          ...errors('bearer', [400, 401, 403, 413, 415, 422, 503]),
        },
      },
    },
    '/v1/licenses/{identifier}': {
      get: {
        tags: ['issuance'],
        operationId: 'getLicense',
        summary: 'Read a license (roles issuer, platform)',
        description:
          'Issuers read the licenses of their own authority, with the credential; platforms read ' +
          "any of this province's, the holder's code masked.",
        security: bearer,
        parameters: [identifierParam],
        responses: {
          '200': answer('the license', 'bearer', json('LicenseRead', ex.LICENSE_READ)),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
    '/v1/licenses/{identifier}/versions': {
      post: {
        tags: ['issuance'],
        operationId: 'newLicenseVersion',
        summary: 'Change a license (变更): a new version supersedes the current one (role issuer)',
        security: bearer,
        parameters: [identifierParam],
        requestBody: { required: true, content: json('NewVersionRequest', ex.NEW_VERSION_REQUEST) },
        responses: {
          '201': answer(
            'the new version',
            'bearer',
            json('IssueResponse', ex.NEW_VERSION_RESPONSE),
            LOCATION(`/v1/licenses/${ex.IDENTIFIER_V2}`),
          ),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503]),
        },
      },
    },
    '/v1/licenses/{identifier}/status': {
      post: {
        tags: ['issuance'],
        operationId: 'changeLicenseStatus',
        summary: 'Change the status: suspend, withdraw, cancel, revoke ... (role issuer)',
        security: bearer,
        parameters: [identifierParam],
        requestBody: { required: true, content: json('StatusChangeRequest', ex.STATUS_CHANGE_REQUEST) },
        responses: {
          '200': answer('changed', 'bearer', json('LicenseResponse', ex.STATUS_CHANGE_RESPONSE)),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503]),
        },
      },
    },
    '/v1/verify': {
      post: {
        tags: ['verification'],
        operationId: 'verify',
        summary: 'Verify a credential or identifier from any province (role platform)',
        description:
          "A foreign license is confirmed by a signed call to its issuing province; that province's " +
          '`ELG-Receipt` comes back in `receipt`. A peer that is down or refuses makes the verdict ' +
          '`unverified` with a reason, not an error.',
        security: bearer,
        requestBody: { required: true, content: json('VerifyRequest', ex.VERIFY_REQUEST) },
        responses: {
          '200': answer('the verdict', 'bearer', json('VerifyResponse', ex.VERIFY_RESPONSE)),
          ...errors('bearer', [400, 401, 403, 413, 415, 503]),
        },
      },
    },
    '/v1/interop/verify': {
      post: {
        tags: ['interop'],
        operationId: 'interopVerify',
        summary: 'Another province confirms a license of this province (signed call)',
        description: `${SIGNED_NOTE} An active agreement must grant the caller \`verify\` on the license type and matter; the license is shared up to the granted data level.`,
        security: signed,
        requestBody: { required: true, content: json('InteropVerifyRequest', ex.INTEROP_VERIFY_REQUEST) },
        responses: {
          '200': answer(
            'the live status and the shared license',
            'signed',
            json('InteropVerifyResponse', ex.INTEROP_VERIFY_RESPONSE),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/agreements': {
      get: {
        tags: ['agreements'],
        operationId: 'listAgreements',
        summary: 'Agreements this province takes part in (role operator)',
        security: bearer,
        responses: {
          '200': answer('the agreements', 'bearer', json('AgreementList', ex.AGREEMENT_LIST)),
          ...errors('bearer', [401, 403, 503]),
        },
      },
      post: {
        tags: ['agreements'],
        operationId: 'proposeAgreement',
        summary: 'Propose a bilateral agreement or an alliance, signed by this province (role operator)',
        description: 'The proposal is delivered to every other party by the delivery function.',
        security: bearer,
        requestBody: { required: true, content: json('AgreementProposal', ex.AGREEMENT_PROPOSAL) },
        responses: {
          '201': answer(
            'proposed and signed',
            'bearer',
            json('AgreementView', ex.AGREEMENT_VIEW),
            LOCATION(`/v1/agreements/${ex.AGREEMENT_ID}`),
          ),
          ...errors('bearer', [400, 401, 403, 409, 413, 415, 503]),
        },
      },
    },
    '/v1/agreements/{id}': {
      get: {
        tags: ['agreements'],
        operationId: 'getAgreement',
        summary: 'One agreement, its signatures, withdrawals and pending deliveries (role operator)',
        security: bearer,
        parameters: [agreementIdParam],
        responses: {
          '200': answer('the agreement', 'bearer', json('AgreementView', ex.AGREEMENT_VIEW)),
          ...errors('bearer', [401, 403, 404, 503]),
        },
      },
    },
    '/v1/agreements/{id}/signatures': {
      post: {
        tags: ['agreements'],
        operationId: 'signAgreement',
        summary: "Sign an agreement with this province's gateway key (role operator)",
        description: 'No body. 201 when signed now, 200 when this province had signed already.',
        security: bearer,
        parameters: [agreementIdParam],
        responses: {
          '201': answer('signed', 'bearer', json('AgreementView', ex.AGREEMENT_SIGNED)),
          '200': answer('signed before', 'bearer', json('AgreementView', ex.AGREEMENT_SIGNED)),
          ...errors('bearer', [401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/agreements/{id}/withdrawal': {
      post: {
        tags: ['agreements'],
        operationId: 'withdrawFromAgreement',
        summary: 'Withdraw this province from an agreement (role operator)',
        description:
          'No body. 201 when withdrawn now, 200 when withdrawn before. An alliance goes on without ' +
          'the withdrawn party.',
        security: bearer,
        parameters: [agreementIdParam],
        responses: {
          '201': answer('withdrawn', 'bearer', json('AgreementView', ex.AGREEMENT_WITHDRAWN)),
          '200': answer('withdrawn before', 'bearer', json('AgreementView', ex.AGREEMENT_WITHDRAWN)),
          ...errors('bearer', [401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/interop/agreements': {
      post: {
        tags: ['agreements'],
        operationId: 'deliverProposal',
        summary: 'Another party delivers a proposal with the signatures it holds (signed call)',
        description: `${SIGNED_NOTE} Every signature must verify against its party's gateway key.`,
        security: signed,
        requestBody: { required: true, content: json('ProposalDelivery', ex.PROPOSAL_DELIVERY) },
        responses: {
          '201': answer('stored', 'signed', json('AgreementReceipt', ex.AGREEMENT_RECEIPT)),
          '200': answer(
            'held already',
            'signed',
            json('AgreementReceipt', { ...ex.AGREEMENT_RECEIPT, changed: false }),
          ),
          ...errors('signed', [400, 401, 403, 409, 413, 503]),
        },
      },
    },
    '/v1/interop/agreements/{id}/signatures': {
      post: {
        tags: ['agreements'],
        operationId: 'deliverSignature',
        summary: "Another party delivers a party's signature of an agreement (signed call)",
        description: SIGNED_NOTE,
        security: signed,
        parameters: [agreementIdParam],
        requestBody: { required: true, content: json('AgreementSignature', ex.ZHEJIANG_SIGNATURE) },
        responses: {
          '201': answer(
            'stored',
            'signed',
            json('AgreementReceipt', { ...ex.AGREEMENT_RECEIPT, state: 'active' }),
          ),
          '200': answer(
            'held already',
            'signed',
            json('AgreementReceipt', { ...ex.AGREEMENT_RECEIPT, state: 'active', changed: false }),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/interop/agreements/{id}/withdrawal': {
      post: {
        tags: ['agreements'],
        operationId: 'deliverWithdrawal',
        summary: "Another party delivers a party's signed withdrawal (signed call)",
        description: SIGNED_NOTE,
        security: signed,
        parameters: [agreementIdParam],
        requestBody: { required: true, content: json('Withdrawal', ex.WITHDRAWAL) },
        responses: {
          '201': answer(
            'stored',
            'signed',
            json('AgreementReceipt', {
              ...ex.AGREEMENT_RECEIPT,
              state: 'withdrawn',
              activeParties: ['310000'],
            }),
          ),
          '200': answer(
            'held already',
            'signed',
            json('AgreementReceipt', {
              ...ex.AGREEMENT_RECEIPT,
              state: 'withdrawn',
              activeParties: ['310000'],
              changed: false,
            }),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/audit/events': {
      get: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary:
          'Audit events by trace, license, holder hash, peer, action and time, in time order (role auditor)',
        description:
          'Without traceId, identifier, holderHash, peer or action, `from` is required and the range ' +
          'spans at most 31 days. A page may hold fewer than `limit` events and still carry a cursor.',
        security: bearer,
        parameters: queryParams(AuditQuerySchema, ex.AUDIT_QUERY),
        responses: {
          '200': answer('a page of events', 'bearer', json('AuditEventsPage', ex.AUDIT_EVENTS_PAGE)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/audit/events/{eventId}': {
      get: {
        tags: ['audit'],
        operationId: 'getAuditEvent',
        summary: 'One audit event, with its leaf index once integrated into the log (role auditor)',
        security: bearer,
        parameters: [eventIdParam],
        responses: {
          '200': answer('the event', 'bearer', json('AuditedEvent', ex.AUDITED_EVENT)),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
    '/v1/audit/events/{eventId}/proof': {
      get: {
        tags: ['audit'],
        operationId: 'getInclusionProof',
        summary: 'RFC 9162 inclusion proof of an event against the latest checkpoint (role auditor)',
        description: '409 while the event waits to be integrated into the log; retry shortly.',
        security: bearer,
        parameters: [eventIdParam],
        responses: {
          '200': answer('the proof', 'bearer', json('InclusionProof', ex.INCLUSION_PROOF)),
          ...errors('bearer', [400, 401, 403, 404, 409, 503]),
        },
      },
    },
    '/v1/audit/checkpoint': {
      get: {
        tags: ['audit'],
        operationId: 'getCheckpoint',
        summary: 'The latest checkpoint: a C2SP signed note by the audit key (role auditor)',
        security: bearer,
        responses: {
          '200': answer('signed note', 'bearer', {
            'text/plain; charset=utf-8': { schema: { type: 'string' }, example: ex.CHECKPOINT },
          }),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
    '/v1/audit/consistency': {
      get: {
        tags: ['audit'],
        operationId: 'getConsistencyProof',
        summary: 'RFC 9162 consistency proof between two tree sizes (role auditor)',
        security: bearer,
        parameters: queryParams(ConsistencyQuerySchema, { from: 1, to: 3 }),
        responses: {
          '200': answer('the proof', 'bearer', json('ConsistencyProof', ex.CONSISTENCY_PROOF)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/audit/holder-hash': {
      post: {
        tags: ['audit'],
        operationId: 'holderHash',
        summary: "A holder's keyed hash, to query events by holderHash (role auditor)",
        description: "A POST, so the holder's code travels in a body and never in a URL or an access log.",
        security: bearer,
        requestBody: { required: true, content: json('HolderHashRequest', ex.HOLDER_HASH_REQUEST) },
        responses: {
          '200': answer('the hash', 'bearer', json('HolderHashResponse', ex.HOLDER_HASH_RESPONSE)),
          ...errors('bearer', [400, 401, 403, 413, 415, 503]),
        },
      },
    },
  };
}

/** The files of the reference page under `/docs/`. */
export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js'] as const;

/** One tag per Lambda function of infra/functions.ts: the area a route belongs to. */
export const TAGS = [
  { name: 'discovery', description: 'Public: keys, health, this document and its reference page' },
  { name: 'issuance', description: 'Issue e-licenses, new versions and status changes (role issuer)' },
  { name: 'verification', description: "Verify any province's e-license (role platform)" },
  { name: 'interop', description: 'Signed calls from other provinces: verification' },
  {
    name: 'agreements',
    description: 'Bilateral agreements and alliances (role operator) and their signed deliveries',
  },
  { name: 'audit', description: 'The audit trail and its Merkle log proofs (role auditor)' },
] as const;

/**
 * OpenAPI 3.1 document of a province gateway, generated from the same zod contracts the
 * functions validate with, so the document cannot drift from the code. `serverUrl`: the
 * province's own base URL (its trust registry entry); without one, the server is the origin the
 * document is read from.
 */
export function openApiDocument(province: string, serverUrl?: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: `E-license interoperability gateway ${province}`,
      version: '1.0.0',
      description:
        'Issue and verify GB/T 36904 e-licenses; cross-province exchange (跨省通办). Every answer ' +
        'carries a W3C `traceparent`; quote its trace id to the operator. Examples are from the ' +
        'Shanghai gateway (310000) and its partner Zhejiang (330000).',
    },
    servers: [
      serverUrl
        ? {
            url: serverUrl,
            description: `the gateway of province ${province}, as the trust registry lists it`,
          }
        : { url: '/', description: 'this gateway' },
    ],
    tags: TAGS,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A token of the province's identity provider; its `roles` claim holds issuer, platform, " +
            "operator or auditor, and an issuer's its department's `uscc`.",
        },
        elgSignature: {
          type: 'apiKey',
          in: 'header',
          name: SIGNATURE_HEADER,
          description:
            "Compact JWS (`typ: elg-request+jwt`, ES256) by the calling gateway's `gateway` key over " +
            '`iss`, `aud`, `htm`, `htu` (path and query), `bsh` (base64url SHA-256 of the body bytes), ' +
            '`iat` (within 300 s), `jti` (single use) and `tid` (trace id). Example: ' +
            `\`${ex.ELG_SIGNATURE}\``,
        },
      },
      headers: {
        traceparent: {
          description: 'W3C trace context of this call; the trace id identifies it in every audit trail',
          schema: { type: 'string' },
          example: ex.TRACEPARENT,
        },
        [RECEIPT_HEADER]: {
          description:
            "Compact JWS (`typ: elg-receipt+jwt`) by this gateway's `gateway` key over `iss`, `aud` " +
            "(the caller), `rjti` (the request's jti), `sts` (the status), `bsh` (hash of the exact " +
            'answer body), `iat` and `tid`. Absent only when the signature of the call did not verify.',
          schema: { type: 'string' },
          example: ex.ELG_RECEIPT,
        },
      },
      responses: {
        Throttled: {
          description:
            'Too many requests: the deployed stage is throttled (500 requests/s, bursts of 1000). ' +
            "API Gateway answers with its own body, not the gateway's error shape; retry with backoff.",
          content: json('Throttled', ex.TOO_MANY_REQUESTS),
        },
      },
      schemas: schemas(),
    },
    paths: paths(),
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
