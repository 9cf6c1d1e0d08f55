/**
 * Latencies in buckets 2 % wide from 0.05 ms up: percentiles to within 2 % in memory that does not
 * grow with the run, so a long soak does not measure its own bookkeeping as the federation's RSS.
 */
export class Histogram {
  private static readonly STEP = Math.log(1.02);
  private static readonly FLOOR_MS = 0.05;
  private readonly buckets = new Map<number, number>();
  count = 0;

  add(ms: number) {
    const b = Math.max(
      0,
      Math.floor(Math.log(Math.max(ms, Histogram.FLOOR_MS) / Histogram.FLOOR_MS) / Histogram.STEP),
    );
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
  }

  /** Nearest rank, as the interop section counts it; the bucket's middle; 0 for no samples. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.min(this.count - 1, Math.floor(p * this.count));
    let seen = 0;
    for (const [b, n] of [...this.buckets].sort(([x], [y]) => x - y)) {
      seen += n;
      if (seen > rank) return Histogram.FLOOR_MS * Math.exp((b + 0.5) * Histogram.STEP);
    }
    return 0;
  }
}

/** Requests, latencies and error codes of one span of the run (an interval, an operation, the whole). */
export class Tally {
  requests = 0;
  latencies = new Histogram();
  errors = new Map<string, number>();

  add(ms: number, error: string | undefined) {
    this.requests++;
    this.latencies.add(ms);
    if (error) bump(this.errors, error);
  }
}

export function bump<K>(m: Map<K, number>, k: K) {
  m.set(k, (m.get(k) ?? 0) + 1);
}
