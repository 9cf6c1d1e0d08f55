import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import type { Authenticator } from '../lib/http/middleware.ts';
import type { TrustRegistry } from '../lib/registry/trust-registry.ts';
import type { KeyRing } from '../lib/signing/signer.ts';
import { AuditStore } from '../lib/store/audit-store.ts';
import { storageAnswers } from '../lib/store/dynamo.ts';
import { LicenseStore } from '../lib/store/license-store.ts';
import type { TableNames } from '../lib/store/tables.ts';
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

export interface GatewayParts {
  province: string;
  provinceName: string;
  doc: DynamoDBDocumentClient;
  tables: TableNames;
  keys: KeyRing;
  registry: TrustRegistry;
  auth: Authenticator;
  holderHashKey: Uint8Array;
  clock: Clock;
  maxBodyBytes?: number;
}

/** Assembles a gateway from its parts: the one wiring shared by Lambda, the federation and tests. */
export function createGateway(parts: GatewayParts): Gateway {
  const { doc, tables, maxBodyBytes, ...rest } = parts;
  const auditStore = new AuditStore(doc, tables.audit);
  return {
    ...rest,
    maxBodyBytes: maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    licenses: new LicenseStore(doc, tables.licenses, auditStore),
    auditStore,
    storageHealthy: () => storageAnswers(doc),
  };
}

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
