import { z } from 'zod';
import { IdentifierSchema } from './codes/index.ts';
import { MatterCodeSchema, TimestampSchema, text } from './common.ts';
import { ErrorCodeSchema } from './errors.ts';
import { DataLevelSchema, InteropVerifyRequestSchema, InteropVerifyResponseSchema } from './interop.ts';
import { GatewayIdSchema } from './registry.ts';
import { VerifyResponseSchema } from './verify.ts';

/**
 * Manual review and circuit breakers (docs/protocol.md §18, 熔断与人工复核): a person at the
 * granting province decides sensitive requests before anything leaves it, and a breaker per
 * calling province cuts off one that floods it or walks license serials.
 */

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';

/** The grantor's id of a held request: its province and a ULID, `310000-01J…`. */
export const ReviewIdSchema = z
  .string()
  .regex(new RegExp(`^\\d{2}0000-${ULID}$`), 'a review id: the granting province, "-" and a ULID');
export type ReviewId = z.infer<typeof ReviewIdSchema>;

const TypeCodeSchema = z.string().regex(/^[0-9A-Z]{1,32}$/, 'a license type code');

/**
 * One rule of a review policy: an inbound verification matching every member given (an absent
 * member matches everything) waits for a person. `minDataLevel`: the level asked (or granted) is
 * at least this.
 */
export const ReviewRuleSchema = z.strictObject({
  matterCodes: z.array(MatterCodeSchema).min(1).max(100).optional(),
  licenseTypes: z.array(TypeCodeSchema).min(1).max(100).optional(),
  minDataLevel: DataLevelSchema.optional(),
  peers: z.array(GatewayIdSchema).min(1).max(34).optional(),
});
export type ReviewRule = z.infer<typeof ReviewRuleSchema>;

/**
 * When a calling province's breaker trips: more than `callsPerMinute` calls in a minute, or, over
 * the last `windowMinutes`, at least `minCalls` calls of which more than `notFoundShare` were
 * answered NOT_FOUND (serial walking). `whenOpen`: refuse (429 CIRCUIT_OPEN) or hold every call
 * for review until an operator releases it.
 */
export const BreakerSettingsSchema = z.strictObject({
  callsPerMinute: z.number().int().min(1).max(10_000_000),
  notFoundShare: z.number().min(0).max(1),
  windowMinutes: z.number().int().min(1).max(60),
  minCalls: z.number().int().min(1).max(1_000_000),
  whenOpen: z.enum(['refuse', 'review']),
});
export type BreakerSettings = z.infer<typeof BreakerSettingsSchema>;

/**
 * The breaker's settings a province has until its operator sets others: 60,000 calls a minute
 * (1,000 a second, the rate docs/protocol.md §9.4 sizes a province for), and a trip when more than
 * a fifth of at least 50 calls in 10 minutes asked for licenses that do not exist.
 */
export const DEFAULT_BREAKER: BreakerSettings = {
  callsPerMinute: 60_000,
  notFoundShare: 0.2,
  windowMinutes: 10,
  minCalls: 50,
  whenOpen: 'refuse',
};

/** `PUT /v1/review-policy` (role operator), and what `GET` answers. */
export const ReviewPolicySchema = z.strictObject({
  rules: z.array(ReviewRuleSchema).max(100),
  breaker: BreakerSettingsSchema.optional(),
});
export type ReviewPolicy = z.infer<typeof ReviewPolicySchema>;

/** `GET /v1/review-policy`: the policy in force, with the breaker's settings filled in. */
export const ReviewPolicyViewSchema = z.object({
  rules: z.array(ReviewRuleSchema),
  breaker: BreakerSettingsSchema,
  /** When the operator last changed it; absent before the first change. */
  updatedAt: TimestampSchema.optional(),
  updatedBy: z.string().optional(),
});
export type ReviewPolicyView = z.infer<typeof ReviewPolicyViewSchema>;

/** The 202 answer of `POST /v1/interop/verify` to a call that waits for review. */
export const ReviewPendingSchema = z.object({
  code: z.literal('REVIEW_PENDING'),
  reviewId: ReviewIdSchema,
  state: z.literal('pending'),
  expiresAt: TimestampSchema,
});
export type ReviewPending = z.infer<typeof ReviewPendingSchema>;

export const ReviewStateSchema = z.enum(['pending', 'approved', 'rejected', 'expired']);
export type ReviewState = z.infer<typeof ReviewStateSchema>;

/** `POST /v1/reviews/{reviewId}/decisions` (role reviewer, at the granting province). */
export const DecisionRequestSchema = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: text(500),
});
export type DecisionRequest = z.infer<typeof DecisionRequestSchema>;

/** One reviewer's decision, as the grantor keeps it. */
export const DecisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  reason: z.string(),
  /** The reviewer (token subject) and their name when the token carries one. */
  reviewer: z.string(),
  reviewerName: z.string().optional(),
  at: TimestampSchema,
});
export type Decision = z.infer<typeof DecisionSchema>;

