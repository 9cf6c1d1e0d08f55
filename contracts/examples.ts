import type { z } from 'zod';
import type {
  AgreementDocument,
  AgreementProposal,
  AgreementSignature,
  AgreementView,
  ProposalDelivery,
  Withdrawal,
} from './agreement.ts';
import type {
  AuditEventsPage,
  AuditedEvent,
  AuditQuery,
  ConsistencyProof,
  HolderHashRequest,
  HolderHashResponse,
  InclusionProof,
} from './audit-api.ts';
import type { ErrorBody, ErrorCode } from './errors.ts';
import type { InteropVerifyRequest, InteropVerifyResponse, ReceiptClaims, RequestClaims } from './interop.ts';
import type { Jwks } from './keys.ts';
import type {
  IssueRequestSchema,
  IssueResponse,
  License,
  NewVersionRequest,
  StatusChangeRequest,
} from './license.ts';
import type { VerifyRequest, VerifyResponse } from './verify.ts';

/**
 * Examples of the OpenAPI document: one day of the Shanghai gateway (310000) and its partner
 * Zhejiang (330000), taken from a real run, so every identifier carries its right check character,
 * every USCC is one of the local federation's (federation/provinces.ts), the credential verifies
 * against the JWKS below and the proofs against the checkpoint. test/contracts/openapi.test.ts
 * parses each one with the zod schema it illustrates, so an example that no longer fits fails there.
 */

/** 上海市住房和城乡建设管理委员会 and 浙江省住房和城乡建设厅, as in federation/provinces.ts. */
export const SHANGHAI_HOUSING = {
  name: '上海市住房和城乡建设管理委员会',
  uscc: '113100000024601315',
} as const;
export const ZHEJIANG_HOUSING = { name: '浙江省住房和城乡建设厅', uscc: '11330000002502880R' } as const;

/** 建筑施工特种作业人员操作资格证书, a nationally defined license type. */
const TYPE_CODE = '11100000000013338W032';
const TYPE_NAME = '建筑施工特种作业人员操作资格证书';

/** The first license of 2026 of this type in Shanghai, version 001 and its change to 002. */
export const IDENTIFIER = `1.2.156.3005.2.${TYPE_CODE}.${SHANGHAI_HOUSING.uscc}.2026000001.001.8`;
export const IDENTIFIER_V2 = `1.2.156.3005.2.${TYPE_CODE}.${SHANGHAI_HOUSING.uscc}.2026000001.002.6`;

export const AGREEMENT_ID = 'agr_01KJKHZE803MXDD5AW2RGV0PAE';
export const EVENT_ID = '01KJKHZE80F5Q33DXZ3D9J1ECM';
export const TRACE_ID = '71ff49dcc8e40cab4218f2c3f6473eae';

const SHANGHAI_KIDS = {
  credential: '789WlrEO6q1sn9MPkVjFfEdJQdFyYKjfC9KzrL9zZ9E',
  gateway: '1OFV-OYm6nJtl_R-vyOo39g_saomleYf2QydFfCiFak',
  audit: 'gDWT5pBPeODuAWO4ZCm3V_D2K8GbXV29aZ3dbch7fGA',
} as const;
const ZHEJIANG_GATEWAY_KID = 'oS2H0b8h1KXqfJ8a3mNn5WvQeZr7tYc4uLdP6gEjBkA';

export const JWKS: Jwks = {
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      x: '1KNtYHOzBmDI-PK2RVGnF8bJjrL277EwFuiFNuNUG08',
      y: 'PnLlTNzbFLv9__vBAWG0vDeJKmKjNEeU7-qELjNjNbI',
      kid: SHANGHAI_KIDS.credential,
      alg: 'ES256',
      use: 'sig',
      purpose: 'credential',
    },
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'RijxBM1PEheZwMF46CCYkayizjhMAeBLtDG_igl3-a8',
      y: 'UIzEPU5jrmhwcgdv_jwtX4rhWrhl-Ybm_Rny5PkQLU0',
      kid: SHANGHAI_KIDS.gateway,
      alg: 'ES256',
      use: 'sig',
      purpose: 'gateway',
    },
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'NzjZHilzh2AwpZEkd8h6d48N5-KV33jUMl9uqXKG70s',
      y: 'PgqO2qc7Wc-op9aPdtOAhHI-rzPFFgy4yMzGjUHjht8',
      kid: SHANGHAI_KIDS.audit,
      alg: 'ES256',
      use: 'sig',
      purpose: 'audit',
    },
  ],
};

