import type { AuditEvent } from '../../contracts/audit.ts';

/**
 * Where audit events that record no state change are written alone (verifications, refusals,
 * reads, calls between provinces). One port for every writer: AuditStore implements it.
 */
export interface AuditSink {
  write(event: AuditEvent): Promise<void>;
}
