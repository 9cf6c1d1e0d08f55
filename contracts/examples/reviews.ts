import type { z } from 'zod';
import type { ErrorBody, ErrorCode } from '../errors.ts';
import type {
  InteropVerifyRequest,
  InteropVerifyResponse,
  ReceiptClaims,
  RequestClaims,
} from '../interop.ts';
import {
  type BreakersPageSchema,
  type BreakerView,
  type CallerReview,
  DEFAULT_BREAKER,
  type DecisionRequest,
  type HeldReview,
  type InteropReviewDecision,
  type ReleaseRequestSchema,
  type ReviewDecisionReceiptSchema,
  type ReviewPending,
  type ReviewPolicy,
  type ReviewPolicyView,
  type ReviewQueuePage,
  type ReviewQueueQuery,
} from '../reviews.ts';
import type { VerifyResponse } from '../verify.ts';
import { SHANGHAI_SIGNATURE } from './agreements.ts';
import { IDENTIFIER, SHANGHAI_KIDS, TRACE_ID, TYPE_CODE } from './parties.ts';
import { INTEROP_VERIFY_RESPONSE } from './verification.ts';

/*
 * Manual review and a breaker at Shanghai (docs/protocol.md §18). On Monday 2 March 2026 Shanghai's
 * operator has every request for sensitive data (level 3 and up) and every Zhejiang public-security
 * matter wait for a person. On Tuesday at 10:05 CST a police platform of Zhejiang verifies the
 * example license at level 3, under the two provinces' public-security agreement: Shanghai holds
 * the request (202) and Zhejiang's platform reads `unverified` `REVIEW_PENDING`. Two reviewers of
 * Shanghai approve it (four eyes), the answer computed at the second approval goes to Zhejiang by
 * a signed call, and Zhejiang's platform reads it `valid`. On Thursday a misconfigured batch job
 * of Zhejiang walks serials of the license type; after 61 calls, 56 of them NOT_FOUND, Shanghai's
 * breaker for Zhejiang trips, and Shanghai's operator releases it once Zhejiang has stopped the job.
 */

/** base64url of ASCII text (every JWS part below is ASCII). */
const b64url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The held request's id: Shanghai and a ULID of 10:05:00.318 CST, 3 March 2026. */
export const REVIEW_ID = '310000-01KJRQ21GYK8D3WZ6QH2VN4TPB';
/** 沪浙公安核查数据共享协议: grants Zhejiang `verify` up to level 3 for its public-security matters. */
const PUBLIC_SECURITY_AGREEMENT_ID = 'agr_01KJP4C580M3RZ7XQ1FD9TB6HN';
/** The trace of Zhejiang's verification that was held (its signed call and the decision's delivery). */
const HELD_TRACE_ID = 'c3a9e1f04b7d28566e0f1a2b9d4c7e85';

const OPERATOR = 'operator@sh-dsj';
const FIRST_REVIEWER = { reviewer: 'wang.min@sh-dsj', reviewerName: '王敏' } as const;
const SECOND_REVIEWER = { reviewer: 'li.qiang@sh-dsj', reviewerName: '李强' } as const;

const POLICY_SET_AT = '2026-03-02T08:00:00.000Z';
const REQUESTED_AT = '2026-03-03T02:05:00.274Z';
const HELD_AT = '2026-03-03T02:05:00.318Z';
/** 72 h after it was held. */
const EXPIRES_AT = '2026-03-06T02:05:00.318Z';
const FIRST_APPROVAL_AT = '2026-03-03T03:12:40.000Z';
const DECIDED_AT = '2026-03-03T05:40:12.000Z';
const TRIPPED_AT = '2026-03-05T01:20:41.207Z';
const RELEASED_AT = '2026-03-05T03:02:15.000Z';

/** `PUT /v1/review-policy`: the breaker keeps its default settings. */
export const REVIEW_POLICY: ReviewPolicy = {
  rules: [{ minDataLevel: 3 }, { matterCodes: ['330000-GA-0031', '330000-GA-0032'], peers: ['330000'] }],
};

/** The policy in force, as `GET` and `PUT /v1/review-policy` answer it. */
export const REVIEW_POLICY_VIEW: ReviewPolicyView = {
  rules: REVIEW_POLICY.rules,
  breaker: DEFAULT_BREAKER,
  updatedAt: POLICY_SET_AT,
  updatedBy: OPERATOR,
};

/** Zhejiang's signed call that Shanghai holds: a police platform asks for level 3. */
export const HELD_REQUEST: InteropVerifyRequest = {
  identifier: IDENTIFIER,
  matterCode: '330000-GA-0031',
  useCause: '公安机关办理案件核查持证人身份',
  requester: { platform: '浙江省公安厅警务协作平台', officerRef: 'ofr_Q7vT2kXbN9wLr3Hc' },
  dataLevel: 3,
};

/** 202 to that call. */
export const REVIEW_PENDING: ReviewPending = {
  code: 'REVIEW_PENDING',
  reviewId: REVIEW_ID,
  state: 'pending',
  expiresAt: EXPIRES_AT,
};