/** The credential of IDENTIFIER, signed by the credential key of JWKS (it verifies). */
export const CREDENTIAL =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6Ijc4OVdsckVPNnExc245TVBrVmpGZkVkSlFkRnlZS2pmQzlLenJMOXpaOUUiLCJ0eXAiOiJlbGljZW5zZStqd3QifQ.' +
  'eyJpc3MiOiIzMTAwMDAiLCJqdGkiOiIxLjIuMTU2LjMwMDUuMi4xMTEwMDAwMDAwMDAxMzMzOFcwMzIuMTEzMTAwMDAwMDI0NjAxMzE1LjIwMjYwMDAwMDEuMDAxLjgiLCJpYXQiOjE3NzIzMzA0MDAsIm5iZiI6MTc3MjI5NDQwMCwiZXhwIjoxOTYxNTk2ODAwLCJsaWMiOnsidHlwZUNvZGUiOiIxMTEwMDAwMDAwMDAxMzMzOFcwMzIiLCJ0eXBlTmFtZSI6IuW7uuetkeaWveW3peeJueenjeS9nOS4muS6uuWRmOaTjeS9nOi1hOagvOivgeS5piIsIm51bWJlciI6IuayquW7uuWuiUEoMjAyNikwMDAxMjMiLCJpc3N1ZXIiOnsibmFtZSI6IuS4iua1t-W4guS9j-aIv-WSjOWfjuS5oeW7uuiuvueuoeeQhuWnlOWRmOS8miIsInVzY2MiOiIxMTMxMDAwMDAwMjQ2MDEzMTUifSwiaG9sZGVyIjp7Im5hbWUiOiLlvKDkuIkiLCJ0eXBlQ29kZSI6IjExMSIsImNvZGUiOiIxMTAxMDUxOTQ5MTIzMTAwMlgifSwiYXJlYUNvZGUiOiIzMTAwMDAiLCJpc3N1ZURhdGUiOiIyMDI2LTAzLTAxIiwidmVyc2lvbiI6IjAwMSIsImZpZWxkcyI6eyJjYXRlZ29yeSI6IuW7uuetkeeUteW3pSJ9fX0.' +
  '4ebhsE1Ti6iCX3A_gZ5fbfOBDrxYyOxLK3VrVtdznWn9d-QwQESZSV-ne4fudd0lr0LCb47O3z9jz_lGR5mXFw';

/** The credential of IDENTIFIER_V2 (after the change to 建筑架子工), by the same key. */
export const CREDENTIAL_V2 =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6Ijc4OVdsckVPNnExc245TVBrVmpGZkVkSlFkRnlZS2pmQzlLenJMOXpaOUUiLCJ0eXAiOiJlbGljZW5zZStqd3QifQ.' +
  'eyJpc3MiOiIzMTAwMDAiLCJqdGkiOiIxLjIuMTU2LjMwMDUuMi4xMTEwMDAwMDAwMDAxMzMzOFcwMzIuMTEzMTAwMDAwMDI0NjAxMzE1LjIwMjYwMDAwMDEuMDAyLjYiLCJpYXQiOjE3NzIzMzA0MDAsIm5iZiI6MTc3MjI5NDQwMCwiZXhwIjoxOTYxNTk2ODAwLCJsaWMiOnsidHlwZUNvZGUiOiIxMTEwMDAwMDAwMDAxMzMzOFcwMzIiLCJ0eXBlTmFtZSI6IuW7uuetkeaWveW3peeJueenjeS9nOS4muS6uuWRmOaTjeS9nOi1hOagvOivgeS5piIsIm51bWJlciI6IuayquW7uuWuiUEoMjAyNikwMDAxMjMiLCJpc3N1ZXIiOnsibmFtZSI6IuS4iua1t-W4guS9j-aIv-WSjOWfjuS5oeW7uuiuvueuoeeQhuWnlOWRmOS8miIsInVzY2MiOiIxMTMxMDAwMDAwMjQ2MDEzMTUifSwiaG9sZGVyIjp7Im5hbWUiOiLlvKDkuIkiLCJ0eXBlQ29kZSI6IjExMSIsImNvZGUiOiIxMTAxMDUxOTQ5MTIzMTAwMlgifSwiYXJlYUNvZGUiOiIzMTAwMDAiLCJpc3N1ZURhdGUiOiIyMDI2LTAzLTAxIiwidmVyc2lvbiI6IjAwMiIsImZpZWxkcyI6eyJjYXRlZ29yeSI6IuW7uuetkeaetuWtkOW3pSJ9fX0.' +
  'Ziub_yEv5E8WyqBJoxoP0hJ-FUse5sQwv39KoVdLiuchm8egSNc6VcBdmtleYpPVIs47oqH5y9ifUteFacziZw';

