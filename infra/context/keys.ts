import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { isProvinceCode, type ProvinceCode, provinceOf } from '../../contracts/codes/provinces.ts';
import type { KeyPurpose } from '../../contracts/keys.ts';
import { PublicJwkBaseSchema } from '../../lib/config-jwk.ts';
import { isWorkingDay, NO_HOLIDAYS, workCalendar } from '../../lib/reports/working-days.ts';
import { KEY_PURPOSES } from '../names.ts';
import {
  DEFAULT_LOG_RETENTION_DAYS,
  DEFAULT_REPORT_DUE_WORKING_DAYS,
  LOG_RETENTION_DAYS,
  MAX_CALENDAR_DATES,
  MAX_KEY_GENERATIONS,
} from './model.ts';

/**
 * The context keys of a province's stack: for each, the schema its value must pass (a `-c` string
 * or a cdk.json value), whether it is required, and the expectation and example an error names.
 */

/** Text of a context value as given: numbers from cdk.json become their digits. */
const text = z.union([z.string(), z.number().transform(String)]).transform((s) => s.trim());

const httpsUrl = text.pipe(
  z.url({ protocol: /^https$/, error: 'not an https URL' }).refine((u) => !/\s/.test(u), 'not an https URL'),
);

/** JSON text from `-c`, or the object itself from cdk.json. */
const jsonOrObject = z.unknown().transform((v, ctx) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

const rootJwk = jsonOrObject.pipe(PublicJwkBaseSchema).transform((jwk, ctx) => {
  try {
    // The coordinates must be a point on P-256, not merely 43 base64url characters.
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a point on P-256' });
    return z.NEVER;
  }
  return JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });
});

const generation = z.coerce.number().int().min(1).max(MAX_KEY_GENERATIONS);

/** `credential=2,audit=3` from `-c`, or `{"credential": 2}` from cdk.json. */
const keyGenerations = z
  .unknown()
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    const out: Record<string, number> = {};
    for (const part of v.split(',').map((p) => p.trim())) {
      const m = /^([a-z]+)=(\d+)$/.exec(part);
      if (!m?.[1] || !m[2]) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not purpose=generation` });
        return z.NEVER;
      }
      if (Object.hasOwn(out, m[1])) {
        ctx.addIssue({ code: 'custom', message: `${m[1]} is given twice` });
        return z.NEVER;
      }
      out[m[1]] = Number(m[2]);
    }
    return out;
  })
  .pipe(
    z.strictObject({
      credential: generation.default(1),
      gateway: generation.default(1),
      audit: generation.default(1),
      witness: generation.default(1),
    }),
  );

const isPurpose = (s: unknown): s is KeyPurpose => (KEY_PURPOSES as readonly unknown[]).includes(s);
const PURPOSE_LIST = KEY_PURPOSES.join(', ');

/** `gateway` or `credential,gateway` from `-c`, or `["gateway"]` from cdk.json. */
const stagedKeys = z.unknown().transform((v, ctx): KeyPurpose[] => {
  const parts: unknown[] | undefined =
    typeof v === 'string' ? v.split(',').map((p) => p.trim()) : Array.isArray(v) ? v : undefined;
  if (!parts) {
    ctx.addIssue({ code: 'custom', message: 'not a list of purposes' });
    return z.NEVER;
  }
  const out: KeyPurpose[] = [];
  for (const part of parts) {
    if (!isPurpose(part)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(part)} is not a purpose (${PURPOSE_LIST})` });
      return z.NEVER;
    }
    if (out.includes(part)) {
      ctx.addIssue({ code: 'custom', message: `${part} is given twice` });
      return z.NEVER;
    }
    out.push(part);
  }
  return out;
});

/**
 * `credential=1,gateway=1-2` from `-c`: each entry one generation or an inclusive range, a purpose
 * may come back with other generations. From cdk.json also `{"credential": 1, "gateway": [1, 2]}`.
 */
