import type { DataLevel } from '../../contracts/interop.ts';
import {
  type BreakerSettings,
  DEFAULT_BREAKER,
  type ReviewPolicy,
  type ReviewRule,
} from '../../contracts/reviews.ts';

/**
 * The review policy applied to an inbound verification (docs/protocol.md §18.1): which calls wait
 * for a person, the breaker's settings in force, and how many approvals a held call needs (§18.3).
 */

/** What a rule is matched on: one inbound `POST /v1/interop/verify` the agreement allowed. */
export interface ReviewCall {
  matterCode: string;
  /** The license type of the identifier asked about. */
  licenseType: string;
  /** The data level asked, or the grant's `maxDataLevel` when none was asked. */
  dataLevel: DataLevel;
  /** The calling province. */
  peer: string;
}

/** The call matches every member the rule gives; an absent member matches everything. */
export function matchesRule(rule: ReviewRule, call: ReviewCall): boolean {
  if (rule.matterCodes && !rule.matterCodes.includes(call.matterCode)) return false;
  if (rule.licenseTypes && !rule.licenseTypes.includes(call.licenseType)) return false;
  if (rule.minDataLevel !== undefined && call.dataLevel < rule.minDataLevel) return false;
  if (rule.peers && !rule.peers.includes(call.peer)) return false;
  return true;
}

/** The call waits for a person: it matches at least one rule of the policy. */
export function needsReview(policy: Pick<ReviewPolicy, 'rules'>, call: ReviewCall): boolean {
  return policy.rules.some((rule) => matchesRule(rule, call));
}

/** The breaker's settings in force: the policy's, or DEFAULT_BREAKER until the operator sets them. */
export function effectiveBreaker(policy: Partial<ReviewPolicy> | undefined): BreakerSettings {
  return policy?.breaker ?? DEFAULT_BREAKER;
}

/** Approvals a held call needs: two different reviewers from data level 3 up (four eyes), else one. */
export function approvalsNeeded(dataLevel: number): 1 | 2 {
  return dataLevel >= 3 ? 2 : 1;
}
