import { log } from './log/logger.ts';

/** The longest wait between idle rounds unless a loop asks for another. */
export const DEFAULT_MAX_IDLE_INTERVAL_MS = 30_000;

export interface IntervalLoopOptions {
  /** Logged at error level, with `context` and the error, when a round fails. */
  message: string;
  context?: Record<string, string>;
  /**
   * The longest wait between rounds while they find nothing to do: the wait doubles from
   * `intervalMs` after each idle round up to this, and is back to `intervalMs` after a round that
   * did work (or failed). `intervalMs` itself turns the back-off off. 30 s when absent.
   */
  maxIntervalMs?: number;
}

/**
 * Runs `round` every `intervalMs` (counted from the end of the previous round, so never two at
 * once) until the returned function is called; that function resolves once a round in flight has
 * finished, and no round starts after it was called. A round reports whether it did work:
 * while rounds resolve `false` (nothing to do) the wait doubles, up to `maxIntervalMs`; a round
 * that resolves anything else, or fails, brings it back to `intervalMs`. A failed round is logged
 * at error level (`message`, with `context` and the error) and the next one runs on time. The
 * timer does not keep the process alive. The local federation's background work (sequencer,
 * agreement deliveries) runs this way; on AWS a schedule invokes the same rounds.
 */
export function startIntervalLoop(
  round: () => Promise<boolean | unknown>,
  intervalMs: number,
  options: IntervalLoopOptions,
): () => Promise<void> {
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new TypeError('intervalMs must be at least 10');
  const maxIntervalMs = options.maxIntervalMs ?? Math.max(intervalMs, DEFAULT_MAX_IDLE_INTERVAL_MS);
  if (!Number.isFinite(maxIntervalMs) || maxIntervalMs < intervalMs) {
    throw new TypeError('maxIntervalMs must be at least intervalMs');
  }
  let stopped = false;
  let wait = intervalMs;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, wait);
    timer.unref();
  };
  const tick = () => {
    timer = undefined;
    running = Promise.resolve()
      .then(round)
      .then(
        (result) => {
          wait = result === false ? Math.min(wait * 2, maxIntervalMs) : intervalMs;
        },
        (err: unknown) => {
          wait = intervalMs;
          log.error(options.message, { ...options.context, error: String(err) });
        },
      )
      .finally(() => {
        running = undefined;
        schedule();
      });
  };
  schedule();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    await running;
  };
}
