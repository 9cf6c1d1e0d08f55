import type { License } from '../../contracts/license.ts';
import {
  type CheckResult,
  type Checks,
  type Reason,
  ReasonCode,
  type Verdict,
} from '../../contracts/verify.ts';
import { statusName } from '../errors.ts';
import { validityWindow } from '../license/validity.ts';

/**
 * The small pure checks of a verification (functions/verification, and a reviewed request's
 * verdict at the calling province, docs/protocol.md §18). Each takes only what it needs and returns the result
 * of one check with its reasons; the service composes them (see `assessed`) in the order of
 * `Checks`, which is also the order of the reasons.
 */
export interface CheckOutcome {
  result: CheckResult;
  reasons: Reason[];
}

/** Outcomes of some of the checks; the others stay `skipped`. */
export type CheckOutcomes = { [K in keyof Checks]?: CheckOutcome };

export const passed: CheckOutcome = { result: 'pass', reasons: [] };

export const failed = (code: Reason['code'], message: string): CheckOutcome => ({
  result: 'fail',
  reasons: [{ code, message }],
});

export const unavailable = (code: Reason['code'], message: string): CheckOutcome => ({
  result: 'unavailable',
  reasons: [{ code, message }],
});

const CHECK_ORDER = [
  'format',
  'issuer',
  'signature',
  'validity',
  'status',
] as const satisfies readonly (keyof Checks)[];

/** The checks and reasons of the outcomes, in check order; a check without an outcome is skipped. */
export function assessed(outcomes: CheckOutcomes): { checks: Checks; reasons: Reason[] } {
  const checks: Checks = {
    format: 'skipped',
    issuer: 'skipped',
    signature: 'skipped',
    validity: 'skipped',
    status: 'skipped',
  };
  const reasons: Reason[] = [];
  for (const name of CHECK_ORDER) {
    const outcome = outcomes[name];
    if (!outcome) continue;
    checks[name] = outcome.result;
    reasons.push(...outcome.reasons);
  }
  return { checks, reasons };
}

/** A presented identifier's form. */
export function identifierOutcome(
  parsed: { ok: true } | { ok: false; issue: { segment: string; reason: string } },
) {
  return parsed.ok
    ? passed
    : failed(ReasonCode.IDENTIFIER_INVALID, `${parsed.issue.segment}: ${parsed.issue.reason}`);
}

/** An identifier's issuing province: one active in the trust registry. */
export function issuerOutcome(active: boolean): CheckOutcome {
  return active
    ? passed
    : failed(
        ReasonCode.UNKNOWN_ISSUER,
        'the issuing authority belongs to no active province in the trust registry',
      );
}

/** How a date failure is told: the credential's `nbf`/`exp`, or the license's dates. */
export interface DateWording {
  notYet: string;
  ended: string;
}

/** The one date check: `now` within `[nbf, exp)` (epoch seconds). */
export function validityOutcome(
  window: { nbf: number; exp?: number | undefined },
  now: Date,
  says: DateWording,
): CheckOutcome {
  const t = Math.floor(now.getTime() / 1000);
  if (t < window.nbf) return failed(ReasonCode.NOT_YET_VALID, says.notYet);
  if (window.exp !== undefined && t >= window.exp) return failed(ReasonCode.EXPIRED, says.ended);
  return passed;
}

/** A signed credential's validity window. */
export const credentialValidity = (claims: { nbf: number; exp?: number | undefined }, now: Date) =>
  validityOutcome(claims, now, {
    notYet: 'the license is not yet valid',
    ended: 'the license validity period has ended',
  });

/** A license's validity dates, as its issuer holds them. */
export const licenseValidity = (dates: { validFrom: string; validUntil?: string | undefined }, now: Date) =>
  validityOutcome(validityWindow(dates.validFrom, dates.validUntil), now, {
    notYet: `valid from ${dates.validFrom}`,
    ended: `valid until ${dates.validUntil ?? ''}`,
  });

/** The live state of the presented version, as its issuer holds it. */
export interface LiveState {
  /** The presented version. */
  version: string;
  /** What replaced the presented version, when something did. */
  replacedBy?: string | undefined;
  status: License['status'];
}

/** The one status check: the presented version is current and its status is valid (01). */
export function statusOutcome(live: LiveState): CheckOutcome {
  if (live.replacedBy !== undefined)
    return failed(ReasonCode.SUPERSEDED, `version ${live.version} was replaced by ${live.replacedBy}`);
  if (live.status !== '01')
    return failed(ReasonCode.STATUS_NOT_VALID, `the license status is ${statusName(live.status)}`);
  return passed;
}

/** The verdict of the checks: `invalid` on any failed check, `unverified` unless status passed. */
export function verdictOf(checks: Checks): Verdict {
  const values = Object.values(checks);
  if (values.includes('fail')) return 'invalid';
  if (values.includes('unavailable') || checks.status !== 'pass') return 'unverified';
  return 'valid';
}
