import {
  type AuditAction,
  type AuditEvent,
  AuditEventSchema,
  type AuditOutcome,
} from '../../contracts/audit.ts';
import type { Principal } from '../../contracts/auth.ts';
import type { ErrorCode } from '../../contracts/errors.ts';
import { ulid } from '../ids.ts';

export interface EventInput {
  province: string;
  traceId: string;
  action: AuditAction;
  outcome: AuditOutcome;
  principal?: Principal | undefined;
  method?: string;
  path?: string;
  identifier?: string | undefined;
  holderHash?: string | undefined;
  peer?: string | undefined;
  errorCode?: ErrorCode | undefined;
  details?: Record<string, string | number | boolean | null>;
}

/** An authenticated call inside the province: who made it, its trace, and the route. */
export interface CallContext {
  principal: Principal;
  traceId: string;
  method: string;
  path: string;
}

/** The event a successful call records: its trace, principal and route, and what it did. */
export function callEvent(
  province: string,
  ctx: CallContext,
  fields: Omit<EventInput, 'province' | 'traceId' | 'outcome' | 'principal' | 'method' | 'path'>,
  now: Date,
): AuditEvent {
  const { traceId, principal, method, path } = ctx;
  return auditEvent({ province, traceId, outcome: 'success', principal, method, path, ...fields }, now);
}

/** Builds a validated audit event; an event that does not fit the contract is a bug, not input. */
export function auditEvent(input: EventInput, now: Date): AuditEvent {
  const { principal, details, ...rest } = input;
  return AuditEventSchema.parse({
    ...rest,
    eventId: ulid(now),
    time: now.toISOString(),
    actor: principal ? { sub: principal.sub, roles: principal.roles, uscc: principal.uscc } : {},
    details: details ?? {},
  });
}
