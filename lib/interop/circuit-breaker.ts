import type { Clock } from '../clock.ts';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit for a peer. */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before one trial call is let through. */
  openMs?: number;
  clock: Clock;
}

interface PeerState {
  failures: number;
  openUntil?: number;
  trialInFlight?: boolean;
}

/**
 * Per-peer circuit breaker (熔断): after repeated failures a dead or slow province is not called
 * for a while, so it cannot tie up this province's connections and time. After the pause one
 * trial call decides whether the circuit closes again.
 */
export class CircuitBreaker {
  private readonly peers = new Map<string, PeerState>();
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.threshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
  }

  /** Whether a call to `peer` may go out now. */
  allow(peer: string): boolean {
    const s = this.peers.get(peer);
    if (!s?.openUntil) return true;
    if (this.options.clock.now().getTime() < s.openUntil || s.trialInFlight) return false;
    s.trialInFlight = true;
    return true;
  }

  success(peer: string): void {
    this.peers.delete(peer);
  }

  failure(peer: string): void {
    const s = this.peers.get(peer) ?? { failures: 0 };
    s.failures += 1;
    s.trialInFlight = false;
    if (s.failures >= this.threshold) s.openUntil = this.options.clock.now().getTime() + this.openMs;
    this.peers.set(peer, s);
  }

  state(peer: string): 'closed' | 'open' | 'half-open' {
    const s = this.peers.get(peer);
    if (!s?.openUntil) return 'closed';
    return this.options.clock.now().getTime() < s.openUntil ? 'open' : 'half-open';
  }
}
