import type { WitnessStatus } from '../witness/quorum.ts';
import { isOutboundCall } from './trace-calls.ts';
import type { Call, CallClass, TimelineEvent } from './trace-report.ts';

/** How the trace page words and colours an event or a call: labels, codes, classes. */

export const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

export const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** A verify event's verdict: what the platform was told, not whether the HTTP call succeeded. */
export function verdictOf(t: TimelineEvent): string | undefined {
  return t.event.action === 'verify' ? text(t.event.details.verdict) : undefined;
}

/** The colour class of a verdict: valid success, unverified refused, anything else an error. */
export function verdictClass(verdict: string): CallClass {
  return verdict === 'valid' ? 'success' : verdict === 'unverified' ? 'refused' : 'error';
}

/** The colour class of an event: its verdict if it is a verification, else its outcome. */
export function eventClass(t: TimelineEvent): CallClass {
  const verdict = verdictOf(t);
  if (verdict !== undefined) return verdictClass(verdict);
  return t.event.outcome === 'success' ? 'success' : t.event.outcome === 'refused' ? 'refused' : 'error';
}

/** Whether an event is drawn as a gap: flagged by one, or its proof or receipt failed. */
export function isBad(t: TimelineEvent, flagged: ReadonlySet<string>): boolean {
  return flagged.has(t.event.eventId) || t.proof === 'failed' || t.receipt === 'failed';
}

/**
 * Reason codes of a verification, or the error code (with the status) of a refused or failed call;
 * a verification that called the issuer shows its call's too.
 */
export function codesOf(t: TimelineEvent): string {
  const d = t.event.details;
  const status = typeof d.status === 'number' ? String(d.status) : undefined;
  if (t.event.action === 'verify') {
    const reasons = text(d.reasons);
    const codes = reasons ? `reasons ${reasons.split(',').join(', ')}` : 'no reason codes';
    if (!isOutboundCall(t.event)) return codes;
    const call = [status ?? 'no answer', text(d.calleeErrorCode), text(d.error)].filter(
      (p) => p !== undefined,
    );
    return `${codes} · call ${call.join(' · ')}`;
  }
  const parts = [status, t.event.errorCode, text(d.error)].filter((p) => p !== undefined);
  return parts.join(' · ');
}

/** Who acted, without any personal data: the department (USCC, name), or the calling platform, or the role. */
export function actingOf(t: TimelineEvent, name: (id: string) => string): string {
  if (t.department) return `dept ${t.department.uscc}${t.department.name ? ` ${t.department.name}` : ''}`;
  const requester = text(t.event.details.requester);
  if (t.event.details.direction === 'inbound')
    return `caller ${t.event.peer ? name(t.event.peer) : 'not verified'}${requester ? ` · ${requester}` : ''}`;
  if (t.event.action === 'interop.outbound' && t.event.peer) return `callee ${name(t.event.peer)}`;
  const roles = t.event.actor.roles?.join(', ');
  const role = roles ? `role ${roles}` : '';
  // A verification that called the issuer: who asked, and whom it called.
  if (isOutboundCall(t.event) && t.event.peer)
    return [role, `callee ${name(t.event.peer)}`].filter(Boolean).join(' · ');
  return role;
}

export function proofText(t: TimelineEvent): string {
  const leaf = t.leafIndex ?? t.event.leafIndex;
  const proof = t.proof === 'verified' ? '✓ in log' : t.proof === 'pending' ? '… pending' : '✗ proof';
  const receipt = t.receipt ? ` · receipt ${t.receipt === 'verified' ? '✓' : '✗'}` : '';
  return `${leaf === undefined ? 'no leaf' : `leaf #${leaf}`} · ${proof}${receipt}`;
}

export function callLabel(c: Call): string {
  const head = c.status === undefined ? 'no answer' : String(c.status);
  return c.errorCode ? `${head} ${c.errorCode}` : head;
}

export const CLASS_NAME: Record<CallClass, string> = {
  success: '2xx success',
  refused: '4xx refused',
  error: '5xx / unreachable: error',
};

/**
 * Who cosigned a checkpoint, against the quorum the registry asks:
 * `witnessed: 2 of 3 cosigned (quorum 2): 320000, 340000`, `NOT_WITNESSED: …`, or a log without witnesses.
 */
export function witnessText(w: WitnessStatus): string {
  if (!w.policy) return 'not witnessed: the registry names no witnesses for this log';
  const who = w.cosigners.map((c) => c.province).join(', ');
  const head = `${w.witnessed ? 'witnessed' : 'NOT_WITNESSED'}: ${w.cosigners.length} of ${w.policy.witnesses.length} cosigned (quorum ${w.policy.quorum})`;
  const rejected = w.rejected.length > 0 ? ` · ${plural(w.rejected.length, 'line')} not counted` : '';
  return `${head}${who ? `: ${who}` : ''}${rejected}`;
}
