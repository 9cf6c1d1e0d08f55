import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import {
  AUDIT_METRICS_NAMESPACE,
  BreakerMetric,
  CosigningMetric,
  PROVINCE_DIMENSION,
  REPORTS_METRICS_NAMESPACE,
  REVIEWS_METRICS_NAMESPACE,
  ReportMetric,
  SequencerMetric,
  WITNESS_METRICS_NAMESPACE,
  WitnessMetric,
} from '../../lib/metrics/names.ts';
import { alarmTopicName } from '../names.ts';

/**
 * The province's alarms, all to the SNS topic `elg-<p>-alarms` (mailed to context `alarmEmail`
 * when given), each raising and clearing: errors and throttles of each function (made by
 * GatewayFunction), 5xx of the API, the age of the oldest audit event the sequencer has not
 * integrated, error reports past their due date, a calling province's breaker tripping and
 * breakers left open (the metrics lib/metrics/names.ts declares, emitted by the sequencer, the
 * report-delivery function, the interop function and the review-delivery function). Built directly
 * in `scope`, so the logical ids are the stack's own.
 */

/** The custom metric the sequencer emits (CloudWatch EMF): age of the oldest waiting event. */
export const SEQUENCER_LAG_METRIC = {
  namespace: AUDIT_METRICS_NAMESPACE,
  metricName: SequencerMetric.oldestPendingAge,
  thresholdSeconds: 300,
  periods: 3,
} as const;

/**
 * The custom metric every report-delivery round emits (CloudWatch EMF): open error reports whose
 * whole due day has passed (docs/protocol.md §17.3). Any overdue report raises the alarm, which
 * stays raised until none is left; an hour's window because deadlines are days, and a round that
 * failed to count is the report-delivery function's own errors alarm.
 */
export const REPORTS_OVERDUE_METRIC = {
  namespace: REPORTS_METRICS_NAMESPACE,
  metricName: ReportMetric.overdue,
  periodMinutes: 60,
  threshold: 0,
} as const;

/**
 * A calling province's breaker tripped (docs/protocol.md §18.4): the interop instance whose trip
 * was stored publishes BreakerTrips 1. Any trip in 5 minutes raises `elg-<p>-breaker-tripped`,
 * which clears once 5 minutes pass without one; no trip is no data, which is fine.
 */
export const BREAKER_TRIPPED_ALARM = {
  alarm: 'breaker-tripped',
  namespace: REVIEWS_METRICS_NAMESPACE,
  metricName: BreakerMetric.trips,
  statistic: 'Sum',
  periodMinutes: 5,
  threshold: 0,
} as const;

/**
 * Breakers left open (the gauge BreakersOpen every review-delivery run publishes): raised while
 * any calling province stays cut off, until an operator releases it (POST /v1/breakers/{peer}/
 * release). Missing data is not breaching: a review-delivery function that stopped running is its
 * own errors alarm's.
 */
export const BREAKERS_OPEN_ALARM = {
  alarm: 'breakers-open',
  namespace: REVIEWS_METRICS_NAMESPACE,
  metricName: BreakerMetric.open,
  statistic: 'Maximum',
  periodMinutes: 15,
  threshold: 0,
} as const;

/**
 * Split-view evidence (docs/protocol.md §19.3): the witness function publishes SplitViewEvidence 1
 * for each record it newly keeps, proof that a log's province signed two histories. Any in 5
 * minutes raises `elg-<p>-split-view`; no evidence is no data, which is fine.
 */
export const SPLIT_VIEW_ALARM = {
  alarm: 'split-view',
  namespace: WITNESS_METRICS_NAMESPACE,
  metricName: WitnessMetric.splitViewEvidence,
  statistic: 'Sum',
  periodMinutes: 5,
  threshold: 0,
} as const;

/**
 * The newest checkpoint of the province's log lacks its witness quorum (docs/protocol.md §19.4):
 * the sequencer publishes WitnessQuorumMissing 1 after each run while it does. Every run of 5
 * minutes running seeing it missing raises `elg-<p>-log-unwitnessed` (the sequencer retries
 * every run meanwhile); no data (a log without a witness policy) is fine, and a sequencer that
 * stopped reporting is the sequencer lag alarm's.
 */
export const LOG_UNWITNESSED_ALARM = {
  alarm: 'log-unwitnessed',
  namespace: WITNESS_METRICS_NAMESPACE,
  metricName: CosigningMetric.quorumMissing,
  statistic: 'Minimum',
  periodMinutes: 1,
  periods: 5,
  threshold: 0,
} as const;

/** `elg-<p>-<alarm>`: the physical name of one of the alarms above. */
export const alarmName = (province: string, alarm: string) => `elg-${province}-${alarm}`;

/** The window of the function and API alarms. */
export const FIVE_MINUTES_SUM = { period: Duration.minutes(5), statistic: 'Sum' } as const;

export interface AlarmOptions {
  threshold?: number;
  periods?: number;
  missing?: TreatMissingData;
}

export class ProvinceAlarms {
  readonly topic: Topic;
  private readonly action: SnsAction;

  constructor(
    private readonly scope: Construct,
    province: string,
    alarmEmail?: string,
  ) {
    this.topic = new Topic(scope, 'Alarms', {
      topicName: alarmTopicName(province),
      displayName: `E-license gateway ${province} alarms`,
    });
    if (alarmEmail) this.topic.addSubscription(new EmailSubscription(alarmEmail));
    this.action = new SnsAction(this.topic);
  }

