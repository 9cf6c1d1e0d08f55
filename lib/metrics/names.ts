/**
 * CloudWatch metric names the gateway emits and the deployment alarms on, declared once: the
 * sequencer publishes the audit metrics (functions/sequencer/report.ts) and the report-delivery
 * function the report metrics, the breaker gate (lib/interop/breakers.ts) the breaker metrics, and the
 * province stack's alarms read them (infra/constructs/alarms.ts).
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

/** Manual review and circuit breakers (docs/protocol.md §18.4). */
export const REVIEWS_METRICS_NAMESPACE = 'ELG/Reviews';

/** The breakers' metrics, dimension `Province` (the granting province); the stack alarms on a trip. */
export const BreakerMetric = {
  /** A calling province's breaker tripped (published by the instance whose trip was stored). */
  trips: 'BreakerTrips',
  /** An operator released a calling province's breaker. */
  releases: 'BreakerReleases',
  /** How many calling provinces' breakers are open (a gauge). */
  open: 'BreakersOpen',
} as const;
export type BreakerMetric = (typeof BreakerMetric)[keyof typeof BreakerMetric];

/** Held requests' metrics (docs/protocol.md §18), namespace ELG/Reviews, dimension `Province`. */
export const ReviewMetric = {
  /** An inbound verification was held for a person to decide. */
  held: 'ReviewsHeld',
  /** A reviewer's decision (approve or reject) was stored. */
  decisions: 'ReviewDecisions',
  /** A held request expired undecided. */
  expired: 'ReviewsExpired',
} as const;
export type ReviewMetric = (typeof ReviewMetric)[keyof typeof ReviewMetric];

/** The dimension every gateway metric carries. */
export const PROVINCE_DIMENSION = 'Province';

/** Witnessing (docs/protocol.md §19): what this province sees as a witness of other provinces' logs. */
export const WITNESS_METRICS_NAMESPACE = 'ELG/Witness';

/** The witness's metrics, dimension `Province` (the witnessing province); the stack alarms on evidence. */
export const WitnessMetric = {
  /** Split-view evidence was kept against a log (a fork, a root mismatch or a rollback, §19.3). */
  splitViewEvidence: 'SplitViewEvidence',
} as const;

/**
 * The log side of witnessing (docs/protocol.md §19.4), published by the sequencer after each run,
 * namespace ELG/Witness, dimension `Province` (the log's province); only for a log the registry
 * names witnesses for.
 */
export const CosigningMetric = {
  /** Verified cosignatures of this province's checkpoints the run collected and stored. */
  collected: 'CosignaturesCollected',
  /** Witness answers refused as not a cosignature of the checkpoint by the witness's key. */
  invalid: 'CosignaturesInvalid',
  /** 1 while the newest checkpoint lacks its witness quorum, else 0 (a gauge). */
  quorumMissing: 'WitnessQuorumMissing',
} as const;
export type CosigningMetric = (typeof CosigningMetric)[keyof typeof CosigningMetric];
export type WitnessMetric = (typeof WitnessMetric)[keyof typeof WitnessMetric];
