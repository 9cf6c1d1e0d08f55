import { z } from 'zod';
import { IdentifierSchema } from '../../contracts/codes/index.ts';
import { TimestampSchema } from '../../contracts/common.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import {
  BreakerSettingsSchema,
  HeldReviewSchema,
  InteropReviewDecisionSchema,
  ReviewIdSchema,
  ReviewRuleSchema,
  ReviewStateSchema,
} from '../../contracts/reviews.ts';
import { OutboxEntryShape } from '../delivery/deliver.ts';

/**
 * What the reviews table keeps (docs/protocol.md §18.6). Every record is parsed with these
 * schemas when read back.
 */

/** The review policy as stored: the operator's document and who last changed it. */
export const StoredPolicySchema = z.object({
  rules: z.array(ReviewRuleSchema),
  breaker: BreakerSettingsSchema.optional(),
  updatedAt: TimestampSchema,
  updatedBy: z.string(),
  /** Bumped by every change: a writer that read version n writes only over n. */
  version: z.number().int().nonnegative(),
});
export type StoredPolicy = z.infer<typeof StoredPolicySchema>;

/** A held request at the granting province, with the trace of the call that was held. */
export const StoredReviewSchema = HeldReviewSchema.extend({ traceId: z.string() });
export type StoredReview = z.infer<typeof StoredReviewSchema>;

/** A calling province's breaker at this province. */
export const StoredBreakerSchema = z.object({
  peer: GatewayIdSchema,
  state: z.enum(['closed', 'open']),
  trippedBecause: z.enum(['rate', 'not-found-share']).optional(),
  trippedAt: TimestampSchema.optional(),
  counts: z
    .object({ calls: z.number().int(), notFound: z.number().int(), windowMinutes: z.number().int() })
    .optional(),
  releasedAt: TimestampSchema.optional(),
  releasedBy: z.string().optional(),
  releaseReason: z.string().optional(),
  /**
   * The release minute's counts when it was released: the calls of that minute from before the
   * release, which a new trip does not count (the calls after it in the same minute do).
   */
  releaseBaseline: z
    .object({ minute: z.string(), calls: z.number().int(), notFound: z.number().int() })
    .optional(),
  /** Bumped by every trip and release: a trip or release writes only over the state it read. */
  generation: z.number().int().nonnegative(),
});
export type StoredBreaker = z.infer<typeof StoredBreakerSchema>;

/** One minute's counts of a calling province (summed over every instance). */
export interface MinuteCounts {
  /** `YYYY-MM-DDTHH:MM` (UTC). */
  minute: string;
  calls: number;
  notFound: number;
}

/** A wait at the calling province: the held verification, then the decision delivered. */
export const StoredWaitSchema = z.object({
  reviewId: ReviewIdSchema,
  /** The granting province that holds it. */
  issuer: GatewayIdSchema,
  identifier: IdentifierSchema,
  matterCode: z.string(),
  /** The platform that asked (token name or subject). */
  platform: z.string(),
  requestedAt: TimestampSchema,
  expiresAt: TimestampSchema,
  state: ReviewStateSchema,
  decision: InteropReviewDecisionSchema.optional(),
  /** The decision's exact bytes, and the granting province's ELG-Signature over them. */
  decisionBody: z.string().optional(),
  decisionSignature: z.string().optional(),
  receivedAt: TimestampSchema.optional(),
});
export type StoredWait = z.infer<typeof StoredWaitSchema>;

/** A decision on its way to the calling province. */
export const DecisionDeliverySchema = z.object({
  ...OutboxEntryShape,
  kind: z.literal('decision'),
  reviewId: ReviewIdSchema,
});
export type DecisionDelivery = z.infer<typeof DecisionDeliverySchema>;
