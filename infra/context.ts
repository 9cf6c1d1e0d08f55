import type { z } from 'zod';
import { PROVINCES, type ProvinceCode } from '../contracts/codes/provinces.ts';
import type { KeyPurpose } from '../contracts/keys.ts';
import { workCalendar } from '../lib/reports/working-days.ts';
import { keyPlanIssues, NONE_RETIRED, ONE_GENERATION } from './context/key-plans.ts';
import { CONTEXT_KEYS, type ContextKey, KEYS, type KeySpec } from './context/keys.ts';
import {
  ContextError,
  type ContextIssue,
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_REPORT_DUE_WORKING_DAYS,
  type ProvinceContext,
} from './context/model.ts';

export { type KeyContext, type KeyPlan, type KeyPlans, keyPlans } from './context/key-plans.ts';
/**
 * Reading the CDK context of one province's stack: the context's shape and errors are
 * infra/context/model.ts, what each key accepts infra/context/keys.ts, and the key generations
 * it plans infra/context/key-plans.ts.
 */
export { CONTEXT_KEYS, type ContextKey } from './context/keys.ts';
export {
  ContextError,
  type ContextIssue,
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_REPORT_DUE_WORKING_DAYS,
  LOG_RETENTION_DAYS,
  MAX_CALENDAR_DATES,
  MAX_KEY_GENERATIONS,
  type ProvinceContext,
} from './context/model.ts';
export { KEY_PURPOSES } from './names.ts';

/**
 * Reads and checks every context key through `get` (e.g. `key => app.node.tryGetContext(key)`).
 * All problems are reported at once, each naming its key.
 */
export function readProvinceContext(get: (key: string) => unknown): ProvinceContext {
  const issues: ContextIssue[] = [];
  const values: Partial<Record<ContextKey, unknown>> = {};
  for (const key of CONTEXT_KEYS) {
    const spec: KeySpec<unknown> = KEYS[key];
    const raw = get(key);
    const { expected, example } = spec;
    if (raw === undefined || raw === null || raw === '') {
      if (spec.required) issues.push({ key, problem: 'missing', expected, example });
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const why = [...new Set(parsed.error.issues.map(reason))].join(', ');
      issues.push({ key, problem: `got ${shown(raw)} (${why})`, expected, example });
      continue;
    }
    values[key] = parsed.data;
  }
  const keyed = ['keyGenerations', 'stagedKeys', 'retiredKeys'];
  if (!issues.some((i) => keyed.includes(i.key))) {
    issues.push(
      ...keyPlanIssues({
        keyGenerations: (values.keyGenerations as ProvinceContext['keyGenerations']) ?? ONE_GENERATION,
        stagedKeys: (values.stagedKeys as KeyPurpose[] | undefined) ?? [],
        retiredKeys: (values.retiredKeys as ProvinceContext['retiredKeys']) ?? NONE_RETIRED,
      }),
    );
  }
  const holidays = values.publicHolidays as string[] | undefined;
  const workdays = values.makeupWorkdays as string[] | undefined;
  if (holidays && workdays) {
    // The two lists together, as the functions read them at start.
    try {
      workCalendar(holidays.join(','), workdays.join(','));
    } catch (err) {
      const { expected, example } = KEYS.makeupWorkdays;
      issues.push({
        key: 'makeupWorkdays',
        problem: `${(err as Error).message} (publicHolidays)`,
        expected,
        example,
      });
    }
  }
  if (issues.length > 0) throw new ContextError(issues);
  const v = values as {
    [K in ContextKey]: z.output<(typeof KEYS)[K]['schema']> | undefined;
  };
  const province = v.province as ProvinceCode;
  return {
    province,
    provinceName: PROVINCES[province].full,
    registryUrl: v.registryUrl as string,
    registryRootJwk: v.registryRootJwk as string,
    idpIssuer: v.idpIssuer as string,
    idpAudience: v.idpAudience as string,
    idpJwksUrl: v.idpJwksUrl as string,
    keyGenerations: v.keyGenerations ?? ONE_GENERATION,
    stagedKeys: v.stagedKeys ?? [],
    retiredKeys: v.retiredKeys ?? NONE_RETIRED,
    reportDueWorkingDays: v.reportDueWorkingDays ?? DEFAULT_REPORT_DUE_WORKING_DAYS,
    publicHolidays: v.publicHolidays ?? [],
    makeupWorkdays: v.makeupWorkdays ?? [],
    logRetentionDays: v.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS,
    ...(v.alarmEmail ? { alarmEmail: v.alarmEmail } : {}),
    ...(v.account ? { account: v.account } : {}),
    ...(v.region ? { region: v.region } : {}),
  };
}

function reason(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  if (issue.code === 'unrecognized_keys') return `unknown purpose ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_value') return `${where}not one of the accepted values`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}missing`;
  return `${where}${issue.message}`;
}

function shown(raw: unknown): string {
  const s = typeof raw === 'string' ? raw : JSON.stringify(raw);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}