  /** Raised above `threshold` (0) for `periods` (1) periods running; missing data is fine unless told. */
  alarm(id: string, name: string, metric: IMetric, description: string, options: AlarmOptions = {}): Alarm {
    const a = new Alarm(this.scope, id, {
      alarmName: name,
      alarmDescription: description,
      metric,
      threshold: options.threshold ?? 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.periods ?? 1,
      datapointsToAlarm: options.periods ?? 1,
      treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
    });
    a.addAlarmAction(this.action);
    a.addOkAction(this.action);
    return a;
  }

  /** 5xx answers of the API's stage. */
  apiServerErrors(province: string, stage: HttpStage): Alarm {
    return this.alarm(
      'Api5xx',
      `elg-${province}-api-5xx`,
      stage.metricServerError(FIVE_MINUTES_SUM),
      `The gateway API of province ${province} answered 5xx in the last 5 minutes`,
    );
  }

  /** Audit events waiting too long for the sequencer, or a sequencer that reports nothing. */
  sequencerLag(province: string): Alarm {
    return this.alarm(
      'SequencerLag',
      `elg-${province}-audit-sequencer-lag`,
      new Metric({
        namespace: SEQUENCER_LAG_METRIC.namespace,
        metricName: SEQUENCER_LAG_METRIC.metricName,
        dimensionsMap: { [PROVINCE_DIMENSION]: province },
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      `Audit events of province ${province} have waited more than ${SEQUENCER_LAG_METRIC.thresholdSeconds} s ` +
        'for the sequencer, or the sequencer reports nothing',
      {
        threshold: SEQUENCER_LAG_METRIC.thresholdSeconds,
        periods: SEQUENCER_LAG_METRIC.periods,
        // A silent sequencer is a problem too.
        missing: TreatMissingData.BREACHING,
      },
    );
  }

  /** Error reports still open after their due day: the issuing department is late to answer. */
  reportsOverdue(province: string): Alarm {
    return this.alarm(
      'ReportsOverdue',
      `elg-${province}-reports-overdue`,
      new Metric({
        namespace: REPORTS_OVERDUE_METRIC.namespace,
        metricName: REPORTS_OVERDUE_METRIC.metricName,
        dimensionsMap: { [PROVINCE_DIMENSION]: province },
        period: Duration.minutes(REPORTS_OVERDUE_METRIC.periodMinutes),
        statistic: 'Maximum',
      }),
      `Error reports of province ${province} are open past their due date (GET /v1/reports?state=overdue)`,
      {
        threshold: REPORTS_OVERDUE_METRIC.threshold,
        // No count is no news: a report-delivery function that stopped running is its errors alarm's.
        missing: TreatMissingData.NOT_BREACHING,
      },
    );
  }

  /** A calling province's breaker tripped in the last 5 minutes (BreakerTrips, from interop). */
  breakerTripped(province: string): Alarm {
    const a = BREAKER_TRIPPED_ALARM;
    return this.alarm(
      'BreakerTripped',
      alarmName(province, a.alarm),
      provinceMetric(province, a),
      `A calling province's breaker tripped at province ${province} in the last ${a.periodMinutes} minutes: ` +
        'its verifications are refused or held until an operator releases it (GET /v1/breakers)',
      { threshold: a.threshold, missing: TreatMissingData.NOT_BREACHING },
    );
  }

  /** Calling provinces' breakers still open (BreakersOpen, from every review-delivery run). */
  breakersOpen(province: string): Alarm {
    const a = BREAKERS_OPEN_ALARM;
    return this.alarm(
      'BreakersOpen',
      alarmName(province, a.alarm),
      provinceMetric(province, a),
      `Breakers of calling provinces are open at province ${province} (GET /v1/breakers; ` +
        'POST /v1/breakers/{peer}/release)',
      {
        threshold: a.threshold,
        // No gauge is no news: a review-delivery function that stopped running is its errors alarm's.
        missing: TreatMissingData.NOT_BREACHING,
      },
    );
  }

  /** The newest checkpoint of the log lacking its witness quorum for 5 minutes (WitnessQuorumMissing). */
  logUnwitnessed(province: string): Alarm {
    const a = LOG_UNWITNESSED_ALARM;
    return this.alarm(
      'LogUnwitnessed',
      alarmName(province, a.alarm),
      provinceMetric(province, a),
      `The newest checkpoint of province ${province}'s audit log has lacked its witness quorum for ` +
        `${a.periods * a.periodMinutes} minutes: its witnesses are down, refuse it or answer garbage ` +
        "(the sequencer's interop.outbound events to /v1/witness/add-checkpoint say which)",
      { threshold: a.threshold, periods: a.periods, missing: TreatMissingData.NOT_BREACHING },
    );
  }

  /** Split-view evidence kept by this province's witness in the last 5 minutes (SplitViewEvidence). */
  splitView(province: string): Alarm {
    const a = SPLIT_VIEW_ALARM;
    return this.alarm(
      'SplitView',
      alarmName(province, a.alarm),
      provinceMetric(province, a),
      `Province ${province}, as witness, kept split-view evidence: a log's province signed two histories ` +
        '(GET /v1/witness/evidence; elg audit evidence)',
      { threshold: a.threshold, missing: TreatMissingData.NOT_BREACHING },
    );
  }
}

/** A metric of one province (dimension Province) as an alarm's spec names it. */
function provinceMetric(
  province: string,
  a: { namespace: string; metricName: string; periodMinutes: number; statistic: string },
): Metric {
  return new Metric({
    namespace: a.namespace,
    metricName: a.metricName,
    dimensionsMap: { [PROVINCE_DIMENSION]: province },
    period: Duration.minutes(a.periodMinutes),
    statistic: a.statistic,
  });
}
