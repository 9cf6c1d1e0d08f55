import * as ex from './examples.ts';
import { RECEIPT_HEADER, SIGNATURE_HEADER } from './interop.ts';
import { json, schemas } from './openapi/json-schema.ts';
import { agreementPaths } from './openapi/paths/agreements.ts';
import { auditPaths } from './openapi/paths/audit.ts';
import { discoveryPaths } from './openapi/paths/discovery.ts';
import { holderPaths } from './openapi/paths/holder.ts';
import { interopPaths } from './openapi/paths/interop.ts';
import { licensePaths } from './openapi/paths/licenses.ts';
import { reportPaths } from './openapi/paths/reports.ts';
import { reviewPaths } from './openapi/paths/reviews.ts';
import { verificationPaths } from './openapi/paths/verification.ts';
import { witnessPaths } from './openapi/paths/witness.ts';

/*
 * The document's entry: its parts are in contracts/openapi/ (the named component schemas and their
 * JSON Schema, what every operation is made of, and the path items of each area, one file a tag).
 */

export {
  AgreementListSchema,
  AgreementReceiptSchema,
  COMPONENTS,
  type ComponentName,
  type Health,
  HealthSchema,
  LicenseReadSchema,
  ThrottledSchema,
} from './openapi/components.ts';
export { DOCS_ASSETS } from './openapi/paths/discovery.ts';

function paths() {
  return {
    ...discoveryPaths(),
    ...licensePaths(),
    ...verificationPaths(),
    ...interopPaths(),
    ...holderPaths(),
    ...agreementPaths(),
    ...reportPaths(),
    ...reviewPaths(),
    ...witnessPaths(),
    ...auditPaths(),
  };
}

/** One tag per Lambda function of functions/catalog.ts: the area a route belongs to. */
export const TAGS = [
  { name: 'discovery', description: 'Public: keys, health, this document and its reference page' },
  { name: 'issuance', description: 'Issue e-licenses, new versions and status changes (role issuer)' },
  { name: 'verification', description: "Verify any province's e-license (role platform)" },
  {
    name: 'interop',
    description:
      'Signed calls from other provinces: verification, answered at once, held for review or refused by a breaker',
  },
  {
    name: 'agreements',
    description: 'Bilateral agreements and alliances (role operator) and their signed deliveries',
  },
  {
    name: 'reports',
    description:
      'Error reports on licenses, their resolution by the issuing department, change notices, and their signed calls between provinces',
  },
  {
    name: 'reviews',
    description:
      "Manual review and breakers (熔断与人工复核): the review policy, held requests and their decisions, the calling provinces' breakers, and the signed delivery of decisions",
  },
  {
    name: 'witness',
    description:
      "Witnessing: cosigning other provinces' checkpoints (C2SP tlog-witness, signed calls) and the split-view evidence kept",
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
            "investigator, holder, operator, reviewer or auditor, and an issuer's its department's `uscc`.",
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