/**
 * Shanghai's `ELG-Receipt` of the 202 (`sts` 202, `bsh` base64url SHA-256 of JSON.stringify of
 * REVIEW_PENDING); its signature part a placeholder of the right shape, as ELG_RECEIPT's.
 */
const HELD_RECEIPT_CLAIMS: ReceiptClaims = {
  iss: '310000',
  aud: '330000',
  rjti: 'Vq3mT9xK2bLw7Rz0nC5hJd',
  bsh: 'HYMVzhmkX75ZGic8hXNwLIDqVT-_EEXQBwMjh3WQG1w',
  sts: 202,
  iat: 1772503500,
  tid: HELD_TRACE_ID,
};
const HELD_RECEIPT = [
  b64url(JSON.stringify({ alg: 'ES256', kid: SHANGHAI_KIDS.gateway, typ: 'elg-receipt+jwt' })),
  b64url(JSON.stringify(HELD_RECEIPT_CLAIMS)),
  SHANGHAI_SIGNATURE.signature,
].join('.');

/** What Zhejiang's `POST /v1/verify` answers its platform meanwhile. */
export const VERIFY_RESPONSE_HELD: VerifyResponse = {
  verdict: 'unverified',
  identifier: IDENTIFIER,
  issuerProvince: '310000',
  checks: {
    format: 'pass',
    issuer: 'pass',
    signature: 'skipped',
    validity: 'skipped',
    status: 'unavailable',
  },
  reasons: [
    {
      code: 'REVIEW_PENDING',
      message: `310000 holds the request for a person to decide (review ${REVIEW_ID}, until ${EXPIRES_AT})`,
    },
  ],
  receipt: HELD_RECEIPT,
  reviewId: REVIEW_ID,
  traceId: HELD_TRACE_ID,
};

/** The held request in Shanghai's queue. */
export const HELD_REVIEW: HeldReview = {
  reviewId: REVIEW_ID,
  state: 'pending',
  caller: '330000',
  request: HELD_REQUEST,
  licenseType: TYPE_CODE,
  dataLevel: 3,
  agreementId: PUBLIC_SECURITY_AGREEMENT_ID,
  heldBecause: 'policy',
  approvalsNeeded: 2,
  decisions: [],
  createdAt: HELD_AT,
  expiresAt: EXPIRES_AT,
};

export const REVIEW_QUEUE_QUERY: ReviewQueueQuery = { state: 'pending', limit: 20 };

export const REVIEW_QUEUE_PAGE: ReviewQueuePage = { items: [HELD_REVIEW] };

const FIRST_REASON = '案件编号已核实，仅用于核查持证人身份';
const SECOND_REASON = '复核同意';

/** `POST /v1/reviews/{reviewId}/decisions` by the second reviewer. */
export const DECISION_REQUEST: DecisionRequest = { decision: 'approve', reason: SECOND_REASON };

/** The review after the second approval: approved. */
export const REVIEW_APPROVED: HeldReview = {
  ...HELD_REVIEW,
  state: 'approved',
  decisions: [
    { decision: 'approve', reason: FIRST_REASON, ...FIRST_REVIEWER, at: FIRST_APPROVAL_AT },
    { decision: 'approve', reason: SECOND_REASON, ...SECOND_REVIEWER, at: DECIDED_AT },
  ],
  decidedAt: DECIDED_AT,
};

/** The interop answer computed at the approval: the license at level 3, under that agreement. */
const APPROVED_ANSWER: InteropVerifyResponse = {
  ...INTEROP_VERIFY_RESPONSE,
  license: {
    ...INTEROP_VERIFY_RESPONSE.license,
    dataLevel: 3,
    holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
    fields: { category: '建筑电工' },
  },
  agreementId: PUBLIC_SECURITY_AGREEMENT_ID,
};

/** Shanghai delivers the decision to Zhejiang (signed `POST /v1/interop/review-decisions`). */
export const INTEROP_REVIEW_DECISION: InteropReviewDecision = {
  reviewId: REVIEW_ID,
  identifier: IDENTIFIER,
  outcome: 'approved',
  reason: `${FIRST_REASON}; ${SECOND_REASON}`,
  decidedAt: DECIDED_AT,
  answer: APPROVED_ANSWER,
};

export const REVIEW_DECISION_RECEIPT: z.infer<typeof ReviewDecisionReceiptSchema> = {
  reviewId: REVIEW_ID,
  state: 'approved',
};

/**
 * The delivery's `ELG-Signature`, which Zhejiang keeps: Shanghai's request JWS over the decision's
 * bytes (`bsh` base64url SHA-256 of JSON.stringify of INTEROP_REVIEW_DECISION); a placeholder
 * signature part, as ELG_SIGNATURE's.
 */
const DECISION_CLAIMS: RequestClaims = {
  iss: '310000',
  aud: '330000',
  htm: 'POST',
  htu: '/v1/interop/review-decisions',
  bsh: '3OWYDPBDDIX54KV1rK7y34EBcVNcfZVc2jPG9eqr1p8',
  iat: 1772516447,
  jti: 'Hs8eP1qZ6yNc4Wk9tR2xBm',
  tid: HELD_TRACE_ID,
};

