import type { KeyObject } from 'node:crypto';
import type { KeyPurpose, PublicJwk } from '../../contracts/keys.ts';
import type {
  RegistryClaims,
  RegistryProvince,
  RootPublicJwk,
  WitnessPolicy,
} from '../../contracts/registry.ts';
import { type Clock, systemClock } from '../clock.ts';
import { rawEd25519PublicKey } from '../signing/public-jwk.ts';
import { witnessKeyId } from '../witness/cosignature.ts';
import { asRegistryError, messageOf, RegistryError, type RegistryErrorCode } from './errors.ts';
import { keyByKid, resolveKey, type Snapshot, snapshotOf } from './registry-snapshot.ts';
import { readSource } from './registry-source.ts';
import { type RegistryCopyStore, readStoredCopy } from './stored-copy.ts';
import { parseRegistryClaims, verifyRegistry } from './verify-registry.ts';

export interface TrustRegistryOptions {
  /** A file path, `file:` URL or http(s) URL serving the registry JWS. */
  source: string;
  rootPublicJwk: RootPublicJwk;
  /** How often start() refreshes; default 5 minutes. */
  refreshIntervalMs?: number;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Per-request limit for an http(s) source; default 10 seconds. */
  fetchTimeoutMs?: number;
  /**
   * Keeps the last good copy beyond this process: each verified copy with a higher `seq` is
   * stored, and load() starts from the stored copy (verified again) when the source fails.
   */
  store?: RegistryCopyStore;
  /** The oldest stored copy load() starts from, counted from its signed `iat`; default 7 days. */
  maxStoredAgeMs?: number;
  /**
   * Limit of load()'s first request when a store is given, so a start with an unresponsive source
   * falls back to the stored copy well inside a cold start; default 3 seconds.
   */
  startFetchTimeoutMs?: number;
}

export interface RegistryStatus {
  seq: number;
  iat: number;
  loadedAt: string;
  /**
   * Where the copy in use was last confirmed: `source` (the registry URL or file) or `store` (the
   * stored copy, because the source failed when this process started; until a refresh succeeds).
   */
  from: 'source' | 'store';
  lastRefreshAt?: string;
  /** The last failure to read the source; cleared by the next successful refresh. */
  lastError?: { code: RegistryErrorCode; message: string; at: string };
  /** The last failure to store a copy; cleared once a copy is stored. */
  lastStoreError?: { message: string; at: string };
}

export type RefreshResult = { ok: true; updated: boolean } | { ok: false; error: RegistryError };

const DEFAULT_REFRESH_MS = 5 * 60_000;
const DEFAULT_START_FETCH_TIMEOUT_MS = 3_000;
export const DEFAULT_MAX_STORED_AGE_MS = 7 * 24 * 3600_000;

/**
 * The national trust registry as this gateway sees it (docs/protocol.md §6): verified against the
 * root key, refreshed on an interval, and served from the last good copy when a refresh fails.
 * It never moves to an older `seq`. With a store, the last good copy outlives the process: a
 * gateway that starts while the source is down starts from the stored copy, verified like a
 * fetched one and no older than maxStoredAgeMs, and keeps trying the source on its interval.
 */
export class TrustRegistry {
  private snapshot: Snapshot;
  private lastRefreshAt: Date | undefined;
  private lastError: RegistryStatus['lastError'];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<RefreshResult> | undefined;
  private from: RegistryStatus['from'] = 'source';
  /** The `seq` the store is known to hold; undefined until a write or read tells. */
  private storedSeq: number | undefined;
  private lastStoreError: RegistryStatus['lastStoreError'];

  private constructor(
    claims: RegistryClaims,
    private readonly clock: Clock,
    private readonly options: TrustRegistryOptions | undefined,
  ) {
    this.snapshot = snapshotOf(claims, clock.now());
  }