export const ISSUE_REQUEST = {
  typeCode: TYPE_CODE,
  typeName: TYPE_NAME,
  number: '沪建安A(2026)000123',
  issuer: SHANGHAI_HOUSING,
  holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
  areaCode: '310000',
  issueDate: '2026-03-01',
  validFrom: '2026-03-01',
  validUntil: '2032-02-28',
  fields: { category: '建筑电工' },
} satisfies z.input<typeof IssueRequestSchema>;

export const LICENSE: License = {
  identifier: IDENTIFIER,
  province: '310000',
  ...ISSUE_REQUEST,
  version: '001',
  status: '01',
  issuedAt: '2026-03-01T02:00:00.000Z',
};

/** As a platform reads it: the holder's code masked. */
export const LICENSE_MASKED: License = {
  ...LICENSE,
  holder: { ...LICENSE.holder, code: '110105********002X' },
};

export const ISSUE_RESPONSE: IssueResponse = {
  identifier: IDENTIFIER,
  version: '001',
  status: '01',
  credential: CREDENTIAL,
  license: LICENSE,
};

export const LICENSE_READ = { license: LICENSE, credential: CREDENTIAL };

export const NEW_VERSION_REQUEST: NewVersionRequest = {
  fields: { category: '建筑架子工' },
  reason: '变更操作类别',
};

/** Version 002 as issued. */
export const NEW_VERSION_RESPONSE: IssueResponse = {
  identifier: IDENTIFIER_V2,
  version: '002',
  status: '01',
  credential: CREDENTIAL_V2,
  license: { ...LICENSE, identifier: IDENTIFIER_V2, version: '002', fields: { category: '建筑架子工' } },
};

export const STATUS_CHANGE_REQUEST: StatusChangeRequest = { status: '02', reason: '违规作业，暂扣 30 日' };

export const STATUS_CHANGE_RESPONSE = {
  license: {
    ...LICENSE,
    identifier: IDENTIFIER_V2,
    version: '002',
    fields: { category: '建筑架子工' },
    status: '02',
    statusReason: '违规作业，暂扣 30 日',
    statusChangedAt: '2026-03-01T02:00:00.000Z',
  } satisfies License,
};

export const VERIFY_REQUEST: VerifyRequest = {
  credential: CREDENTIAL,
  matterCode: '310000-JS-0012',
  useCause: '办理建筑施工企业安全生产许可',
};

export const VERIFY_RESPONSE: VerifyResponse = {
  verdict: 'valid',
  identifier: IDENTIFIER,
  issuerProvince: '310000',
  status: '01',
  checks: { format: 'pass', issuer: 'pass', signature: 'pass', validity: 'pass', status: 'pass' },
  reasons: [],
  license: LICENSE_MASKED,
  traceId: TRACE_ID,
};

export const INTEROP_VERIFY_REQUEST: InteropVerifyRequest = {
  identifier: IDENTIFIER,
  matterCode: '330000-JS-0107',
  useCause: '浙江省建筑施工企业安全生产许可核验',
  requester: { platform: '浙江政务服务网', officerRef: 'ofr_mpePCgbkGTSUvg04' },
  dataLevel: 2,
};

