import type { Clock } from '../clock.ts';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit for a peer. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before one trial call is let through. */
  openMs?: number;
  clock: Clock;
}

/**
 * Leave for one call to a peer. Settle it with what the peer did; the first settlement counts and
 * later ones do nothing, so settling again in a `finally` is always safe.
 */
export interface CircuitPermit {
  /** The peer answered: its circuit closes. */
  success(): void;
  /** The peer failed (down, slow, 5xx, an answer it cannot prove): counts toward opening. */
  failure(): void;
  /**
   * The call ended for a reason that says nothing about the peer (a local signing failure, say):
   * nothing is counted, and a trial call gives its place to the next call.
   */
  release(): void;
}

interface PeerState {
  failures: number;
  openUntil?: number;
  /** The one trial call of a half-open circuit, and until when it holds its place. */
  trial?: { id: symbol; until: number };
}

/**
 * Per-peer circuit breaker (熔断): after repeated failures a dead or slow province is not called
 * for a while, so it cannot tie up this province's connections and time. After the pause one
 * trial call decides whether the circuit closes again.
 *
 * A call goes out only with a permit, and every way a call ends settles its permit. A trial whose
 * permit is never settled (a bug, a crash between calls) holds its place for `openMs` only, so no
 * outcome can keep a circuit open for good.
 */
export class CircuitBreaker {
  private readonly peers = new Map<string, PeerState>();
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.threshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
  }

  /** Leave for one call to `peer`, or undefined while its circuit is open or its trial is out. */
  permit(peer: string): CircuitPermit | undefined {
    const s = this.peers.get(peer);
    if (!s?.openUntil) return this.newPermit(peer);
    const now = this.now();
    if (now < s.openUntil || (s.trial && now < s.trial.until)) return undefined;
    const trial = Symbol(peer);
    s.trial = { id: trial, until: now + this.openMs };
    return this.newPermit(peer, trial);
  }

  state(peer: string): 'closed' | 'open' | 'half-open' {
    const s = this.peers.get(peer);
    if (!s?.openUntil) return 'closed';
    return this.now() < s.openUntil ? 'open' : 'half-open';
  }

  private newPermit(peer: string, trial?: symbol): CircuitPermit {
    let settled = false;
    const once = (settle: () => void) => () => {
      if (settled) return;
      settled = true;
      settle();
    };
    return {
      success: once(() => this.peers.delete(peer)),
      failure: once(() => this.fail(peer, trial)),
      release: once(() => this.endTrial(peer, trial)),
    };
  }

  private fail(peer: string, trial: symbol | undefined): void {
    const s = this.peers.get(peer) ?? { failures: 0 };
    s.failures += 1;
    this.peers.set(peer, s);
    this.endTrial(peer, trial);
    if (s.failures >= this.threshold) s.openUntil = this.now() + this.openMs;
  }

  /** Frees the trial's place, unless a later trial holds it already. */
  private endTrial(peer: string, trial: symbol | undefined): void {
    const s = this.peers.get(peer);
    if (trial && s?.trial?.id === trial) s.trial = undefined;
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }
}
