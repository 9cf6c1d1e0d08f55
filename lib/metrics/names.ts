/**
 * CloudWatch metric names the gateway emits and the deployment alarms on, declared once: the
 * sequencer publishes the audit metrics (functions/sequencer/report.ts) and the report-delivery
 * function the report metrics, and the province stack's alarms read them (infra/constructs/alarms.ts).
 * Renaming one here renames both sides together.
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

/** Error reports and their deadlines (docs/protocol.md §17.3). */
export const REPORTS_METRICS_NAMESPACE = 'ELG/Reports';

/** The error reports' metrics, emitted by every report-delivery round, dimension `Province`. */
export const ReportMetric = {
  /** Open error reports whose whole due day (China Standard Time) has passed. */
  overdue: 'ReportsOverdue',
} as const;
export type ReportMetric = (typeof ReportMetric)[keyof typeof ReportMetric];

/** The dimension every gateway metric carries. */
export const PROVINCE_DIMENSION = 'Province';
