import { GatewayConfigSchema, settingsOf } from '../../lib/config.ts';
import { workCalendar } from '../../lib/reports/working-days.ts';
import { TABLES, tableEnvName, tableNames } from '../../lib/store/tables.ts';
import { SecretKind } from '../../lib/wiring/scope.ts';
import {
  functionName,
  HOLDER_HASH_SECRET_ENV,
  holderHashSecretName,
  KEY_PURPOSES,
  keyEnvName,
  PUBLISHED_KEYS_ENV,
} from '../names.ts';
import { environmentOf, resourceDescriber, type TemplateCheck } from './template.ts';

/**
 * Each function's environment names exactly what its catalog entry lists, read from the template:
 *
 * - ELG_TABLE_<KIND> for each table it lists, naming that table of the province, and for no other;
 * - ELG_HOLDER_HASH_SECRET_ARN, naming the province's holder-hash secret, exactly when it lists
 *   the holder-hash secret, and never the key itself (ELG_HOLDER_HASH_KEY would put it in the template);
 * - no setting but those lib/config.ts settingsOf gives its entry (no registry settings unless
 *   it lists the registry table, no identity provider unless it takes bearer tokens), and every
 *   one of those the function cannot start without;
 * - every setting the template spells out (not one CloudFormation fills in) is one the function
 *   accepts at start (lib/config.ts GatewayConfigSchema), and the report calendar
 *   (ELG_PUBLIC_HOLIDAYS, ELG_MAKEUP_WORKDAYS) is one lib/reports/working-days.ts reads;
 * - every function that dates error reports has the same deadline and calendar, so a report's
 *   due date does not depend on which function computed it;
 * - ELG_PROVINCE_ID is the province.
 *
 * The key variables (ELG_KMS_KEY_<PURPOSE>, ELG_KMS_KEYS_PREVIOUS) are checkKeys' (keys.ts).
 */
export const checkEnvironment: TemplateCheck = (template, province, _keys, catalog) => {
  const problems: string[] = [];
  const describe = resourceDescriber(template);
  const tables = tableNames(`elg-${province}`);
  const secret = `secret ${holderHashSecretName(province)}`;
  const keyVariables = new Set<string>([...KEY_PURPOSES.map(keyEnvName), PUBLISHED_KEYS_ENV]);
  /** The report calendar of each function that dates reports, as its environment spells it. */
  const calendars = new Map<string, string>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const name = String(r.Properties?.FunctionName);
    // A function the catalog does not list is checkPrivileges' to report.
    const spec = catalog.find((f) => functionName(province, f.name) === name);
    if (!spec) continue;
    const env = environmentOf(r);
    const reads = new Set<string>(settingsOf(spec));
    const readsHolderHash = (spec.secrets ?? []).includes(SecretKind.holderHash);
    const resourceVariables = new Set<string>([HOLDER_HASH_SECRET_ENV, 'ELG_HOLDER_HASH_KEY']);

    for (const def of TABLES) {
      const variable = tableEnvName(def.kind);
      resourceVariables.add(variable);
      const value = env[variable];
      const want = `table ${tables[def.kind]}`;
      if (spec.tables[def.kind] === undefined) {
        if (value !== undefined) {
          problems.push(
            `${name}: ${variable} names ${describe(value)}, a table its catalog entry does not list`,
          );
        }
      } else if (value === undefined) {
        problems.push(`${name}: lacks ${variable} naming ${want}, which its catalog entry lists`);
      } else if (describe(value) !== want) {
        problems.push(`${name}: ${variable} names ${describe(value)}, not ${want}`);
      }
    }

    const named = env[HOLDER_HASH_SECRET_ENV];
    if (!readsHolderHash) {
      if (named !== undefined) {
        problems.push(
          `${name}: ${HOLDER_HASH_SECRET_ENV} names ${describe(named)}, a secret its catalog entry does not list`,
        );
      }
    } else if (named === undefined) {
      problems.push(
        `${name}: lacks ${HOLDER_HASH_SECRET_ENV} naming ${secret}, which its catalog entry lists`,
      );
    } else if (describe(named) !== secret) {
      problems.push(`${name}: ${HOLDER_HASH_SECRET_ENV} names ${describe(named)}, not ${secret}`);
    }
    if (env.ELG_HOLDER_HASH_KEY !== undefined) {
      problems.push(`${name}: sets ELG_HOLDER_HASH_KEY, so the holder-hash key itself is in the template`);
    }

    for (const variable of Object.keys(env)) {
      if (keyVariables.has(variable) || resourceVariables.has(variable)) continue;
      if (!reads.has(variable)) {
        problems.push(`${name}: sets ${variable}, a setting its catalog entry does not give it`);
      }
    }
    for (const variable of reads) {
      if (keyVariables.has(variable) || resourceVariables.has(variable)) continue;
      const schema = GatewayConfigSchema.shape[variable as keyof typeof GatewayConfigSchema.shape];
      if (env[variable] === undefined && !schema.safeParse(undefined).success) {
        problems.push(`${name}: lacks ${variable}, a setting it reads and cannot start without`);
      }
    }
    for (const [variable, value] of Object.entries(env)) {
      if (typeof value !== 'string' || !reads.has(variable)) continue;
      const schema = GatewayConfigSchema.shape[variable as keyof typeof GatewayConfigSchema.shape];
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const why = [...new Set(parsed.error.issues.map((i) => i.message))].join(', ');
        problems.push(`${name}: ${variable} is ${JSON.stringify(value)}, which it refuses at start (${why})`);
      }
    }
    if (spec.reportCalendar) {
      const calendar = REPORT_CALENDAR.map((v) => `${v}=${typeof env[v] === 'string' ? env[v] : ''}`);
      calendars.set(name, calendar.join(' '));
      try {
        workCalendar(String(env.ELG_PUBLIC_HOLIDAYS ?? ''), String(env.ELG_MAKEUP_WORKDAYS ?? ''));
      } catch (err) {
        problems.push(
          `${name}: its report calendar is one it refuses at start (ELG_PUBLIC_HOLIDAYS, ELG_MAKEUP_WORKDAYS: ${(err as Error).message})`,
        );
      }
    }
    if (env.ELG_PROVINCE_ID !== undefined && env.ELG_PROVINCE_ID !== province) {
      problems.push(`${name}: ELG_PROVINCE_ID is ${describe(env.ELG_PROVINCE_ID)}, not ${province}`);
    }
  }
  if (new Set(calendars.values()).size > 1) {
    problems.push(
      `the functions that date error reports disagree on the calendar: ${[...calendars]
        .map(([name, calendar]) => `${name} has ${calendar}`)
        .join('; ')}`,
    );
  }
  return problems;
};

/** The settings that make a report's due date (lib/config.ts, reportCalendar). */
const REPORT_CALENDAR = [
  'ELG_REPORT_DUE_WORKING_DAYS',
  'ELG_PUBLIC_HOLIDAYS',
  'ELG_MAKEUP_WORKDAYS',
] as const;