  /**
   * Loads and verifies the registry from its source, and stores it when newer than the stored
   * copy. With a store, a source that fails (or offers an older `seq` than the stored one) is
   * replaced by the stored copy if that verifies and is recent enough. Throws RegistryError when
   * no copy can be had, naming both causes.
   */
  static async load(options: TrustRegistryOptions): Promise<TrustRegistry> {
    if (!options.source) throw new TypeError('the registry source is required');
    const interval = options.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
    if (!Number.isFinite(interval) || interval < 1000)
      throw new TypeError('refreshIntervalMs must be at least 1000');
    const maxAge = options.maxStoredAgeMs ?? DEFAULT_MAX_STORED_AGE_MS;
    if (!Number.isFinite(maxAge) || maxAge <= 0) throw new TypeError('maxStoredAgeMs must be positive');
    const clock = options.clock ?? systemClock;
    const { store } = options;
    if (!store) {
      const claims = await verifyRegistry(await readSource(options), options.rootPublicJwk);
      return new TrustRegistry(claims, clock, options);
    }

    let sourceError: RegistryError;
    try {
      const jws = (
        await readSource({
          ...options,
          fetchTimeoutMs: options.startFetchTimeoutMs ?? DEFAULT_START_FETCH_TIMEOUT_MS,
        })
      ).trim();
      const claims = await verifyRegistry(jws, options.rootPublicJwk);
      const registry = new TrustRegistry(claims, clock, options);
      const stored = await registry.keep(jws, claims);
      if (stored === undefined || stored <= claims.seq) return registry;
      throw new RegistryError(
        'REGISTRY_STALE',
        `the source offers registry seq ${claims.seq}, older than the stored seq ${stored}`,
      );
    } catch (err) {
      sourceError = asRegistryError(err, 'the registry could not be loaded');
    }

    let claims: RegistryClaims;
    try {
      claims = await readStoredCopy(store, options.rootPublicJwk, clock.now(), maxAge);
    } catch (err) {
      const storeError = asRegistryError(err, 'the stored copy cannot be used');
      throw new RegistryError(
        sourceError.code,
        `${sourceError.message}; the stored copy cannot be used either: ${storeError.message}`,
        { cause: new AggregateError([sourceError, storeError], 'neither the source nor the stored copy') },
      );
    }
    const registry = new TrustRegistry(claims, clock, options);
    registry.from = 'store';
    registry.storedSeq = claims.seq;
    registry.lastError = {
      code: sourceError.code,
      message: sourceError.message,
      at: clock.now().toISOString(),
    };
    return registry;
  }

  /** A registry from claims already trusted (tests, embedded use); it has no source to refresh from. */
  static fromClaims(claims: RegistryClaims, options: { clock?: Clock } = {}): TrustRegistry {
    return new TrustRegistry(parseRegistryClaims(claims), options.clock ?? systemClock, undefined);
  }