const retiredKeys = z.unknown().transform((v, ctx): Record<KeyPurpose, number[]> => {
  let parts: string[];
  if (typeof v === 'string') parts = v.split(',').map((p) => p.trim());
  else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    parts = Object.entries(v).flatMap(([purpose, g]) =>
      (Array.isArray(g) ? g : [g]).map((x) => `${purpose}=${String(x).trim()}`),
    );
  } else {
    ctx.addIssue({ code: 'custom', message: 'not purpose=generation entries' });
    return z.NEVER;
  }
  const out: Record<KeyPurpose, number[]> = { credential: [], gateway: [], audit: [], witness: [] };
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  for (const part of parts) {
    const m = /^([a-z]+)=(\d+)(?:-(\d+))?$/.exec(part);
    if (!m?.[1] || !m[2]) return fail(`"${part}" is not purpose=generation nor purpose=first-last`);
    const purpose = m[1];
    if (!isPurpose(purpose)) return fail(`unknown purpose ${purpose}`);
    const first = Number(m[2]);
    const last = Number(m[3] ?? m[2]);
    if (first < 1 || last > MAX_KEY_GENERATIONS) {
      return fail(`"${part}": generations run from 1 to ${MAX_KEY_GENERATIONS}`);
    }
    if (last < first) return fail(`"${part}": the range runs backwards`);
    for (let g = first; g <= last; g++) {
      if (out[purpose].includes(g)) return fail(`${purpose} generation ${g} is given twice`);
      out[purpose].push(g);
    }
  }
  for (const k of KEY_PURPOSES) out[k].sort((a, b) => a - b);
  return out;
});

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * `2025-10-01,2025-10-02` from `-c`, or `["2025-10-01", "2025-10-02"]` from cdk.json: dates of the
 * report calendar, each checked as the functions check it at start (lib/reports/working-days.ts
 * workCalendar), then ascending and each once. Working days made of weekend days must be
 * Saturdays or Sundays: a weekday there is a list mixed up with the other.
 */
const calendarDates = (list: 'holidays' | 'workdays') =>
  z.unknown().transform((v, ctx): string[] => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    const parts: unknown[] | undefined =
      typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : undefined;
    if (!parts || parts.some((p) => typeof p !== 'string')) return fail('not a list of dates YYYY-MM-DD');
    const dates = (parts as string[]).map((d) => d.trim()).filter((d) => d !== '');
    // workCalendar refuses these with a RangeError that names no date.
    const impossible = dates.find((d) => Number.isNaN(Date.parse(`${d}T00:00:00Z`)));
    if (impossible) {
      return fail(
        `${list === 'holidays' ? 'holidays' : 'working days'}: ${impossible} is not a date YYYY-MM-DD`,
      );
    }
    try {
      if (list === 'holidays') workCalendar(dates.join(','), '');
      else workCalendar('', dates.join(','));
    } catch (err) {
      return fail((err as Error).message);
    }
    if (list === 'workdays') {
      const weekday = dates.find((d) => isWorkingDay(d, NO_HOLIDAYS));
      if (weekday) {
        const day = WEEKDAYS[new Date(`${weekday}T00:00:00Z`).getUTCDay()];
        return fail(
          `${weekday} is a ${day}, a working day already: only Saturdays and Sundays are made working days`,
        );
      }
    }
    const unique = [...new Set(dates)].sort();
    if (unique.length > MAX_CALENDAR_DATES) {
      return fail(
        `${unique.length} dates, more than ${MAX_CALENDAR_DATES} (the function's environment is 4 KB): drop the past years`,
      );
    }
    return unique;
  });

/** A province's own code; a city or county code, or an unassigned one, is refused with its reason. */
const provinceCode = text.transform((code, ctx): ProvinceCode => {
  if (isProvinceCode(code)) return code;
  const containing = provinceOf(code);
  ctx.addIssue({
    code: 'custom',
    message: !/^\d{6}$/.test(code)
      ? 'not a 6-digit code'
      : containing
        ? `a city or county code within province ${containing}, not a province's own code`
        : 'no province has this code',
  });
  return z.NEVER;
});

export interface KeySpec<T> {
  schema: z.ZodType<T>;
  required: boolean;
  expected: string;
  example: string;
}

