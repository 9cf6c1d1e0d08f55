import type { Clock } from '../lib/clock.ts';
import type { Authenticator } from '../lib/http/middleware.ts';
import type { TrustRegistry } from '../lib/registry/trust-registry.ts';
import type { KeyRing } from '../lib/signing/signer.ts';
import type { AuditStore } from '../lib/store/audit-store.ts';
import type { LicenseStore } from '../lib/store/license-store.ts';
import { IssuanceService } from './issuance/service.ts';
import { VerificationService } from './verification/service.ts';

/** Everything a province's functions need, assembled once per process (Lambda or embedded). */
export interface Gateway {
  province: string;
  provinceName: string;
  maxBodyBytes: number;
  keys: KeyRing;
  registry: TrustRegistry;
  auth: Authenticator;
  licenses: LicenseStore;
  auditStore: AuditStore;
  holderHashKey: Uint8Array;
  clock: Clock;
  /** Probes storage for /healthz; resolves false when it does not answer. */
  storageHealthy(): Promise<boolean>;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export function issuanceService(g: Gateway): IssuanceService {
  return new IssuanceService({
    province: g.province,
    store: g.licenses,
    auditStore: g.auditStore,
    credentialSigner: g.keys.credential,
    holderHashKey: g.holderHashKey,
    clock: g.clock,
  });
}

export function verificationService(g: Gateway): VerificationService {
  return new VerificationService({
    province: g.province,
    registry: g.registry,
    licenses: g.licenses,
    auditStore: g.auditStore,
    holderHashKey: g.holderHashKey,
    clock: g.clock,
  });
}
