import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { KeyPurpose } from '../../contracts/keys.ts';
import type { RegistryClaims, RegistryProvince, RootPublicJwk } from '../../contracts/registry.ts';
import { type Clock, systemClock } from '../clock.ts';
import { importPublicKey } from '../signing/public-jwk.ts';
import { KeyResolutionError, RegistryError, type RegistryErrorCode } from './errors.ts';
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
}

export interface RegistryStatus {
  seq: number;
  iat: number;
  loadedAt: string;
  lastRefreshAt?: string;
  /** The last refresh failure; cleared by the next successful refresh. */
  lastError?: { code: RegistryErrorCode; message: string; at: string };
}

export type RefreshResult = { ok: true; updated: boolean } | { ok: false; error: RegistryError };

/** One registry version with its keys imported once, so verification never imports per call. */
interface Snapshot {
  claims: RegistryClaims;
  loadedAt: Date;
  provinces: Map<string, RegistryProvince>;
  keys: Map<string, Map<string, { purpose: KeyPurpose; key: KeyObject }>>;
}

const DEFAULT_REFRESH_MS = 5 * 60_000;
const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
const MAX_REGISTRY_CHARS = 4 * 1024 * 1024;

/**
 * The national trust registry as this gateway sees it (DESIGN section 5): verified against the
 * root key, refreshed on an interval, and served from the last good copy when a refresh fails.
 * It never moves to an older `seq`.
 */
export class TrustRegistry {
  private snapshot: Snapshot;
  private lastRefreshAt: Date | undefined;
  private lastError: RegistryStatus['lastError'];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<RefreshResult> | undefined;

  private constructor(
    claims: RegistryClaims,
    private readonly clock: Clock,
    private readonly options: TrustRegistryOptions | undefined,
  ) {
    this.snapshot = snapshotOf(claims, clock.now());
  }

  /** Loads and verifies the registry; throws RegistryError when the first copy cannot be had. */
  static async load(options: TrustRegistryOptions): Promise<TrustRegistry> {
    if (!options.source) throw new TypeError('the registry source is required');
    const interval = options.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
    if (!Number.isFinite(interval) || interval < 1000)
      throw new TypeError('refreshIntervalMs must be at least 1000');
    const claims = await verifyRegistry(await readSource(options), options.rootPublicJwk);
    return new TrustRegistry(claims, options.clock ?? systemClock, options);
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

  status(): RegistryStatus {
    return {
      seq: this.snapshot.claims.seq,
      iat: this.snapshot.claims.iat,
      loadedAt: this.snapshot.loadedAt.toISOString(),
      ...(this.lastRefreshAt ? { lastRefreshAt: this.lastRefreshAt.toISOString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /**
   * The key a signature claims to be made with: `kid` of an active province, for `purpose`.
   * Throws KeyResolutionError UNKNOWN_ISSUER, UNKNOWN_KEY or WRONG_KEY_PURPOSE.
   */
  async resolveKey(provinceId: string, kid: string, purpose: KeyPurpose): Promise<KeyObject> {
    const province = this.snapshot.provinces.get(provinceId);
    if (!province) {
      throw new KeyResolutionError(
        'UNKNOWN_ISSUER',
        `${quote(provinceId)} is not a province in the trust registry`,
      );
    }
    if (province.status !== 'active') {
      throw new KeyResolutionError(
        'UNKNOWN_ISSUER',
        `province ${province.id} is ${province.status} in the trust registry`,
      );
    }
    const entry = this.snapshot.keys.get(province.id)?.get(kid);
    if (!entry) {
      throw new KeyResolutionError('UNKNOWN_KEY', `province ${province.id} publishes no key ${quote(kid)}`);
    }
    if (entry.purpose !== purpose) {
      throw new KeyResolutionError(
        'WRONG_KEY_PURPOSE',
        `key ${kid} of province ${province.id} is its ${entry.purpose} key, not its ${purpose} key`,
      );
    }
    return entry.key;
  }

  private async refreshOnce(): Promise<RefreshResult> {
    if (!this.options) return { ok: true, updated: false };
    const at = this.clock.now();
    this.lastRefreshAt = at;
    try {
      const claims = await verifyRegistry(await readSource(this.options), this.options.rootPublicJwk);
      const current = this.snapshot.claims.seq;
      if (claims.seq < current) {
        throw new RegistryError(
          'REGISTRY_STALE',
          `the source offers registry seq ${claims.seq}, older than the cached seq ${current}`,
        );
      }
      const updated = claims.seq > current;
      if (updated) this.snapshot = snapshotOf(claims, at);
      this.lastError = undefined;
      return { ok: true, updated };
    } catch (err) {
      const error =
        err instanceof RegistryError
          ? err
          : new RegistryError('REGISTRY_UNAVAILABLE', 'the registry could not be refreshed', { cause: err });
      this.lastError = { code: error.code, message: error.message, at: at.toISOString() };
      return { ok: false, error };
    }
  }
}

function snapshotOf(claims: RegistryClaims, loadedAt: Date): Snapshot {
  const provinces = new Map<string, RegistryProvince>();
  const keys: Snapshot['keys'] = new Map();
  for (const province of claims.provinces) {
    provinces.set(province.id, province);
    const byKid = new Map<string, { purpose: KeyPurpose; key: KeyObject }>();
    for (const jwk of province.jwks.keys) {
      try {
        byKid.set(jwk.kid, { purpose: jwk.purpose, key: importPublicKey(jwk) });
      } catch (err) {
        throw new RegistryError(
          'REGISTRY_MALFORMED',
          `key ${jwk.kid} of province ${province.id} is not a P-256 point`,
          {
            cause: err,
          },
        );
      }
    }
    keys.set(province.id, byKid);
  }
  return { claims, loadedAt, provinces, keys };
}

async function readSource(options: TrustRegistryOptions): Promise<string> {
  const { source } = options;
  if (/^https?:\/\//i.test(source)) return fetchSource(source, options);
  const path = source.startsWith('file:') ? fileURLToPath(source) : source;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry file ${path} cannot be read (${code})`, {
      cause: err,
    });
  }
}

async function fetchSource(url: string, options: TrustRegistryOptions): Promise<string> {
  const fetchImpl = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { accept: 'application/jwt, text/plain' },
      signal: AbortSignal.timeout(options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry at ${url} cannot be reached`, {
      cause: err,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new RegistryError(
      'REGISTRY_UNAVAILABLE',
      `the registry at ${url} answered HTTP ${response.status}`,
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new RegistryError('REGISTRY_UNAVAILABLE', `the registry at ${url} broke off`, { cause: err });
  }
  if (text.length > MAX_REGISTRY_CHARS) {
    throw new RegistryError(
      'REGISTRY_MALFORMED',
      `the registry at ${url} is larger than ${MAX_REGISTRY_CHARS} characters`,
    );
  }
  return text;
}

/** Untrusted names from a signature header, quoted and cut short for messages. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}
