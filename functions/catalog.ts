import type { KeyPurpose } from '../contracts/keys.ts';
import { AuditIndex, LicenseIndex, SEARCH_INDEXES } from '../lib/store/tables.ts';
import type { ResourceScope } from '../lib/wiring/scope.ts';

/**
 * The province's Lambda functions: what each one runs, which HTTP routes reach it, and the least
 * it needs: which tables and how, which KMS keys it signs with, which secrets it reads, whether it
 * takes bearer tokens. One catalog, read by everything that must agree on it: each function's
 * wiring and settings (lib/wiring, lib/config.ts: a function is handed only what its entry lists),
 * the local federation's routing, the CDK stack (environment and grants bound together), the
 * bundler and the bundle report.
 */

export type { TableAccess } from '../lib/wiring/scope.ts';
/** The signing purposes, declared once in contracts/keys.ts. */
export type { KeyPurpose };

export interface FunctionSpec extends ResourceScope {
  /** Short name: the bundle directory, the construct id and part of the function name. */
  name: string;
  /** Entry module, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  /** HTTP API routes (`METHOD /path`) served by this function; none for scheduled functions. */
  routes: readonly string[];
  /** Runs on a schedule (rate in minutes) instead of, or besides, HTTP routes. */
  scheduleMinutes?: number;
  /** Reserved concurrency; 1 keeps a single instance running. */
  reservedConcurrency?: number;
  memoryMb: number;
  timeoutSeconds: number;
}