export const INTEROP_VERIFY_RESPONSE: InteropVerifyResponse = {
  identifier: IDENTIFIER,
  status: '01',
  version: '001',
  currentIdentifier: IDENTIFIER,
  validFrom: '2026-03-01',
  validUntil: '2032-02-28',
  license: {
    identifier: IDENTIFIER,
    typeCode: TYPE_CODE,
    typeName: TYPE_NAME,
    issuer: SHANGHAI_HOUSING,
    areaCode: '310000',
    issueDate: '2026-03-01',
    validFrom: '2026-03-01',
    validUntil: '2032-02-28',
    version: '001',
    status: '01',
    dataLevel: 2,
    number: '沪建安A(2026)000123',
    holder: { name: '张三', typeCode: '111', code: '110105********002X' },
  },
  agreementId: AGREEMENT_ID,
};

const GRANT = {
  grantor: '310000',
  grantee: '330000',
  actions: ['verify' as const],
  licenseTypes: [TYPE_CODE],
  matterCodes: ['*'],
  maxDataLevel: 2,
};

export const AGREEMENT_PROPOSAL: AgreementProposal = {
  name: '沪浙建筑施工特种作业证照互认',
  parties: ['310000', '330000'],
  grants: [GRANT],
  validFrom: '2026-03-01',
  validUntil: '2028-12-31',
};

export const AGREEMENT_DOCUMENT: AgreementDocument = {
  id: AGREEMENT_ID,
  ...AGREEMENT_PROPOSAL,
  proposer: '310000',
  proposedAt: '2026-03-01T02:00:00.000Z',
};

export const SHANGHAI_SIGNATURE: AgreementSignature = {
  party: '310000',
  kid: SHANGHAI_KIDS.gateway,
  signature: 's6EdiHyag1UxoYGJEJgpOodtaGUkDUkE3DnXZk-bDLP34lIb66mIOb5xD65B3gFy6pLFhrK32Fr3XSotqistTg',
};

export const ZHEJIANG_SIGNATURE: AgreementSignature = {
  party: '330000',
  kid: ZHEJIANG_GATEWAY_KID,
  signature: 'Qm3v9Xc2LrT8pZk1WnY6aHs4JdG0eFbU7oRiVyN5tMwKqE3xCjS8lPuA2gDhO9fIzB1rT6kY4nWmV7cX0sL5eQ',
};

export const WITHDRAWAL: Withdrawal = {
  agreementId: AGREEMENT_ID,
  party: '330000',
  withdrawnAt: '2026-09-30T16:00:00.000Z',
  kid: ZHEJIANG_GATEWAY_KID,
  signature: '58z-fRmMmtKpwEUiXQKHURs122q4U7tyEohLUfqcMaFqYHcoN9d8SV4r7WfJe-AlUDBY2u1wEs6YJC_FEId2qA',
};

export const AGREEMENT_VIEW: AgreementView = {
  ...AGREEMENT_DOCUMENT,
  state: 'proposed',
  signatures: [SHANGHAI_SIGNATURE],
  withdrawals: [],
  activeParties: ['310000', '330000'],
  pendingDeliveries: [
    {
      to: '330000',
      kind: 'proposal',
      party: '310000',
      attempts: 0,
      nextAttemptAt: '2026-03-01T02:00:00.000Z',
    },
  ],
};

export const AGREEMENT_SIGNED: AgreementView = {
  ...AGREEMENT_VIEW,
  state: 'active',
  signatures: [SHANGHAI_SIGNATURE, ZHEJIANG_SIGNATURE],
  pendingDeliveries: [
    {
      to: '330000',
      kind: 'signature',
      party: '310000',
      attempts: 0,
      nextAttemptAt: '2026-03-02T01:30:00.000Z',
    },
  ],
};

