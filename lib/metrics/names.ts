/**
 * CloudWatch metric names the gateway emits and the deployment alarms on, declared once: the
 * sequencer publishes them (functions/sequencer/report.ts) and the province stack's alarm reads
 * them (infra/constructs/alarms.ts). Renaming one here renames both sides together.
 */
export const AUDIT_METRICS_NAMESPACE = 'ELG/Audit';

/** The sequencer's metrics, dimension `Province`. */
export const SequencerMetric = {
  /** Age in seconds of the oldest audit event not yet integrated into the log. */
  oldestPendingAge: 'OldestPendingAgeSeconds',
  /** Events integrated by one run. */
  eventsIntegrated: 'EventsIntegrated',
} as const;
export type SequencerMetric = (typeof SequencerMetric)[keyof typeof SequencerMetric];

/** The dimension every gateway metric carries. */
export const PROVINCE_DIMENSION = 'Province';