export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'discovery',
    entry: 'functions/discovery/handler.ts',
    description: 'Public keys, health, the OpenAPI document and its reference page; answers unknown routes',
    // /docs and its files: the reference page, whose assets (about 1.9 MB) only this bundle carries.
    routes: [
      'GET /.well-known/jwks.json',
      'GET /healthz',
      'GET /openapi.json',
      'GET /docs',
      'GET /docs/{proxy+}',
      // The holder page and its files (lib/holder/page); its data comes from the holder routes.
      'GET /holder',
      'GET /holder/{proxy+}',
      '$default',
    ],
    signsWith: [],
    // No route of its own is audited, and an unknown route is answered 404 without an event.
    // /healthz probes storage with DescribeTable on the audit table, which every state change needs,
    // and reports the registry (its own base URL for the OpenAPI document comes from there too).
    tables: { audit: 'describe', registry: 'getput' },
    publishesKeys: true,
    memoryMb: 512,
    timeoutSeconds: 10,
  },
  {
    name: 'issuance',
    entry: 'functions/issuance/handler.ts',
    description: 'Issues e-licenses, new versions and status changes; signs credentials',
    routes: ['POST /v1/licenses', 'GET /v1/licenses/{proxy+}', 'POST /v1/licenses/{proxy+}'],
    signsWith: ['credential'],
    // Checks no other province's key, so it does not load the trust registry. A new version or
    // status puts its change notices' fan-out in the reports table (under FAN), and a version
    // answering a report condition-checks that report there (RPT#<reportId>), in the change's own
    // transaction (§17.8): it puts nowhere else, checks nothing else, and does nothing else there.
    tables: { licenses: 'readwrite', audit: 'write', reports: 'keyed' },
    leadingKeys: { reports: { put: ['FAN'], check: ['RPT#*'] } },
    secrets: ['holderHash'],
    bearerTokens: true,
    memoryMb: 1024,
    timeoutSeconds: 15,
  },
  {
    name: 'verification',
    entry: 'functions/verification/handler.ts',
    description: "Verifies any province's e-license; calls the issuing province when foreign",
    routes: ['POST /v1/verify', 'GET /v1/holder/licenses', 'GET /v1/holder/uses'],
    signsWith: ['gateway'],
    // Agreements are enforced by the issuing province on its side of the call, not read here.
    // Holders (§16): their licenses by holder, the uses of one from byIdentifier, proofs from the log.
    // A verification the issuer holds for review (§18) puts its wait (WAIT#<reviewId>) with the
    // verify event, and does nothing else in the reviews table.
    tables: { licenses: 'read', audit: 'readwrite', log: 'read', registry: 'getput', reviews: 'keyed' },
    leadingKeys: { reviews: { put: ['WAIT#*'] } },
    queriesIndexes: { licenses: [LicenseIndex.byHolder], audit: [AuditIndex.byIdentifier] },
    secrets: ['holderHash'],
    bearerTokens: true,
    memoryMb: 1024,
    timeoutSeconds: 20,
  },
  {
    name: 'interop',
    entry: 'functions/interop/handler.ts',
    description: 'Answers signed verification calls from other provinces with signed receipts',
    routes: ['POST /v1/interop/verify', 'POST /v1/interop/holder-uses'],
    signsWith: ['gateway'],
    // Holder-uses calls (§16): the licenses by holder, uses from byIdentifier, proofs from the log;
    // their rate limits are counted beside the nonces.
    // Review policy and breakers (§18.6): it gets the policy and each calling province's breaker
    // (each at most once a second), queries and adds to (UpdateItem ADD) that province's minute
    // counters, and puts a held request with its queue copy and a trip with the breaker's listed
    // copy, each in a transaction with its event. It never writes the policy, a decided review, a
    // wait or the outbox, and deletes nothing there.
    tables: {
      licenses: 'read',
      agreements: 'read',
      nonces: 'write',
      audit: 'readwrite',
      log: 'read',
      registry: 'getput',
      reviews: 'keyed',
    },
    leadingKeys: {
      reviews: {
        get: ['POLICY', 'BRK#*'],
        query: ['CNT#*'],
        put: ['REV#*', 'PENDING', 'BRK#*', 'BREAKERS'],
        update: ['CNT#*'],
      },
    },
    queriesIndexes: { audit: [AuditIndex.byIdentifier] },
    // The holder's hash, compared with the license's and kept in the holder.uses event.
    secrets: ['holderHash'],
    memoryMb: 1024,
    timeoutSeconds: 15,
  },
  {
    name: 'agreements',
    entry: 'functions/agreements/handler.ts',
    description: 'Bilateral agreements and alliances: propose, sign, withdraw, and their deliveries',
    routes: [
      'GET /v1/agreements',
      'POST /v1/agreements',
      'GET /v1/agreements/{proxy+}',
      'POST /v1/agreements/{proxy+}',
      'POST /v1/interop/agreements',
      'POST /v1/interop/agreements/{proxy+}',
    ],
    signsWith: ['gateway'],
    tables: { agreements: 'readwrite', nonces: 'write', audit: 'write', registry: 'getput' },
    bearerTokens: true,
    memoryMb: 512,
    timeoutSeconds: 20,
  },
  {
    name: 'reports',
    entry: 'functions/reports/handler.ts',
    description: 'Error reports and their resolution, change notices; their signed calls between provinces',
    routes: [
      'POST /v1/reports',
      'GET /v1/reports',
      'GET /v1/reports/{proxy+}',
      'POST /v1/reports/{proxy+}',
      'GET /v1/notices',
      'POST /v1/interop/reports',
      'POST /v1/interop/report-outcomes',
      'POST /v1/interop/notices',
    ],
    signsWith: ['gateway'],
    // A report is checked against the license it names (its department, its holder) and, from
    // another province, against the agreements (may that province verify the type?); inbound
    // signed calls spend nonces and are rate limited beside them.
    tables: {
      reports: 'readwrite',
      licenses: 'read',
      agreements: 'read',
      nonces: 'write',
      audit: 'write',
      registry: 'getput',
    },
    secrets: ['holderHash'],
    bearerTokens: true,
    reportCalendar: true,
    memoryMb: 512,
    timeoutSeconds: 15,
  },
  {
    name: 'reviews',
    entry: 'functions/reviews/handler.ts',
    description:
      'Review policy, held requests and their decisions, breakers; decisions delivered to this province',
    routes: [
      'GET /v1/review-policy',
      'PUT /v1/review-policy',
      'GET /v1/reviews',
      'GET /v1/reviews/{proxy+}',
      'POST /v1/reviews/{proxy+}',
      'GET /v1/breakers',
      'POST /v1/breakers/{proxy+}',
      'POST /v1/interop/review-decisions',
    ],
    signsWith: ['gateway'],
    // An approval is answered as /v1/interop/verify answers, at that moment: the license and the
    // agreements are read then.
    tables: {
      reviews: 'readwrite',
      licenses: 'read',
      agreements: 'read',
      nonces: 'write',
      audit: 'write',
      registry: 'getput',
    },
    bearerTokens: true,
    memoryMb: 512,
    timeoutSeconds: 15,
  },
  {
    name: 'witness',
    entry: 'functions/witness/handler.ts',
    description:
      "Witnesses other provinces' logs: cosigns their checkpoints (C2SP tlog-witness), keeps split-view evidence",
    routes: [
      'POST /v1/witness/add-checkpoint',
      'GET /v1/witness/logs',
      'GET /v1/witness/evidence',
      'GET /v1/witness/evidence/{proxy+}',
    ],
    // The only function that signs with the witness key; the gateway key signs the receipts of
    // its signed calls. The registry says who witnesses which log and holds the logs' audit keys;
    // add-checkpoint calls spend nonces like every signed call.
    signsWith: ['witness', 'gateway'],
    tables: { witness: 'readwrite', audit: 'write', registry: 'getput', nonces: 'write' },
    bearerTokens: true,
    memoryMb: 512,
    timeoutSeconds: 15,
  },
  {
    name: 'delivery',
    entry: 'functions/agreements/deliver-handler.ts',
    description: 'Sends agreement proposals, signatures and withdrawals that are due to the other parties',
    routes: [],
    signsWith: ['gateway'],
    tables: { agreements: 'readwrite', audit: 'write', registry: 'getput' },
    scheduleMinutes: 1,
    memoryMb: 512,
    timeoutSeconds: 60,
  },
  {
    name: 'report-delivery',
    entry: 'functions/reports/deliver-handler.ts',
    description:
      'Sends error reports, their outcomes and change notices that are due; counts overdue reports',
    routes: [],
    signsWith: ['gateway'],
    // Change notices go to the provinces whose successful verifications of the license its audit
    // holds (the byIdentifier index, then those events, last 90 days).
    tables: { reports: 'readwrite', audit: 'readwrite', registry: 'getput' },
    queriesIndexes: { audit: [AuditIndex.byIdentifier] },
    scheduleMinutes: 1,
    memoryMb: 512,
    timeoutSeconds: 60,
  },
  {
    name: 'review-delivery',
    entry: 'functions/reviews/deliver-handler.ts',
    description: 'Sends review decisions that are due to the calling provinces; expires undecided reviews',
    routes: [],
    signsWith: ['gateway'],
    // It queries the reviews due to expire (PENDING), the breakers' copies (BREAKERS, for the
    // open-breakers gauge) and the deliveries due (DLV). An expiry puts the ended review (REV#)
    // and its decided copy (DECIDED), deletes its pending copy and puts its delivery, in one
    // transaction; a delivery is moved ahead (deleted and put again) and deleted once delivered.
    // It gets, updates and checks nothing there, and touches no policy, breaker state (BRK#),
    // counter or wait.
    tables: { reviews: 'keyed', audit: 'write', registry: 'getput' },
    leadingKeys: {
      reviews: {
        query: ['PENDING', 'BREAKERS', 'DLV'],
        put: ['REV#*', 'DECIDED', 'DLV'],
        delete: ['PENDING', 'DLV'],
      },
    },
    scheduleMinutes: 1,
    memoryMb: 512,
    timeoutSeconds: 60,
  },
  {
    name: 'audit',
    entry: 'functions/audit/handler.ts',
    description: 'Auditor queries: events, inclusion and consistency proofs, checkpoints',
    routes: ['GET /v1/audit/{proxy+}', 'POST /v1/audit/{proxy+}'],
    signsWith: [],
    tables: { audit: 'readwrite', log: 'read' },
    queriesIndexes: { audit: SEARCH_INDEXES },
    // Holder hashes for the holder-hash route, and the key of its page cursors.
    secrets: ['holderHash'],
    bearerTokens: true,
    memoryMb: 1024,
    timeoutSeconds: 15,
  },
  {
    name: 'sequencer',
    entry: 'functions/sequencer/handler.ts',
    description:
      'Integrates audit events into the Merkle log in batches, signs checkpoints and collects their cosignatures',
    routes: [],
    // The gateway key signs its add-checkpoint calls to the log's witnesses (§19.4); the registry
    // says who they are, where, and their witness keys (its last good copy kept in `registry`).
    signsWith: ['audit', 'gateway'],
    // Reads waiting events from the pending index and marks them; the only events it writes are
    // the interop.outbound events of its calls to the witnesses.
    tables: { audit: 'readwrite', log: 'readwrite', registry: 'getput' },
    queriesIndexes: { audit: [AuditIndex.pending] },
    scheduleMinutes: 1,
    reservedConcurrency: 1,
    memoryMb: 1024,
    timeoutSeconds: 120,
  },
];

export function functionSpec(name: string): FunctionSpec {
  const spec = FUNCTIONS.find((f) => f.name === name);
  if (!spec) throw new Error(`no function named ${name}`);
  return spec;
}