export const AGREEMENT_WITHDRAWN: AgreementView = {
  ...AGREEMENT_SIGNED,
  state: 'withdrawn',
  withdrawals: [
    {
      agreementId: AGREEMENT_ID,
      party: '310000',
      withdrawnAt: '2026-09-30T16:00:00.000Z',
      kid: SHANGHAI_KIDS.gateway,
      signature: '58z-fRmMmtKpwEUiXQKHURs122q4U7tyEohLUfqcMaFqYHcoN9d8SV4r7WfJe-AlUDBY2u1wEs6YJC_FEId2qA',
    },
  ],
  activeParties: ['330000'],
  pendingDeliveries: [
    {
      to: '330000',
      kind: 'withdrawal',
      party: '310000',
      attempts: 0,
      nextAttemptAt: '2026-09-30T16:00:00.000Z',
    },
  ],
};

export const AGREEMENT_LIST = { items: [AGREEMENT_VIEW] };

export const PROPOSAL_DELIVERY: ProposalDelivery = {
  document: { ...AGREEMENT_DOCUMENT, proposer: '330000', proposedAt: '2026-03-01T02:00:00.000Z' },
  signatures: [ZHEJIANG_SIGNATURE],
};

/** What a gateway answers a delivering gateway. */
export const AGREEMENT_RECEIPT = {
  id: AGREEMENT_ID,
  state: 'proposed' as const,
  activeParties: ['310000', '330000'],
  changed: true,
};

export const AUDITED_EVENT: AuditedEvent = {
  eventId: EVENT_ID,
  province: '310000',
  time: '2026-03-01T02:00:00.000Z',
  traceId: 'd922e31a8618180869ad942e52c81742',
  action: 'license.issue',
  outcome: 'success',
  actor: { sub: 'issuer@sh-housing', roles: ['issuer'], uscc: SHANGHAI_HOUSING.uscc },
  method: 'POST',
  path: '/v1/licenses',
  identifier: IDENTIFIER,
  holderHash: 'TMrGDyNRVfplyz5VVNQJUlmZ1Eu2XAIBSqRiebeLWlE',
  details: { version: '001', idempotencyKey: 'req-2026-000123', typeCode: TYPE_CODE },
  leafIndex: 1,
};

export const AUDIT_EVENTS_PAGE: AuditEventsPage = {
  items: [
    AUDITED_EVENT,
    {
      eventId: '01KJKHZE80T8N6NGBA2F1Q17X3',
      province: '310000',
      time: '2026-03-01T02:00:00.000Z',
      traceId: TRACE_ID,
      action: 'verify',
      outcome: 'success',
      actor: { sub: 'platform@sh-zwfw', roles: ['platform'] },
      method: 'POST',
      path: '/v1/verify',
      identifier: IDENTIFIER,
      holderHash: 'TMrGDyNRVfplyz5VVNQJUlmZ1Eu2XAIBSqRiebeLWlE',
      details: {
        matterCode: '310000-JS-0012',
        presented: 'credential',
        verdict: 'valid',
        useCause: '办理建筑施工企业安全生产许可',
      },
      leafIndex: 7,
    },
  ],
  cursor: 'eyJ2IjoxLCJ0IjoiMjAyNi0wMy0wMVQwMjowMDowMC4wMDBaIiwiZSI6IjAxS0pLSFpFODBUOE42TkdCQTJGMVExN1gzIn0',
};

export const AUDIT_QUERY: AuditQuery = {
  identifier: IDENTIFIER,
  from: '2026-03-01T00:00:00Z',
  to: '2026-03-31T23:59:59Z',
  limit: 50,
};

/** The signed note of a tree of 10 events (C2SP checkpoint). */
export const CHECKPOINT =
  'elg/310000/audit\n10\nBkcIPd+bf2rtrnIpt2DupYrgI1+ccTbETI4Uak05pZU=\n\n' +
  '— elg/310000/audit DyVKljBEAiAFKy2uIViSc+PHsiVxIaxlERuVJDTf20MDLr6/cXn9nQIgPWE9VaIteCFnlGc3wL1UlIorDIawV6986qexVsFhBQ8=\n';

export const INCLUSION_PROOF: InclusionProof = {
  index: 1,
  treeSize: 10,
  leafHash: 'gS87/zelyECEEjHy0w8l0YTmJL9U06l0IKAjdi7wCBk=',
  proof: [
    '7Gxicwjn3sQXzKNJDyfO+pKhQdDJrTp1oU4dd8l92Ks=',
    'QW+Ui7XNvcp66+BFqEgjWxZHG897vxNxMMhfOveAhL0=',
    'vWW9e2xIzAZ8C1M5L2gczhFlnZDNnEPV3p8wRQEP/WY=',
    'T13OnpHOoXy7Ys3s3SqK5Q0XRx0bQOj00W3BWwZ8M74=',
  ],
  checkpoint: CHECKPOINT,
};

