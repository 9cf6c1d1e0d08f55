/**
 * A scheduled delivery run: its metric first (a count that fails is kept, not thrown, so the
 * deliveries still go out), then rounds one after another while a round did work, until
 * `budgetMs` has passed (well inside the function's timeout and a delivery's lease), the reports
 * of the rounds summed. A metric that failed fails the run at its end, which the function's error
 * alarm sees.
 */
export async function budgetedRun<R extends { [K in keyof R]: number }>(run: {
  publish: () => Promise<unknown>;
  round: () => Promise<R>;
  /** Whether a round did work (another one may then find more). */
  worked: (report: R) => boolean;
  budgetMs: number;
}): Promise<R> {
  const published = await run.publish().then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const started = Date.now();
  let total: R | undefined;
  for (;;) {
    const report = await run.round();
    total = total ? sum(total, report) : report;
    if (!run.worked(report) || Date.now() - started > run.budgetMs) break;
  }
  if (published) throw published.error;
  return total;
}

function sum<R extends { [K in keyof R]: number }>(a: R, b: R): R {
  const out: Record<string, number> = { ...(a as Record<string, number>) };
  for (const [k, v] of Object.entries(b as Record<string, number>)) out[k] = (out[k] ?? 0) + v;
  return out as unknown as R;
}
