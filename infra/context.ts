import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { isProvinceCode, PROVINCES, type ProvinceCode, provinceOf } from '../contracts/codes/provinces.ts';
import { PublicJwkBaseSchema } from '../lib/config-jwk.ts';
import type { KeyPurpose } from './functions.ts';

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
  /** Generations of each signing key; the highest is the current one. */
  keyGenerations: Readonly<Record<KeyPurpose, number>>;
  alarmEmail?: string;
  logRetentionDays: number;
  account?: string;
  region?: string;
}

export const KEY_PURPOSES: readonly KeyPurpose[] = ['credential', 'gateway', 'audit'];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const DEFAULT_LOG_RETENTION_DAYS = 365;
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
    }),
  );

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

interface KeySpec<T> {
  schema: z.ZodType<T>;
  required: boolean;
  expected: string;
  example: string;
}

const KEYS = {
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
    keyGenerations: v.keyGenerations ?? { credential: 1, gateway: 1, audit: 1 },
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
