import { log } from '../../lib/log/logger.ts';
import { MetricUnit, publishMetrics } from '../../lib/metrics/emf.ts';
import {
  AUDIT_METRICS_NAMESPACE,
  CosigningMetric,
  SequencerMetric,
  WITNESS_METRICS_NAMESPACE,
} from '../../lib/metrics/names.ts';
import { oldestPendingAgeSeconds } from './lag.ts';
import { type IntegrateOptions, type IntegrateReport, integrate, type SequencerDeps } from './sequencer.ts';

/** CloudWatch names the deployment's alarm is built on, declared once in lib/metrics/names.ts. */
export { AUDIT_METRICS_NAMESPACE, SequencerMetric };

/**
 * One sequencer run followed by its metrics, dimension `Province`: how many events it integrated
 * and how long the oldest waiting event has waited. A failed run still reports the wait (and 0
 * integrated) before its error propagates, so a sequencer that keeps failing shows as a growing
 * lag. A failure to measure the lag is logged and leaves that metric out of this run. For a log
 * the registry names witnesses for, the run also publishes (namespace ELG/Witness) the
 * cosignatures it collected and refused and whether the newest checkpoint lacks its quorum.
 */
export async function integrateAndReport(
  g: SequencerDeps,
  options: IntegrateOptions = {},
  write?: (line: string) => void,
): Promise<IntegrateReport> {
  const run = await integrate(g, options).then(
    (report) => ({ report }),
    (error: unknown) => ({ error }),
  );
  let age: number | undefined;
  try {
    age = await oldestPendingAgeSeconds(g);
  } catch (error) {
    log.error('the age of the oldest waiting audit event could not be measured', {
      province: g.province,
      error: error instanceof Error ? error : String(error),
    });
  }
  publishMetrics(
    {
      namespace: AUDIT_METRICS_NAMESPACE,
      dimensions: { Province: g.province },
      metrics: [
        ...(age === undefined
          ? []
          : [{ name: SequencerMetric.oldestPendingAge, unit: MetricUnit.Seconds, value: age }]),
        {
          name: SequencerMetric.eventsIntegrated,
          unit: MetricUnit.Count,
          value: 'report' in run ? run.report.integrated : 0,
        },
      ],
      timestamp: g.clock.now(),
    },
    write,
  );
  // Only for a log with witnesses: whether the newest checkpoint has its quorum, what was collected.
  const witness = 'report' in run ? run.report.witness : undefined;
  if (witness) {
    publishMetrics(
      {
        namespace: WITNESS_METRICS_NAMESPACE,
        dimensions: { Province: g.province },
        metrics: [
          { name: CosigningMetric.collected, unit: MetricUnit.Count, value: witness.collected },
          { name: CosigningMetric.invalid, unit: MetricUnit.Count, value: witness.invalid },
          { name: CosigningMetric.quorumMissing, unit: MetricUnit.Count, value: witness.quorumMet ? 0 : 1 },
        ],
        timestamp: g.clock.now(),
      },
      write,
    );
  }
  if ('error' in run) throw run.error;
  return run.report;
}
