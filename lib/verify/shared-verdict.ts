import { parseIdentifier } from '../../contracts/codes/index.ts';
import type { InteropVerifyResponse } from '../../contracts/interop.ts';
import { type ReasonCode, ReasonCode as Reasons, type VerifyResponse } from '../../contracts/verify.ts';
import {
  assessed,
  type CheckOutcome,
  failed,
  licenseValidity,
  passed,
  statusOutcome,
  unavailable,
  verdictOf,
} from './checks.ts';

/** How a request the issuing province held ended, as far as the verdict goes (§18.5). */
export type HeldOutcome =
  | { kind: 'answer'; answer: InteropVerifyResponse }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'waiting'; reason: 'REVIEW_PENDING' | 'REVIEW_REJECTED' | 'REVIEW_EXPIRED'; message: string };

/**
 * The verdict `/v1/verify` gives for an identifier whose issuing province answered `outcome`:
 * format and issuer passed (the call was made), then the answer's validity dates and status as a
 * live answer's are checked (functions/verification), or the refusal or the wait as the status.
 */
export function heldVerdict(input: {
  identifier: string;
  issuerProvince: string;
  outcome: HeldOutcome;
  reviewId: string;
  traceId: string;
  now: Date;
}): VerifyResponse {
  const parsed = parseIdentifier(input.identifier);
  const format: CheckOutcome = parsed.ok ? passed : failed(Reasons.IDENTIFIER_INVALID, 'not an identifier');
  const { outcome } = input;
  let status: CheckOutcome;
  let validity: CheckOutcome | undefined;
  let live:
    | { license: InteropVerifyResponse['license']; status: InteropVerifyResponse['status'] }
    | undefined;
  if (outcome.kind === 'answer' && parsed.ok) {
    const a = outcome.answer;
    validity = licenseValidity(a, input.now);
    status = statusOutcome({
      version: parsed.value.version,
      replacedBy: a.version !== parsed.value.version ? a.currentIdentifier : undefined,
      status: a.status,
    });
    live = { license: a.license, status: a.status };
  } else if (outcome.kind === 'refused') {
    status =
      outcome.code === 'NOT_FOUND'
        ? failed(Reasons.NOT_FOUND, `${input.issuerProvince}: ${outcome.message}`)
        : unavailable(refusalReason(outcome.code), `${input.issuerProvince} refused: ${outcome.message}`);
  } else if (outcome.kind === 'waiting') {
    status = unavailable(outcome.reason, outcome.message);
  } else {
    status = unavailable(Reasons.PEER_UNAVAILABLE, 'the answer is not of the identifier asked');
  }
  const a = assessed({ format, issuer: passed, ...(validity ? { validity } : {}), status });
  return {
    verdict: verdictOf(a.checks),
    identifier: input.identifier,
    issuerProvince: input.issuerProvince,
    ...(live ? { status: live.status, license: live.license } : {}),
    checks: a.checks,
    reasons: a.reasons,
    reviewId: input.reviewId,
    traceId: input.traceId,
  };
}

function refusalReason(code: string): ReasonCode {
  return code === 'AGREEMENT_REQUIRED' || code === 'SCOPE_DENIED' ? code : Reasons.PEER_UNAVAILABLE;
}
