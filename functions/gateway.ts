import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditLog } from '../lib/audit/log.ts';
import type { Clock } from '../lib/clock.ts';
import type { Authenticator } from '../lib/http/middleware.ts';
import type { SignedCallDeps } from '../lib/http/signed-call.ts';
import { HttpPeerClient, type PeerClient } from '../lib/interop/peer-client.ts';
import type { TrustRegistry } from '../lib/registry/trust-registry.ts';
import type { KeyRing } from '../lib/signing/signer.ts';
import { AgreementStore } from '../lib/store/agreement-store.ts';
import { AuditStore } from '../lib/store/audit-store.ts';
import { storageAnswers } from '../lib/store/dynamo.ts';
import { LicenseStore } from '../lib/store/license-store.ts';
import { LogStore } from '../lib/store/log-store.ts';
import { LoggedEvents } from '../lib/store/logged-events.ts';
import { NonceStore } from '../lib/store/nonce-store.ts';
import type { TableNames } from '../lib/store/tables.ts';
import { AgreementPolicy } from './agreements/policy.ts';
import type { AgreementAuthorizer } from './interop/authorization.ts';
import { InteropService } from './interop/service.ts';
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
  /** The Merkle log over the audit events, for readers: checkpoints and proofs. */
  log: AuditLog;
  holderHashKey: Uint8Array;
  clock: Clock;
  /** Signed calls to other provinces. */
  peers: PeerClient;
  /** Single-use ids of inbound signed calls. */
  nonces: NonceStore;
  /** Enforcement of agreements on inbound calls. */
  agreementPolicy: AgreementAuthorizer;
  /** Agreements, their signatures and withdrawals, and the outbox of their deliveries. */
  agreements: AgreementStore;
  /** The DynamoDB client and table names, for the stores functions build themselves. */
  doc: DynamoDBDocumentClient;
  tables: TableNames;
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
  /** Defaults to HTTP calls signed with the gateway key. */
  peers?: PeerClient;
  /** Defaults to the agreements this province holds. */
  agreementPolicy?: AgreementAuthorizer;
}

/** Assembles a gateway from its parts: the one wiring shared by Lambda, the federation and tests. */
export function createGateway(parts: GatewayParts): Gateway {
  const { maxBodyBytes, peers, agreementPolicy, ...rest } = parts;
  const { doc, tables } = parts;
  const auditStore = new AuditStore(doc, tables.audit);
  const agreements = new AgreementStore(doc, tables.agreements, auditStore);
  return {
    ...rest,
    maxBodyBytes: maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    licenses: new LicenseStore(doc, tables.licenses, auditStore),
    auditStore,
    log: new AuditLog(new LogStore(doc, tables.log), new LoggedEvents(doc, tables.audit)),
    nonces: new NonceStore(doc, tables.nonces),
    peers:
      peers ??
      new HttpPeerClient({
        self: parts.province,
        signer: parts.keys.gateway,
        registry: parts.registry,
        auditStore,
        clock: parts.clock,
      }),
    agreements,
    agreementPolicy: agreementPolicy ?? new AgreementPolicy(agreements, parts.clock),
    storageHealthy: () => storageAnswers(doc, parts.tables.audit),
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
    peers: g.peers,
  });
}

export function interopService(g: Gateway): InteropService {
  return new InteropService({
    province: g.province,
    licenses: g.licenses,
    agreementPolicy: g.agreementPolicy,
  });
}

export function signedCallDeps(g: Gateway): SignedCallDeps {
  return {
    province: g.province,
    registry: g.registry,
    nonces: g.nonces,
    gatewaySigner: g.keys.gateway,
    auditStore: g.auditStore,
    clock: g.clock,
  };
}
