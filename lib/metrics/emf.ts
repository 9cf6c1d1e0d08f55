/**
 * CloudWatch metrics as Embedded Metric Format: one JSON line on stdout per flush, which the
 * Lambda log pipeline turns into metrics without a PutMetricData call (or its permission).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const MetricUnit = {
  Seconds: 'Seconds',
  Count: 'Count',
} as const;
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface Metric {
  name: string;
  unit: MetricUnit;
  value: number;
}

export interface MetricSet {
  namespace: string;
  /** Every metric of the set carries exactly these dimensions (one dimension set). */
  dimensions: Readonly<Record<string, string>>;
  metrics: readonly Metric[];
  timestamp: Date;
}

const NAME = /^[A-Za-z0-9_./#:-]{1,255}$/;
const MAX_METRICS = 100;
const MAX_DIMENSIONS = 30;

/** The EMF document of a metric set; TypeError for a set CloudWatch would drop. */
export function emfDocument(set: MetricSet): Record<string, unknown> {
  const dimensionNames = Object.keys(set.dimensions);
  if (!set.namespace || set.namespace.length > 255) throw new TypeError('a namespace of 1 to 255 characters');
  if (dimensionNames.length > MAX_DIMENSIONS) throw new TypeError(`at most ${MAX_DIMENSIONS} dimensions`);
  if (set.metrics.length === 0 || set.metrics.length > MAX_METRICS) {
    throw new TypeError(`1 to ${MAX_METRICS} metrics per document`);
  }
  const members: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(set.dimensions)) {
    if (!NAME.test(name) || value === '') throw new TypeError(`dimension ${JSON.stringify(name)} is invalid`);
    members[name] = value;
  }
  for (const m of set.metrics) {
    if (!NAME.test(m.name) || m.name in members)
      throw new TypeError(`metric ${JSON.stringify(m.name)} is invalid`);
    if (!Number.isFinite(m.value)) throw new TypeError(`metric ${m.name} has no finite value`);
    members[m.name] = m.value;
  }
  return {
    _aws: {
      Timestamp: set.timestamp.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: set.namespace,
          Dimensions: [dimensionNames],
          Metrics: set.metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...members,
  };
}

/**
 * Writes the set as one line on process.stdout rather than console.log, which the Lambda runtime
 * prefixes with a timestamp and request id: the line stays pure JSON whatever the log format.
 */
export function publishMetrics(
  set: MetricSet,
  write: (line: string) => void = (line) => process.stdout.write(line),
): void {
  write(`${JSON.stringify(emfDocument(set))}\n`);
}