export const CONSISTENCY_PROOF: ConsistencyProof = {
  from: 1,
  to: 3,
  proof: ['gS87/zelyECEEjHy0w8l0YTmJL9U06l0IKAjdi7wCBk=', 'Wnueg35nWeErhP8Oz366Zs4Z1+l5+bhbzh0EHS3aax8='],
};

export const HOLDER_HASH_REQUEST: HolderHashRequest = {
  holderTypeCode: '111',
  holderCode: '11010519491231002X',
};
export const HOLDER_HASH_RESPONSE: HolderHashResponse = {
  holderHash: 'TMrGDyNRVfplyz5VVNQJUlmZ1Eu2XAIBSqRiebeLWlE',
};

export const HEALTH = {
  status: 'ok' as const,
  province: '310000',
  dependencies: {
    storage: 'up' as const,
    registry: {
      seq: 1772330400,
      iat: 1772330400,
      loadedAt: '2026-03-01T02:00:00.000Z',
      from: 'source' as const,
      lastRefreshAt: '2026-03-01T02:59:00.000Z',
    },
  },
};

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
  500: errorBody('INTERNAL', 'internal error; quote the trace id to the operator'),
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
};

/** What API Gateway answers when the stage's throttle (500 requests/s, bursts of 1000) is reached. */
export const TOO_MANY_REQUESTS = { message: 'Too Many Requests' };

function errorBody(code: ErrorCode, message: string, issues?: ErrorBody['error']['issues']): ErrorBody {
  return { error: { code, message, traceId: TRACE_ID, ...(issues ? { issues } : {}) } };
}

/** base64url of ASCII text (every JWS part below is ASCII). */
const b64url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * `ELG-Signature` of Zhejiang's call POST /v1/interop/verify with INTEROP_VERIFY_REQUEST as its
 * body (`bsh`: base64url SHA-256 of JSON.stringify of it, checked by the test). Its signature part
 * is a placeholder of the right shape: only the calling gateway's key can make a real one.
 */
export const REQUEST_CLAIMS: RequestClaims = {
  iss: '330000',
  aud: '310000',
  htm: 'POST',
  htu: '/v1/interop/verify',
  bsh: 'LYgUXnG7Q1ryCAWBVX8p7SWxNZzvBQWdE2_LOVUFTuY',
  iat: 1772330400,
  jti: 'r8Zt3KqV0m1xW5nB7cJ2pL',
  tid: TRACE_ID,
};
export const ELG_SIGNATURE = [
  b64url(JSON.stringify({ alg: 'ES256', kid: ZHEJIANG_GATEWAY_KID, typ: 'elg-request+jwt' })),
  b64url(JSON.stringify(REQUEST_CLAIMS)),
  ZHEJIANG_SIGNATURE.signature,
].join('.');

/**
 * `ELG-Receipt` of Shanghai's answer INTEROP_VERIFY_RESPONSE to that call (`bsh` over the answer
 * body as sent, JSON.stringify of it); a placeholder signature as above.
 */
export const RECEIPT_CLAIMS: ReceiptClaims = {
  iss: '310000',
  aud: '330000',
  rjti: REQUEST_CLAIMS.jti,
  bsh: 'm_FJPnqzXeNI0B2Z7yvtFMJYki4bWwd_PpZ4ERuni8A',
  sts: 200,
  iat: 1772330400,
  tid: TRACE_ID,
};
export const ELG_RECEIPT = [
  b64url(JSON.stringify({ alg: 'ES256', kid: SHANGHAI_KIDS.gateway, typ: 'elg-receipt+jwt' })),
  b64url(JSON.stringify(RECEIPT_CLAIMS)),
  SHANGHAI_SIGNATURE.signature,
].join('.');

export const TRACEPARENT = `00-${TRACE_ID}-3f6a9d2c81b4e7a0-01`;