/** What Zhejiang's platform reads at `GET /v1/reviews/{reviewId}` once the decision arrived. */
export const CALLER_REVIEW: CallerReview = {
  reviewId: REVIEW_ID,
  issuer: '310000',
  identifier: IDENTIFIER,
  state: 'approved',
  verdict: {
    verdict: 'valid',
    identifier: IDENTIFIER,
    issuerProvince: '310000',
    status: '01',
    license: APPROVED_ANSWER.license,
    checks: { format: 'pass', issuer: 'pass', signature: 'skipped', validity: 'pass', status: 'pass' },
    reasons: [],
    reviewId: REVIEW_ID,
    traceId: TRACE_ID,
  },
  requestedAt: REQUESTED_AT,
  decidedAt: DECIDED_AT,
  reason: INTEROP_REVIEW_DECISION.reason,
  decisionSignature: [
    b64url(JSON.stringify({ alg: 'ES256', kid: SHANGHAI_KIDS.gateway, typ: 'elg-request+jwt' })),
    b64url(JSON.stringify(DECISION_CLAIMS)),
    SHANGHAI_SIGNATURE.signature,
  ].join('.'),
  decisionBody: JSON.stringify(INTEROP_REVIEW_DECISION),
};

/** Zhejiang's breaker at Shanghai, tripped by the serial walk. */
export const BREAKER_OPEN: BreakerView = {
  peer: '330000',
  state: 'open',
  trippedBecause: 'not-found-share',
  trippedAt: TRIPPED_AT,
  counts: { calls: 61, notFound: 56, windowMinutes: 10 },
};

export const BREAKERS_PAGE: z.infer<typeof BreakersPageSchema> = {
  items: [BREAKER_OPEN],
  breaker: DEFAULT_BREAKER,
};

/** `POST /v1/breakers/330000/release`. */
export const RELEASE_REQUEST: z.input<typeof ReleaseRequestSchema> = {
  reason: '已与浙江省大数据发展管理局核实：批量核验任务配置错误，已停用',
};

export const BREAKER_RELEASED: BreakerView = {
  ...BREAKER_OPEN,
  state: 'closed',
  releasedAt: RELEASED_AT,
  releasedBy: OPERATOR,
};

/** The refusals of these routes, each as its route answers it. */
export const REVIEW_ERRORS = {
  policyInvalid: errorBody(
    'INVALID_REQUEST',
    'the body is invalid: rules.0: Unrecognized key: "matterCode"',
    [{ path: ['rules', 0], code: 'unrecognized_keys', message: 'Unrecognized key: "matterCode"' }],
  ),
  operatorOnly: errorBody('FORBIDDEN', 'this call needs the role operator'),
  policyChanged: errorBody('CONFLICT', 'the review policy changed meanwhile; read it again'),
  queueInvalid: errorBody(
    'INVALID_REQUEST',
    'the query is invalid: state: Invalid option: expected one of "pending"|"decided"',
    [
      {
        path: ['state'],
        code: 'invalid_value',
        message: 'Invalid option: expected one of "pending"|"decided"',
      },
    ],
  ),
  reviewerOnly: errorBody('FORBIDDEN', 'this call needs the role reviewer'),
  reviewerOrPlatform: errorBody('FORBIDDEN', 'this call needs the role reviewer or platform'),
  noReview: errorBody('NOT_FOUND', `no review ${REVIEW_ID} here`),
  decisionInvalid: errorBody(
    'INVALID_REQUEST',
    'the body is invalid: decision: Invalid option: expected one of "approve"|"reject"',
    [
      {
        path: ['decision'],
        code: 'invalid_value',
        message: 'Invalid option: expected one of "approve"|"reject"',
      },
    ],
  ),
  decidedTwice: errorBody(
    'CONFLICT',
    'this reviewer has decided this review already; another reviewer decides next',
  ),
  releaseInvalid: errorBody(
    'INVALID_REQUEST',
    'the body is invalid: reason: Too small: expected string to have >=1 characters',
    [{ path: ['reason'], code: 'too_small', message: 'Too small: expected string to have >=1 characters' }],
  ),
  noProvince: errorBody('NOT_FOUND', 'no province zhejiang'),
  notOpen: errorBody('CONFLICT', 'the breaker of 330000 is not open'),
  circuitOpen: errorBody('CIRCUIT_OPEN', 'calls from 330000 are stopped: its breaker at 310000 is open'),
  noWait: errorBody('NOT_FOUND', `no review of 310000 named ${REVIEW_ID} is awaited here`),
  otherDecision: errorBody('CONFLICT', `review ${REVIEW_ID} already has another decision`),
} as const satisfies Record<string, ErrorBody>;

function errorBody(code: ErrorCode, message: string, issues?: ErrorBody['error']['issues']): ErrorBody {
  return { error: { code, message, traceId: TRACE_ID, ...(issues ? { issues } : {}) } };
}
