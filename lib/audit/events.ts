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
