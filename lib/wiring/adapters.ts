import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Jwks, KeyPurpose, type PublicJwk } from '../../contracts/keys.ts';
import { AgreementPolicy } from '../agreements/enforcement.ts';
import { AuditLog } from '../audit/log.ts';
import type { Clock } from '../clock.ts';
import type { Authenticator } from '../http/middleware.ts';
import type { SignedCallDeps } from '../http/signed-call.ts';
import { HttpPeerClient, type PeerClient, type TextPeerClient } from '../interop/peer-client.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { NO_HOLIDAYS, type WorkCalendar } from '../reports/working-days.ts';
import { jwksOf } from '../signing/jws.ts';
import type { AnySigner, KeyRing, SignerOf } from '../signing/signer.ts';
import { AgreementStore } from '../store/agreement-store.ts';
import { AuditEventReader } from '../store/audit-query.ts';
import { AuditStore } from '../store/audit-store.ts';
import { storageAnswers } from '../store/dynamo.ts';
import { LicenseStore } from '../store/license-store.ts';
import { LogStore } from '../store/log-store.ts';
import { LoggedEvents } from '../store/logged-events.ts';
import { NonceStore } from '../store/nonce-store.ts';
import { RateLimits } from '../store/rate-limits.ts';
import { FAN_PK, reportKey } from '../store/report-items.ts';
import { ReportStore } from '../store/report-store.ts';
import {
  BREAKERS_PK,
  breakerKey,
  counterPk,
  DECIDED_PK,
  DLV_PK,
  PENDING_PK,
  policyKey,
  reviewKey,
  waitKey,
} from '../store/review-items.ts';
import { ReviewStore } from '../store/review-store.ts';
import {
  AuditIndex,
  LicenseIndex,
  SEARCH_INDEXES,
  type TableKind,
  type TableNames,
} from '../store/tables.ts';
import { LicenseUseReader } from '../store/use-query.ts';
import { WitnessStore } from '../store/witness-store.ts';
import { DEFAULT_WITNESS_TIMEOUT_MS } from '../witness/collect.ts';
import {
  type ResourceScope,
  requireFlag,
  requireIndexes,
  requireLeadingKeys,
  requireSecret,
  requireSigner,
  requireTable,
  SecretKind,
  type TableUse,
  UndeclaredResourceError,
  WHOLE_PROVINCE,
} from './scope.ts';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * The raw material of a province's adapters: the DynamoDB client and the tables, keys, registry,
 * identity provider and holder-hash key that were configured. A deployed function is given only
 * what its scope lists (lib/wiring/from-env.ts); the local federation holds them all.
 */
export interface ProvinceParts {
  province: string;
  provinceName: string;
  clock: Clock;
  maxBodyBytes?: number;
  doc?: DynamoDBDocumentClient;
  tables?: Partial<TableNames>;
  keys?: Partial<KeyRing>;
  /** Published beside the current keys without signing: earlier generations, a staged next one. */
  previousKeys?: readonly PublicJwk[];
  registry?: TrustRegistry;
  auth?: Authenticator;
  holderHashKey?: Uint8Array;
  /** Instead of HTTP calls signed with the gateway key (tests stand a fake peer in). */
  peers?: PeerClient;
  /** ELG_WITNESS_TIMEOUT_MS: the bound of a collection of cosignatures (the sequencer). */
  witnessTimeoutMs?: number;
  /** How error reports are dated (docs/protocol.md §17); 5 working days, weekends only, by default. */
  reportCalendar?: ReportCalendar;
  /**
   * Where metric lines (CloudWatch EMF) go: stdout on Lambda, where the log pipeline turns them
   * into metrics; the local federation keeps them off its console.
   */
  writeMetrics?: (line: string) => void;
}

/** The deadline of an error report and the working days it is counted in. */
export interface ReportCalendar {
  dueWorkingDays: number;
  calendar: WorkCalendar;
}

const DEFAULT_REPORT_CALENDAR: ReportCalendar = { dueWorkingDays: 5, calendar: NO_HOLIDAYS };

