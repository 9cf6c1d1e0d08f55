import type { ProvinceCode } from '../../contracts/codes/provinces.ts';
import type { KeyPurpose } from '../../contracts/keys.ts';
import { GatewayConfigSchema } from '../../lib/config.ts';

/**
 * The CDK context of one province's stack, read and checked at synth time. A wrong or missing
 * value stops the synth with a message naming the context key, what it expects and an example,
 * before anything is built. Values come from `-c key=value` (always strings) or from cdk.json
 * (where numbers and objects are allowed too).
 */
export interface ProvinceContext {
  province: ProvinceCode;
  /** The province's name from the GB/T 2260 list (ELG_PROVINCE_NAME). */
  provinceName: string;
  registryUrl: string;
  /** The national root P-256 public JWK, as compact JSON of kty, crv, x, y. */
  registryRootJwk: string;
  idpIssuer: string;
  idpAudience: string;
  idpJwksUrl: string;
  /**
   * Generations of each signing key, 1 to N, all kept in the stack. The highest signs, unless its
   * purpose is staged (then the one before it signs); see keyPlans.
   */
  keyGenerations: Readonly<Record<KeyPurpose, number>>;
  /** Purposes whose newest generation is published but does not sign yet. */
  stagedKeys: readonly KeyPurpose[];
  /** Generations neither published nor readable any more, by purpose, ascending; still in the stack. */
  retiredKeys: Readonly<Record<KeyPurpose, readonly number[]>>;
  /**
   * Working days an issuing department has to answer an error report (docs/protocol.md §17.3):
   * ELG_REPORT_DUE_WORKING_DAYS of the functions that date reports.
   */
  reportDueWorkingDays: number;
  /** Public holidays, `YYYY-MM-DD`, ascending, each once: ELG_PUBLIC_HOLIDAYS. */
  publicHolidays: readonly string[];
  /** Saturdays and Sundays made working days (调休), `YYYY-MM-DD`, ascending: ELG_MAKEUP_WORKDAYS. */
  makeupWorkdays: readonly string[];
  alarmEmail?: string;
  logRetentionDays: number;
  account?: string;
  region?: string;
}

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const DEFAULT_LOG_RETENTION_DAYS = 365;
/** The deadline a function applies when its ELG_REPORT_DUE_WORKING_DAYS is not set (lib/config.ts). */
export const DEFAULT_REPORT_DUE_WORKING_DAYS: number =
  GatewayConfigSchema.shape.ELG_REPORT_DUE_WORKING_DAYS.parse(undefined);
/**
 * The most dates each calendar list may hold: with both lists full, the environment of a
 * function that dates reports stays well within Lambda's 4 KB (test/infra/province-stack.test.ts).
 * About four years of holidays; deadlines are computed when a report arrives, so past years can go.
 */
export const MAX_CALENDAR_DATES = 100;
export const MAX_KEY_GENERATIONS = 20;

export class ContextError extends Error {
  override name = 'ContextError';
  constructor(readonly issues: readonly ContextIssue[]) {
    super(
      `the province stack's CDK context is missing or wrong:\n${issues
        .map((i) => `  - ${i.key}: ${i.problem}; expected ${i.expected}. Example: -c ${i.example}`)
        .join('\n')}`,
    );
  }
}

export interface ContextIssue {
  key: string;
  problem: string;
  expected: string;
  example: string;
}
