import { log } from './log/logger.ts';

/**
 * Runs `round` every `intervalMs`, never two at once, until the returned function is called; that
 * function resolves once a round in flight has finished. A failed round is logged at error level
 * (`message`, with `context` and the error) and the next one runs on time. The timer does not keep the process
 * alive. The local federation's background work (sequencer, agreement deliveries) runs this way;
 * on AWS a schedule invokes the same rounds.
 */
export function startIntervalLoop(
  round: () => Promise<unknown>,
  intervalMs: number,
  failure: { message: string; context?: Record<string, string> },
): () => Promise<void> {
  if (!Number.isFinite(intervalMs) || intervalMs < 10) throw new TypeError('intervalMs must be at least 10');
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= round()
      .then(() => undefined)
      .catch((err: unknown) => {
        log.error(failure.message, { ...failure.context, error: String(err) });
      })
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
