import type { AuditEvent } from '../../contracts/audit.ts';
import type { PeerClient } from '../../lib/interop/peer-client.ts';
import type { LicenseRecord } from '../../lib/license/records.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import type { StoredWait } from '../../lib/reviews/records.ts';

export type { AuditSink } from '../../lib/audit/sink.ts';

/** Reads the province's own licenses, for their live status. */
export interface LicenseLookup {
  /** A version and the license head, read consistently. */
  get(licenseKey: string, version: string): Promise<LicenseRecord | undefined>;
}

/** The trust registry as verification reads it: credential keys and the provinces' status. */
export type VerificationRegistry = Pick<TrustRegistry, 'keyByKid' | 'province'>;

/** Signed calls to the issuing province. */
export type IssuerCalls = Pick<PeerClient, 'call'>;

/** Where a verification the issuer holds for review keeps its wait, with its verify event (§18.5). */
export interface ReviewWaits {
  storeWait(wait: StoredWait, audit: AuditEvent): Promise<void>;
}