/**
 * The one adapter factory every function builds from: the DynamoDB stores, the peer client and
 * the keys, each handed out only when the function's scope (its catalog entry) lists what it
 * touches, and otherwise refused with UndeclaredResourceError. Each function reads what it needs
 * once, when it is wired, so a function that reaches for a table, key or secret its entry does not
 * list fails at cold start and in its tests, not in production at the first request.
 *
 * Stores are built on first use and shared by the function's services (one audit sink, so a
 * license write and its event go in one transaction).
 */
export class ProvinceAdapters {
  constructor(
    private readonly parts: ProvinceParts,
    readonly scope: ResourceScope = WHOLE_PROVINCE,
    /** Stores built so far, shared by every scope over the same parts (one process, one pool). */
    private readonly built = new Map<string, unknown>(),
  ) {}

  /**
   * The same parts seen through another function's scope. The stores are shared (the federation
   * runs every function in one process); what a scope may reach is checked on every access.
   */
  scopedTo(scope: ResourceScope): ProvinceAdapters {
    return new ProvinceAdapters(this.parts, scope, this.built);
  }

  /** The same scope over changed parts (fault tests swap the DynamoDB client). */
  withParts(changes: Partial<ProvinceParts>): ProvinceAdapters {
    return new ProvinceAdapters({ ...this.parts, ...changes }, this.scope);
  }

  get province(): string {
    return this.parts.province;
  }

  get provinceName(): string {
    return this.parts.provinceName;
  }

  get clock(): Clock {
    return this.parts.clock;
  }

