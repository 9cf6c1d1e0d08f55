import type { AuditedEvent } from '../../contracts/audit-api.ts';
import type { TraceSource } from './trace.ts';
import type { Call, CallClass, Gap, TimelineEvent } from './trace-report.ts';

/**
 * Whether an event is the caller's record of a signed call: an `interop.outbound` event, or a
 * `verify` event that carries its call to the issuer (`details.direction: "outbound"`, §9.2).
 */
export function isOutboundCall(event: Pick<AuditedEvent, 'action' | 'details'>): boolean {
  return (
    event.action === 'interop.outbound' ||
    (event.action === 'verify' && event.details.direction === 'outbound')
  );
}

/** The class of a call by the status its callee answered; no answer at all is an error. */
export function callClass(status: number | undefined): CallClass {
  if (status === undefined || status >= 500 || status < 200) return 'error';
  return status >= 400 ? 'refused' : 'success';
}

/**
 * Pairs each outbound call with the callee's inbound event by the request's single-use jti. A call
 * that failed before it was signed (peer not active, circuit open) has no jti and no other side.
 */
export function pairCalls(
  timeline: readonly TimelineEvent[],
  sources: readonly TraceSource[],
  gaps: Gap[],
): Call[] {
  const asked = new Set(sources.map((s) => s.province));
  const reachable = (p: string) => asked.has(p);
  const inbound = new Map<string, TimelineEvent>();
  for (const t of timeline) {
    const jti = t.event.details.jti;
    if (t.event.details.direction === 'inbound' && typeof jti === 'string')
      inbound.set(`${t.province}#${jti}`, t);
  }
  const calls: Call[] = [];
  const matched = new Set<TimelineEvent>();
  for (const t of timeline) {
    if (!isOutboundCall(t.event) || !t.event.peer) continue;
    const jti = typeof t.event.details.jti === 'string' ? t.event.details.jti : undefined;
    const other = jti === undefined ? undefined : inbound.get(`${t.event.peer}#${jti}`);
    const status = typeof t.event.details.status === 'number' ? t.event.details.status : undefined;
    const error = typeof t.event.details.error === 'string' ? t.event.details.error : undefined;
    const errorCode = other?.event.errorCode;
    calls.push({
      from: t.province,
      to: t.event.peer,
      ...(jti === undefined ? {} : { jti }),
      outbound: t.event.eventId,
      ...(other ? { inbound: other.event.eventId } : {}),
      ...(status === undefined ? {} : { status }),
      class: callClass(status),
      ...(errorCode ? { errorCode } : {}),
      ...(error ? { error } : {}),
    });
    if (other) matched.add(other);
    // A call that never reached the peer (timeout, circuit open) has no receipt and no inbound side.
    else if (typeof t.event.details.receipt === 'string' && reachable(t.event.peer)) {
      gaps.push({
        kind: 'MISSING_INBOUND',
        province: t.event.peer,
        eventId: t.event.eventId,
        message: `${t.province} called ${t.event.peer} (jti ${jti}) and holds its receipt, but ${t.event.peer} shows no inbound event`,
      });
    }
  }
  for (const t of timeline) {
    const jti = t.event.details.jti;
    if (t.event.details.direction !== 'inbound' || matched.has(t) || typeof jti !== 'string' || !t.event.peer)
      continue;
    if (t.event.details.callerVerified !== true) continue;
    const status = typeof t.event.details.status === 'number' ? t.event.details.status : undefined;
    calls.push({
      from: t.event.peer,
      to: t.province,
      jti,
      inbound: t.event.eventId,
      ...(status === undefined ? {} : { status }),
      class: callClass(status),
      ...(t.event.errorCode ? { errorCode: t.event.errorCode } : {}),
    });
    if (reachable(t.event.peer)) {
      gaps.push({
        kind: 'MISSING_OUTBOUND',
        province: t.event.peer,
        eventId: t.event.eventId,
        message: `${t.province} answered a signed call from ${t.event.peer} (jti ${jti}) that ${t.event.peer} shows no outbound event for`,
      });
    }
  }
  return calls;
}