/** A held request as the granting province's reviewers see it (`GET /v1/reviews`, `/{reviewId}`). */
export const HeldReviewSchema = z.object({
  reviewId: ReviewIdSchema,
  state: ReviewStateSchema,
  /** The calling province. */
  caller: GatewayIdSchema,
  /** Everything the request said, as it was signed. */
  request: InteropVerifyRequestSchema,
  licenseType: z.string(),
  /** The data level asked, or the grant's when none was asked. */
  dataLevel: DataLevelSchema,
  agreementId: z.string(),
  /** Why it waits: the policy rule it matched, or the caller's open breaker. */
  heldBecause: z.enum(['policy', 'breaker']),
  /** Approvals it needs: 2 from level 3 up (four eyes), else 1. */
  approvalsNeeded: z.union([z.literal(1), z.literal(2)]),
  decisions: z.array(DecisionSchema),
  createdAt: TimestampSchema,
  expiresAt: TimestampSchema,
  decidedAt: TimestampSchema.optional(),
});
export type HeldReview = z.infer<typeof HeldReviewSchema>;

const CursorSchema = z.string().regex(/^[0-9A-Za-z_-]{1,300}$/);

/** Query of `GET /v1/reviews` (role reviewer): pending ones oldest first, decided newest first. */
export const ReviewQueueQuerySchema = z.strictObject({
  state: z.enum(['pending', 'decided']).default('pending'),
  cursor: CursorSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type ReviewQueueQuery = z.infer<typeof ReviewQueueQuerySchema>;

export const ReviewQueuePageSchema = z.object({
  items: z.array(HeldReviewSchema),
  cursor: z.string().optional(),
});
export type ReviewQueuePage = z.infer<typeof ReviewQueuePageSchema>;

/**
 * `POST /v1/interop/review-decisions` (signed): the granting province tells the caller how its
 * held request ended. On approval `answer` is exactly what `/v1/interop/verify` would have
 * answered at the moment of approval, or `error` when it would have refused (the license is gone,
 * the agreement withdrawn meanwhile).
 */
export const InteropReviewDecisionSchema = z
  .strictObject({
    reviewId: ReviewIdSchema,
    identifier: IdentifierSchema,
    outcome: z.enum(['approved', 'rejected', 'expired']),
    /** The reviewers' reasons, joined; for an expiry, why. */
    reason: text(1100),
    decidedAt: TimestampSchema,
    answer: InteropVerifyResponseSchema.optional(),
    error: z.strictObject({ status: z.number().int(), code: ErrorCodeSchema, message: text(500) }).optional(),
  })
  .superRefine((d, ctx) => {
    const shared = d.answer !== undefined || d.error !== undefined;
    if (d.outcome === 'approved' && (d.answer === undefined) === (d.error === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['answer'],
        message: 'an approval carries exactly one of answer, error',
      });
    }
    if (d.outcome !== 'approved' && shared) {
      ctx.addIssue({ code: 'custom', path: ['answer'], message: `a ${d.outcome} review shares nothing` });
    }
    if (d.answer && d.answer.identifier !== d.identifier) {
      ctx.addIssue({
        code: 'custom',
        path: ['answer', 'identifier'],
        message: 'the answer is of another license',
      });
    }
  });
export type InteropReviewDecision = z.infer<typeof InteropReviewDecisionSchema>;

/** The caller's answer to a decision delivery (200 again when the same decision comes twice). */
export const ReviewDecisionReceiptSchema = z.object({ reviewId: ReviewIdSchema, state: ReviewStateSchema });

/** A calling province's breaker at this (granting) province (`GET /v1/breakers`, role operator). */
export const BreakerViewSchema = z.object({
  peer: GatewayIdSchema,
  state: z.enum(['closed', 'open']),
  /** Why it tripped: the rate or the NOT_FOUND share, with the counts seen. */
  trippedBecause: z.enum(['rate', 'not-found-share']).optional(),
  trippedAt: TimestampSchema.optional(),
  counts: z
    .object({ calls: z.number().int(), notFound: z.number().int(), windowMinutes: z.number().int() })
    .optional(),
  releasedAt: TimestampSchema.optional(),
  releasedBy: z.string().optional(),
  releaseReason: z.string().optional(),
});
export type BreakerView = z.infer<typeof BreakerViewSchema>;

export const BreakersPageSchema = z.object({
  items: z.array(BreakerViewSchema),
  breaker: BreakerSettingsSchema,
});

/** `POST /v1/breakers/{peer}/release` (role operator). */
export const ReleaseRequestSchema = z.strictObject({ reason: text(500) });

/**
 * `GET /v1/reviews/{reviewId}` at the calling province (role platform): how a held verification
 * ended. `verdict` is what `/v1/verify` answers for it: pending and unverified `REVIEW_PENDING`
 * until the decision arrives; then, approved, the verdict the shared answer gives; rejected,
 * `unverified` with `REVIEW_REJECTED`; expired, `unverified` with `REVIEW_EXPIRED`.
 */
export const CallerReviewSchema = z.object({
  reviewId: ReviewIdSchema,
  /** The granting province that held it. */
  issuer: GatewayIdSchema,
  identifier: IdentifierSchema,
  state: ReviewStateSchema,
  verdict: VerifyResponseSchema,
  requestedAt: TimestampSchema,
  decidedAt: TimestampSchema.optional(),
  reason: z.string().optional(),
  /**
   * The granting province's `ELG-Signature` of the decision it delivered (a request JWS over the
   * decision's bytes, docs/protocol.md §7.1): its signed word for the answer.
   */
  decisionSignature: z.string().optional(),
  /** The decision's exact bytes as delivered, which the signature's `bsh` covers. */
  decisionBody: z.string().optional(),
});
export type CallerReview = z.infer<typeof CallerReviewSchema>;

/** How long a held request waits for a decision. */
export const REVIEW_TTL_HOURS = 72;