  get maxBodyBytes(): number {
    return this.parts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** The trust registry: listed as the `registry` table, where its last good copy is kept. */
  get registry(): TrustRegistry {
    requireTable(this.scope, 'registry', 'read');
    return this.present(this.parts.registry, 'the trust registry');
  }

  /** Bearer tokens of the province's identity provider. */
  get auth(): Authenticator {
    requireFlag(this.scope, 'bearerTokens', 'authenticates bearer tokens');
    return this.present(this.parts.auth, 'the identity provider');
  }

  get holderHashKey(): Uint8Array {
    requireSecret(this.scope, SecretKind.holderHash);
    return this.present(this.parts.holderHashKey, 'the holder-hash key');
  }

  /** Where this function's metric lines go (EMF on stdout unless the parts say otherwise). */
  get writeMetrics(): (line: string) => void {
    return this.parts.writeMetrics ?? ((line) => process.stdout.write(line));
  }

  /** The deadline of error reports and the province's working-day calendar. */
  get reportCalendar(): ReportCalendar {
    requireFlag(this.scope, 'reportCalendar', 'dates error reports');
    return this.parts.reportCalendar ?? DEFAULT_REPORT_CALENDAR;
  }

  /** Error reports, filings, change notices and their outbox (docs/protocol.md §17). */
  get reports(): ReportStore {
    return this.audited('reports', 'reports', 'readwrite', (t, a) => new ReportStore(this.doc, t, a));
  }

  /**
   * The reports table as the issuing function writes it: a change's fan-out (fanoutItem, a put
   * under `FAN`) and the check that a version answers an open report (openReportCheck, a condition
   * check of `RPT#<reportId>`, here the StringLike pattern `RPT#*`), both inside the license
   * change's own transaction (lib/store/report-items.ts); so a `keyed` listing that puts under
   * `FAN` and checks `RPT#*` is enough (docs/protocol.md §17.8).
   */
  get changeNotices(): Pick<ReportStore, 'fanoutItem' | 'openReportCheck'> {
    requireLeadingKeys(this.scope, 'reports', { put: [FAN_PK], check: [reportKey('*').pk] });
    return this.audited('changeNotices', 'reports', 'keyed', (t, a) => new ReportStore(this.doc, t, a));
  }

  /**
   * Review policy, held requests, breakers and waits, all of them (docs/protocol.md §18): the
   * reviews function's, over a readwrite listing.
   */
  get reviews(): ReviewStore {
    return this.audited('reviews', 'reviews', 'readwrite', (t, a) => new ReviewStore(this.doc, t, a));
  }

  /**
   * The reviews table as the verification function writes it: a wait (a put under
   * `WAIT#<reviewId>`, here `WAIT#*`), with its verify event.
   */
  get reviewWaits(): Pick<ReviewStore, 'waitItem' | 'storeWait'> {
    requireLeadingKeys(this.scope, 'reviews', { put: [waitKey('*').pk] });
    return this.audited('reviewWaits', 'reviews', 'keyed', (t, a) => new ReviewStore(this.doc, t, a));
  }

  /**
   * The reviews table as the interop function uses it (lib/store/review-items.ts, docs/protocol.md
   * §18.6): it gets the policy (`POLICY`, lib/reviews/policy-cache.ts) and a calling province's
   * breaker (`BRK#<peer>`), queries and adds to (UpdateItem ADD) its minute counters
   * (`CNT#<peer>`, lib/interop/breakers.ts), puts a trip over the breaker with the breaker's
   * listed copy (`BRK#<peer>`, `BREAKERS`) and a held request with its queue copy
   * (`REV#<reviewId>`, `PENDING`; functions/interop/app.ts), those puts in transactions with their
   * events. So a `keyed` listing of those is enough: it never writes the policy, a decided review
   * (`DECIDED`), a wait (`WAIT#`) or the outbox (`DLV`), nor deletes anything.
   */
  get reviewGate(): Pick<ReviewStore, 'policy' | 'breaker' | 'addCounts' | 'counts' | 'setBreaker' | 'hold'> {
    requireLeadingKeys(this.scope, 'reviews', {
      get: [policyKey.pk, breakerKey('*').pk],
      query: [counterPk('*')],
      put: [reviewKey('*').pk, PENDING_PK, breakerKey('*').pk, BREAKERS_PK],
      update: [counterPk('*')],
    });
    return this.audited('reviewGate', 'reviews', 'keyed', (t, a) => new ReviewStore(this.doc, t, a));
  }

  /**
   * The reviews table as the review-delivery function uses it (lib/store/review-items.ts,
   * lib/store/outbox.ts): it queries the pending reviews due to expire (`PENDING`) and the
   * breakers' listed copies (`BREAKERS`, for the open-breakers gauge); an expiry, one transaction,
   * puts the ended review over the one read (`REV#<reviewId>`) and its copy among the decided
   * (`DECIDED`), deletes its queue copy (`PENDING`) and puts its delivery (`DLV`); a round queries
   * the deliveries due (`DLV`), moves one ahead by deleting and putting it (`DLV`, both
   * conditional: a Put's or a Delete's own condition is no ConditionCheck) and deletes it once
   * delivered. An expiry always ends the review, so it never puts under `PENDING`; no get, no
   * update, no condition check.
   */
  get reviewOutbox(): Pick<ReviewStore, 'expiring' | 'decide' | 'breakers' | 'outbox'> {
    requireLeadingKeys(this.scope, 'reviews', {
      query: [PENDING_PK, BREAKERS_PK, DLV_PK],
      put: [reviewKey('*').pk, DECIDED_PK, DLV_PK],
      delete: [PENDING_PK, DLV_PK],
    });
    return this.audited('reviewOutbox', 'reviews', 'keyed', (t, a) => new ReviewStore(this.doc, t, a));
  }

  /**
   * The witness table (docs/protocol.md §19): per log the state last cosigned (compare-and-set)
   * and the split-view evidence with its events; the witness function's alone.
   */
  get witnessStore(): WitnessStore {
    return this.audited('witnessStore', 'witness', 'readwrite', (t, a) => new WitnessStore(this.doc, t, a));
  }

  /** The key this function signs with for `purpose`. */
  signer<P extends KeyPurpose>(purpose: P): SignerOf<P> {
    requireSigner(this.scope, purpose);
    return this.present(this.parts.keys?.[purpose] as SignerOf<P> | undefined, `the ${purpose} key`);
  }

  /**
   * Every purpose's current key, for the function that publishes them (the JWKS) and for the
   * federation's operator; a function that signs asks for its key by `signer`.
   */
  get keys(): KeyRing {
    requireFlag(this.scope, 'publishesKeys', "reads every purpose's key");
    const ring: Partial<Record<KeyPurpose, AnySigner>> = {};
    for (const purpose of Object.values(KeyPurpose)) {
      ring[purpose] = this.present(this.parts.keys?.[purpose], `the ${purpose} key`);
    }
    return ring as KeyRing;
  }

  /** The province's JWKS: every purpose's current key, then the published earlier or staged ones. */
  get publishedKeys(): Jwks {
    return jwksOf(this.keys, this.parts.previousKeys ?? []);
  }

  /** Where audit events are written, alone or in one transaction with a state change. */
  get auditStore(): AuditStore {
    const table = this.table('audit', 'write');
    return this.once('auditStore', () => new AuditStore(this.doc, table));
  }

  /** Licenses read, written and numbered (the issuing function). */
  get licenses(): LicenseStore {
    return this.audited('licenses', 'licenses', 'readwrite', (t, a) => new LicenseStore(this.doc, t, a));
  }

  /** Licenses read only (verification, inbound verification calls). */
  get licenseLookup(): Pick<LicenseStore, 'get'> {
    return this.audited('licenseLookup', 'licenses', 'read', (t, a) => new LicenseStore(this.doc, t, a));
  }

  /** Licenses found by their holder (the holder's own list, docs/protocol.md §16), read only. */
  get licenseHolders(): Pick<LicenseStore, 'get' | 'byHolder'> {
    this.indexes('licenses', [LicenseIndex.byHolder]);
    return this.audited('licenseHolders', 'licenses', 'read', (t, a) => new LicenseStore(this.doc, t, a));
  }

  /** The uses of a license, from the audit table's byIdentifier index (§16). */
  get licenseUses(): LicenseUseReader {
    this.indexes('audit', [AuditIndex.byIdentifier]);
    const table = this.table('audit', 'read');
    return this.once('licenseUses', () => new LicenseUseReader(this.doc, table));
  }

  /** Rate limits shared by every instance, kept beside the nonces (lib/store/rate-limits.ts). */
  get rateLimits(): RateLimits {
    const table = this.table('nonces', 'write');
    return this.once('rateLimits', () => new RateLimits(this.doc, table));
  }

  /** Single-use ids of inbound signed calls. */
  get nonces(): NonceStore {
    const table = this.table('nonces', 'write');
    return this.once('nonces', () => new NonceStore(this.doc, table));
  }

  /** Agreements, their signatures and withdrawals, and the outbox of their deliveries. */
  get agreements(): AgreementStore {
    return this.audited(
      'agreements',
      'agreements',
      'readwrite',
      (t, a) => new AgreementStore(this.doc, t, a),
    );
  }

  /** Enforcement of agreements on inbound calls: reads the agreements, never writes them. */
  get agreementPolicy(): AgreementPolicy {
    return this.audited(
      'agreementPolicy',
      'agreements',
      'read',
      (t, a) => new AgreementPolicy(new AgreementStore(this.doc, t, a), this.clock),
    );
  }

  /** The Merkle log over the audit events, for readers: checkpoints and proofs. */
  get log(): AuditLog {
    const log = this.table('log', 'read');
    const audit = this.table('audit', 'read');
    return this.once(
      'log',
      () => new AuditLog(new LogStore(this.doc, log), new LoggedEvents(this.doc, audit)),
    );
  }

  /** Audit events searched through the table's indexes (the auditor API). */
  get auditEvents(): AuditEventReader {
    this.indexes('audit', SEARCH_INDEXES);
    const table = this.table('audit', 'read');
    return this.once('auditEvents', () => new AuditEventReader(this.doc, table));
  }

  /** Audit events as the sequencer sees them: waiting in the pending index, then marked. */
  get loggedEvents(): LoggedEvents {
    this.indexes('audit', [AuditIndex.pending]);
    const table = this.table('audit', 'readwrite');
    return this.once('loggedEvents', () => new LoggedEvents(this.doc, table));
  }

  /** The log's own table, written (the sequencer); tests pass a small tile height. */
  logStore(options: { tileHeight?: number } = {}): LogStore {
    return new LogStore(this.doc, this.table('log', 'readwrite'), options);
  }

  /** Signed calls to other provinces, with the gateway key; each call is audited here. */
  get peers(): PeerClient {
    const signer = this.signer('gateway');
    const registry = this.registry;
    const auditStore = this.auditStore;
    return this.once(
      'peers',
      () =>
        this.parts.peers ??
        new HttpPeerClient({ self: this.province, signer, registry, auditStore, clock: this.clock }),
    );
  }

  /**
   * Signed calls with text bodies (the witnesses' add-checkpoint, §19.4), signed with the gateway
   * key and audited here, over a client of their own.
   */
  get textPeers(): TextPeerClient {
    const given = this.parts.peers;
    if (given) {
      if (typeof (given as Partial<TextPeerClient>).callText !== 'function') {
        throw new UndeclaredResourceError(
          `the peer client of the ${this.scope.name} function makes no text calls`,
        );
      }
      return given as unknown as TextPeerClient;
    }
    const signer = this.signer('gateway');
    const registry = this.registry;
    const auditStore = this.auditStore;
    // A client, and so a circuit breaker, of its own, as the sequencer has on AWS (its own
    // function): the witnesses' failures never pause the verification calls made in this process.
    return this.once(
      'textPeers',
      () => new HttpPeerClient({ self: this.province, signer, registry, auditStore, clock: this.clock }),
    );
  }

  /** How long a collection of cosignatures waits for the witnesses (ELG_WITNESS_TIMEOUT_MS). */
  get witnessTimeoutMs(): number {
    return this.parts.witnessTimeoutMs ?? DEFAULT_WITNESS_TIMEOUT_MS;
  }

  /** What the inbound signed-call layer needs: caller keys, single-use ids, the receipt key, the audit sink. */
  get signedCalls(): SignedCallDeps {
    return {
      province: this.province,
      registry: this.registry,
      nonces: this.nonces,
      gatewaySigner: this.signer('gateway'),
      auditStore: this.auditStore,
      clock: this.clock,
    };
  }

  /** Probes storage for /healthz with DescribeTable on the audit table; false when it does not answer. */
  get storageProbe(): () => Promise<boolean> {
    const table = this.table('audit', 'describe');
    const doc = this.doc;
    return () => storageAnswers(doc, table);
  }

  private table(kind: TableKind, use: TableUse): string {
    requireTable(this.scope, kind, use);
    return this.present(this.parts.tables?.[kind], `the ${kind} table's name`);
  }

  /** Checks that the scope lets this function query these indexes of `kind`. */
  private indexes(kind: TableKind, names: readonly string[]): void {
    requireIndexes(this.scope, kind, names);
  }

  private get doc(): DynamoDBDocumentClient {
    return this.present(this.parts.doc, 'the DynamoDB client');
  }

  /** A store over a table of `kind` used as `use` that audits what it does, built once as `key`. */
  private audited<T>(
    key: string,
    kind: TableKind,
    use: TableUse,
    build: (table: string, audit: AuditStore) => T,
  ): T {
    const table = this.table(kind, use);
    const audit = this.auditStore;
    return this.once(key, () => build(table, audit));
  }

  /** Built once per parts; the caller has checked its scope first, on this very access. */
  private once<T>(key: string, build: () => T): T {
    if (!this.built.has(key)) this.built.set(key, build());
    return this.built.get(key) as T;
  }

  private present<T>(value: T | undefined, what: string): T {
    if (value === undefined) {
      throw new UndeclaredResourceError(
        `the ${this.scope.name} function was wired without ${what}, which its catalog entry lists`,
      );
    }
    return value;
  }
}