  /**
   * Fetches and verifies the source again. Never throws: a failure is returned and kept in
   * status().lastError while the current copy stays in use.
   */
  refresh(): Promise<RefreshResult> {
    this.inflight ??= this.refreshOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Refreshes every refreshIntervalMs until stop(); the timer does not keep the process alive. */
  start(): void {
    if (this.timer || !this.options) return;
    this.timer = setInterval(() => {
      void this.refresh();
    }, this.options.refreshIntervalMs ?? DEFAULT_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  provinces(): readonly RegistryProvince[] {
    return this.snapshot.claims.provinces;
  }

  /** The registry entry of a province, whatever its status; undefined if it is not listed. */
  province(id: string): RegistryProvince | undefined {
    return this.snapshot.provinces.get(id);
  }

  /**
   * A province's current public key for `purpose` as the registry publishes it: the first listed,
   * as a province lists its current keys before earlier or staged generations.
   */
  currentKey(provinceId: string, purpose: KeyPurpose): PublicJwk | undefined {
    return this.province(provinceId)?.jwks.keys.find((k) => k.purpose === purpose);
  }

  /** Who witnesses a province's log and the quorum; undefined when its log names no witnesses. */
  witnessPolicy(logProvince: string): WitnessPolicy | undefined {
    return this.province(logProvince)?.witnessPolicy;
  }

  /**
   * Every published witness key of an active province that cosigns under a witness name, with
   * its signed-note key ID (C2SP signed-note type 0x04): the keys its cosignatures are checked
   * against, a rotation's earlier key included. None for a suspended or unlisted province.
   */
  witnessKeys(witnessProvince: string): { name: string; keyId: Uint8Array; key: KeyObject }[] {
    const province = this.province(witnessProvince);
    if (province?.status !== 'active' || province.witnessName === undefined) return [];
    const name = province.witnessName;
    return this.keysOf(province.id, 'witness').map((key) => ({
      name,
      keyId: witnessKeyId(name, rawEd25519PublicKey(key)),
      key,
    }));
  }

  /** Every published audit key of an active province: what its checkpoints may be signed with. */
  auditKeys(logProvince: string): KeyObject[] {
    return this.province(logProvince)?.status === 'active' ? this.keysOf(logProvince, 'audit') : [];
  }

  private keysOf(provinceId: string, purpose: KeyPurpose): KeyObject[] {
    const keys = this.snapshot.keys.get(provinceId);
    return keys ? [...keys.values()].filter((k) => k.purpose === purpose).map((k) => k.key) : [];
  }

  status(): RegistryStatus {
    return {
      seq: this.snapshot.claims.seq,
      iat: this.snapshot.claims.iat,
      loadedAt: this.snapshot.loadedAt.toISOString(),
      from: this.from,
      ...(this.lastRefreshAt ? { lastRefreshAt: this.lastRefreshAt.toISOString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastStoreError ? { lastStoreError: this.lastStoreError } : {}),
    };
  }

  /**
   * The key a signature claims to be made with: `kid` of an active province, for `purpose`.
   * Throws KeyResolutionError UNKNOWN_ISSUER, UNKNOWN_KEY or WRONG_KEY_PURPOSE.
   */
  async resolveKey(provinceId: string, kid: string, purpose: KeyPurpose): Promise<KeyObject> {
    return resolveKey(this.snapshot, provinceId, kid, purpose);
  }

  /**
   * The key a signature's header names, found by its kid alone, with the province that owns it:
   * what a verifier needs before it may read any claim (docs/protocol.md §4). The
   * signed `iss` must then be that owner. Throws KeyResolutionError like resolveKey.
   */
  keyByKid(kid: string, purpose: KeyPurpose): { key: KeyObject; owner: string } {
    return keyByKid(this.snapshot, kid, purpose);
  }

  private async refreshOnce(): Promise<RefreshResult> {
    if (!this.options) return { ok: true, updated: false };
    const at = this.clock.now();
    this.lastRefreshAt = at;
    let jws: string;
    let claims: RegistryClaims;
    let updated: boolean;
    try {
      jws = (await readSource(this.options)).trim();
      claims = await verifyRegistry(jws, this.options.rootPublicJwk);
      const current = this.snapshot.claims.seq;
      if (claims.seq < current) {
        throw new RegistryError(
          'REGISTRY_STALE',
          `the source offers registry seq ${claims.seq}, older than the cached seq ${current}`,
        );
      }
      updated = claims.seq > current;
      if (updated) this.snapshot = snapshotOf(claims, at);
      this.from = 'source';
      this.lastError = undefined;
    } catch (err) {
      const error = asRegistryError(err, 'the registry could not be refreshed');
      this.lastError = { code: error.code, message: error.message, at: at.toISOString() };
      return { ok: false, error };
    }
    await this.keep(jws, claims);
    return { ok: true, updated };
  }

  /**
   * Offers a verified copy to the store, unless the store is known to hold this `seq` or a higher
   * one. Never throws: a failure is kept in status().lastStoreError, and the next refresh tries
   * again. Returns the `seq` the store holds, or undefined when that is not known.
   */
  private async keep(jws: string, claims: RegistryClaims): Promise<number | undefined> {
    const store = this.options?.store;
    if (!store) return undefined;
    if (this.storedSeq !== undefined && this.storedSeq >= claims.seq) return this.storedSeq;
    const at = this.clock.now();
    try {
      const { seq } = await store.offer(jws, claims, at);
      this.storedSeq = seq;
      this.lastStoreError = undefined;
      return seq;
    } catch (err) {
      this.lastStoreError = {
        message: `registry seq ${claims.seq} could not be stored: ${messageOf(err)}`,
        at: at.toISOString(),
      };
      return undefined;
    }
  }
}
