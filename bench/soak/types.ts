import type { Federation } from '../../federation/federation.ts';

/** What a soak run takes and what it reports: the operations in the mix, the options, the summary. */

/** Each kind of request in the mix, with the one answer it should get. */
export const OPERATIONS = {
  issue: { label: 'issue in 310000', expect: '201' },
  verifyOwn: { label: 'verify in 310000 (own credential)', expect: '200 valid' },
  verifyAlliance: { label: 'verify in 330000 (Shanghai license, alliance)', expect: '200 valid' },
  verifyNoAgreement: {
    label: 'verify in 510000 (Shanghai license, no agreement)',
    expect: '200 unverified AGREEMENT_REQUIRED',
  },
  statusRead: { label: 'status read in 310000 (platform)', expect: '200' },
  auditQuery: { label: 'auditor query in 310000', expect: '200' },
  badToken: { label: 'bad bearer token (verify in 310000)', expect: '401 UNAUTHENTICATED' },
  badBody: { label: 'bad body (issue in 310000)', expect: '400 INVALID_REQUEST' },
} as const;
export type Operation = keyof typeof OPERATIONS;

export interface SoakOptions {
  seconds: number;
  intervalSeconds: number;
  concurrency: number;
  /** Per request; a request still open after it counts as `timeout`. */
  timeoutMs: number;
  /** Aborting stops new requests; those in flight finish (or time out) and the summary covers them. */
  signal?: AbortSignal;
  onStarted?: (f: Federation) => void;
  onInterval?: (interval: IntervalReport) => void;
}

export interface IntervalReport {
  index: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Error answers by their `error.code`, plus `timeout` and `network`. */
  errorsByCode: Record<string, number>;
  rssMiB: number;
  heapUsedMiB: number;
}

export interface Growth {
  fromMiB: number;
  toMiB: number;
  growthMiB: number;
  growthPercent: number;
}

export interface SoakSummary {
  provinces: string[];
  concurrency: number;
  plannedSeconds: number;
  elapsedSeconds: number;
  intervalSeconds: number;
  stoppedEarly: boolean;
  intervals: IntervalReport[];
  totals: {
    requests: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    /** `201`, `200 valid`, `400 INVALID_REQUEST`, `timeout` ...: every answer, counted. */
    byAnswer: Record<string, number>;
    errorsByCode: Record<string, number>;
    serverErrors: number;
    timeouts: number;
    networkErrors: number;
    /** Answers other than the one their operation expects. */
    unexpected: number;
  };
  operations: {
    name: Operation;
    label: string;
    expect: string;
    requests: number;
    p50Ms: number;
    p99Ms: number;
    answers: Record<string, number>;
  }[];
  /** From the end of interval 1 (the start of interval 2) to the end; absent with fewer than 2 intervals. */
  rssGrowth?: Growth;
  heapGrowth?: Growth;
  /** No 5xx, no timeout, no network error. */
  ok: boolean;
}
