import type { AuditAction } from '../../contracts/audit.ts';
import type { Principal } from '../../contracts/auth.ts';

/** What a request carries through the middleware chain. */
export interface GatewayEnv {
  Variables: {
    traceId: string;
    principal?: Principal;
    /** Set by a route that records its refusals in the audit log. */
    audit?: {
      action: AuditAction;
      identifier?: string;
      holderHash?: string;
      details?: Record<string, string | number | boolean | null>;
    };
    /** The verified calling province of a signed cross-province call. */
    caller?: { gateway: string; jti: string };
    /** The exact body bytes of a signed call, as text. */
    rawBody?: string;
  };
}
