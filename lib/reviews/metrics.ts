import { MetricUnit, publishMetrics } from '../metrics/emf.ts';
import { type BreakerMetric, REVIEWS_METRICS_NAMESPACE, type ReviewMetric } from '../metrics/names.ts';

/**
 * One review or breaker event as a metric (namespace ELG/Reviews, dimension `Province`, a count of
 * 1): written as one EMF line by the function that stored the event (docs/protocol.md §18).
 */
export function countReviewEvent(
  province: string,
  name: ReviewMetric | BreakerMetric,
  at: Date,
  write?: (line: string) => void,
): void {
  publishMetrics(
    {
      namespace: REVIEWS_METRICS_NAMESPACE,
      dimensions: { Province: province },
      metrics: [{ name, unit: MetricUnit.Count, value: 1 }],
      timestamp: at,
    },
    write,
  );
}