export const KEYS = {
  province: {
    schema: provinceCode,
    required: true,
    expected:
      'one of the 34 province-level GB/T 2260 codes (the code of the province itself, PP0000, such as ' +
      '310000 or 330000; not a city or county code, and not an unassigned code)',
    example: 'province=330000',
  },
  registryUrl: {
    schema: httpsUrl,
    required: true,
    expected: 'the https URL of the signed national trust registry',
    example: 'registryUrl=https://registry.elicense.gov.cn/registry.jws',
  },
  registryRootJwk: {
    schema: rootJwk,
    required: true,
    expected: 'the national root public key as JSON of a P-256 JWK with kty, crv, x and y',
    example: `registryRootJwk='{"kty":"EC","crv":"P-256","x":"<43 base64url characters>","y":"<43 base64url characters>"}'`,
  },
  idpIssuer: {
    schema: text.pipe(z.string().min(1, 'empty')),
    required: true,
    expected: "the issuer (iss) of the province identity provider's bearer tokens",
    example: 'idpIssuer=https://idp.zj.gov.cn',
  },
  idpAudience: {
    schema: text.pipe(z.string().min(1, 'empty')),
    required: true,
    expected: "the audience (aud) the identity provider's tokens carry for this gateway",
    example: 'idpAudience=elg-330000',
  },
  idpJwksUrl: {
    schema: httpsUrl,
    required: true,
    expected: "the https URL of the identity provider's JWKS",
    example: 'idpJwksUrl=https://idp.zj.gov.cn/.well-known/jwks.json',
  },
  keyGenerations: {
    schema: keyGenerations,
    required: false,
    expected: `purpose=generation pairs, comma-separated, for the purposes credential, gateway and audit, each 1 to ${MAX_KEY_GENERATIONS} (1 when not given)`,
    example: 'keyGenerations=credential=2,audit=3',
  },
  stagedKeys: {
    schema: stagedKeys,
    required: false,
    expected:
      `purposes, comma-separated (${PURPOSE_LIST}), whose newest generation is published but does ` +
      'not sign yet while the one before it keeps signing; such a purpose needs at least 2 key generations',
    example: 'stagedKeys=gateway -c keyGenerations=gateway=2',
  },
  retiredKeys: {
    schema: retiredKeys,
    required: false,
    expected:
      'key generations to stop publishing (kept in the stack), comma-separated purpose=generation or ' +
      'purpose=first-last entries; never the generation that signs, a staged one or one beyond keyGenerations',
    example: 'retiredKeys=credential=1,gateway=1-2 -c keyGenerations=credential=2,gateway=3',
  },
  reportDueWorkingDays: {
    // The bounds of ELG_REPORT_DUE_WORKING_DAYS (lib/config.ts), with messages of their own.
    schema: text
      .pipe(z.string().regex(/^\d+$/, 'not a whole number'))
      .transform(Number)
      .pipe(z.number().min(1, 'fewer than 1').max(60, 'more than 60')),
    required: false,
    expected: `the working days an issuing department has to answer an error report, a whole number from 1 to 60 (${DEFAULT_REPORT_DUE_WORKING_DAYS} when not given)`,
    example: 'reportDueWorkingDays=5',
  },
  publicHolidays: {
    schema: calendarDates('holidays'),
    required: false,
    expected:
      'the public holidays on which report deadlines do not run, as the State Council publishes them each ' +
      `year: dates YYYY-MM-DD, comma-separated (a list in cdk.json), at most ${MAX_CALENDAR_DATES}; ` +
      'none when not given, so every Monday to Friday is a working day',
    example: 'publicHolidays=2025-10-01,2025-10-02,2025-10-03,2025-10-06,2025-10-07,2025-10-08',
  },
  makeupWorkdays: {
    schema: calendarDates('workdays'),
    required: false,
    expected:
      'the Saturdays and Sundays made working days (调休), on which report deadlines run: dates YYYY-MM-DD, ' +
      `comma-separated (a list in cdk.json), at most ${MAX_CALENDAR_DATES}, none a public holiday too; none when not given`,
    example: 'makeupWorkdays=2025-09-28,2025-10-11',
  },
  alarmEmail: {
    schema: text.pipe(z.email('not an email address')),
    required: false,
    expected: 'an email address to subscribe to the alarm topic',
    example: 'alarmEmail=ops@zj.gov.cn',
  },
  logRetentionDays: {
    schema: z.coerce
      .number()
      .refine(
        (n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n),
        'not a retention CloudWatch Logs accepts',
      ),
    required: false,
    expected: `a retention CloudWatch Logs accepts, in days: ${LOG_RETENTION_DAYS.join(', ')} (${DEFAULT_LOG_RETENTION_DAYS} when not given)`,
    example: 'logRetentionDays=731',
  },
  account: {
    schema: text.pipe(z.string().regex(/^\d{12}$/, 'not a 12-digit account id')),
    required: false,
    expected: 'the 12-digit AWS account id to deploy to (an environment-agnostic stack when not given)',
    example: 'account=123456789012',
  },
  region: {
    schema: text.pipe(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'not a region name')),
    required: false,
    expected: 'an AWS region name (an environment-agnostic stack when not given)',
    example: 'region=cn-north-1',
  },
} as const satisfies Record<string, KeySpec<unknown>>;

export type ContextKey = keyof typeof KEYS;
export const CONTEXT_KEYS = Object.keys(KEYS) as ContextKey[];
