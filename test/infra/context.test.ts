// Over 300 lines on purpose: every context key's accepted and refused values, and the key plans, in one place.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/bundle.ts';
import {
  ContextError,
  keyPlans,
  MAX_CALENDAR_DATES,
  type ProvinceContext,
  readProvinceContext,
} from '../../infra/context.ts';
import { GatewayConfigSchema } from '../../lib/config.ts';

/** A P-256 public key; the same x with another y is off the curve. */
const ROOT_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'PArBP8jLkcKpXd7Yp8dHggQDIRw3NmymBC_SnmQ3eiM',
  y: 'KjIvkkc8FeO6tOebwUywCR5OikDe28q55xvy9aFgXZ8',
};
const OFF_CURVE_Y = 'LjIvkkc8FeO6tOebwUywCR5OikDe28q55xvy9aFgXZ8';

const VALID: Record<string, unknown> = {
  province: '330000',
  registryUrl: 'https://registry.elicense.example/registry.jws',
  registryRootJwk: JSON.stringify(ROOT_JWK),
  idpIssuer: 'https://idp.zj.example',
  idpAudience: 'elg-330000',
  idpJwksUrl: 'https://idp.zj.example/.well-known/jwks.json',
};

function read(overrides: Record<string, unknown>): ProvinceContext {
  const values = { ...VALID, ...overrides };
  return readProvinceContext((key) => values[key]);
}

/** The ContextError a context raises; fails the test when it is accepted. */
function refusal(overrides: Record<string, unknown>): ContextError {
  try {
    read(overrides);
  } catch (err) {
    if (err instanceof ContextError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(overrides)}`);
}

describe('province context', () => {
  it('reads a complete context with the defaults of the optional keys', () => {
    const ctx = read({});
    expect(ctx).toEqual({
      province: '330000',
      provinceName: '浙江省',
      registryUrl: VALID.registryUrl,
      registryRootJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: ROOT_JWK.x, y: ROOT_JWK.y }),
      idpIssuer: VALID.idpIssuer,
      idpAudience: VALID.idpAudience,
      idpJwksUrl: VALID.idpJwksUrl,
      keyGenerations: { credential: 1, gateway: 1, audit: 1, witness: 1 },
      stagedKeys: [],
      retiredKeys: { credential: [], gateway: [], audit: [], witness: [] },
      reportDueWorkingDays: 5,
      publicHolidays: [],
      makeupWorkdays: [],
      logRetentionDays: 365,
    });
  });

  it('takes the values cdk.json may give as numbers and objects', () => {
    const ctx = read({
      province: 510000,
      registryRootJwk: { ...ROOT_JWK, kid: 'ignored' },
      keyGenerations: { gateway: 3 },
      logRetentionDays: 3653,
      alarmEmail: 'ops@sc.example',
      account: '123456789012',
      region: 'cn-northwest-1',
    });
    expect(ctx.province).toBe('510000');
    expect(ctx.provinceName).toBe('四川省');
    expect(JSON.parse(ctx.registryRootJwk)).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: ROOT_JWK.x,
      y: ROOT_JWK.y,
    });
    expect(ctx.keyGenerations).toEqual({ credential: 1, gateway: 3, audit: 1, witness: 1 });
    expect(ctx.logRetentionDays).toBe(3653);
    expect(ctx).toMatchObject({
      alarmEmail: 'ops@sc.example',
      account: '123456789012',
      region: 'cn-northwest-1',
    });
  });

  it('parses key generations given as purpose=generation pairs', () => {
    expect(read({ keyGenerations: 'credential=2' }).keyGenerations).toEqual({
      credential: 2,
      gateway: 1,
      audit: 1,
      witness: 1,
    });
    expect(read({ keyGenerations: 'credential=2,audit=3' }).keyGenerations).toEqual({
      credential: 2,
      gateway: 1,
      audit: 3,
      witness: 1,
    });
    expect(read({ keyGenerations: 'witness=2' }).keyGenerations.witness).toBe(2);
  });

  it('names a missing province, what it expects and an example', () => {
    const err = refusal({ province: undefined });
    expect(err.issues.map((i) => i.key)).toEqual(['province']);
    expect(err.message).toContain('province: missing');
    expect(err.message).toContain('expected one of the 34 province-level GB/T 2260 codes');
    expect(err.message).toContain('Example: -c province=330000');
  });

  it('refuses a city code, with the province it belongs to', () => {
    const err = refusal({ province: '330100' });
    expect(err.message).toContain('province: got "330100"');
    expect(err.message).toContain('a city or county code within province 330000');
    expect(err.message).toContain('Example: -c province=330000');
  });

  it('refuses a code no province has', () => {
    const err = refusal({ province: '990000' });
    expect(err.message).toContain('province: got "990000" (no province has this code)');
    expect(refusal({ province: '33000' }).message).toContain('not a 6-digit code');
  });

  it.each([
    ['registryUrl', 'http://registry.elicense.example/registry.jws'],
    ['registryUrl', 'registry.elicense.example'],
    ['idpJwksUrl', 'http://idp.zj.example/jwks.json'],
    ['idpJwksUrl', 'ftp://idp.zj.example/jwks.json'],
  ])('refuses %s = %s as not an https URL', (key, value) => {
    const err = refusal({ [key]: value });
    expect(err.issues.map((i) => i.key)).toEqual([key]);
    expect(err.message).toContain(`${key}: got "${value}" (not an https URL)`);
    expect(err.message).toContain(`Example: -c ${key}=https://`);
  });

  it.each([
    ['not JSON', '{kty: EC}', 'not JSON'],
    ['a missing coordinate', JSON.stringify({ kty: 'EC', crv: 'P-256', x: ROOT_JWK.x }), 'y: missing'],
    ['another curve', JSON.stringify({ ...ROOT_JWK, crv: 'P-384' }), 'crv: not one of the accepted values'],
    ['a point off the curve', JSON.stringify({ ...ROOT_JWK, y: OFF_CURVE_Y }), 'not a point on P-256'],
  ])('refuses a root JWK with %s', (_what, value, reason) => {
    const err = refusal({ registryRootJwk: value });
    expect(err.issues.map((i) => i.key)).toEqual(['registryRootJwk']);
    expect(err.message).toContain(reason);
    expect(err.message).toContain('expected the national root public key as JSON of a P-256 JWK');
    expect(err.message).toContain("Example: -c registryRootJwk='{");
  });

  it.each([
    ['credential', '"credential" is not purpose=generation'],
    ['credentials=2', 'unknown purpose credentials'],
    ['credential=0', 'credential: Too small'],
    ['audit=21', 'audit: Too big'],
    ['credential=2,credential=3', 'credential is given twice'],
  ])('refuses keyGenerations = %s', (value, reason) => {
    const err = refusal({ keyGenerations: value });
    expect(err.issues.map((i) => i.key)).toEqual(['keyGenerations']);
    expect(err.message).toContain(`keyGenerations: got "${value}"`);
    expect(err.message).toContain(reason);
    expect(err.message).toContain('Example: -c keyGenerations=credential=2,audit=3');
  });

  describe('staged and retired key generations', () => {
    it('reads staged purposes and retired generations from -c and from cdk.json', () => {
      const staged = read({ keyGenerations: 'gateway=2,audit=3', stagedKeys: ' gateway , audit ' });
      expect(staged.stagedKeys).toEqual(['gateway', 'audit']);
      expect(read({ keyGenerations: { gateway: 2 }, stagedKeys: ['gateway'] }).stagedKeys).toEqual([
        'gateway',
      ]);
      expect(
        read({
          keyGenerations: 'credential=4,gateway=3',
          retiredKeys: 'gateway=1, credential=2-3,credential=1',
        }).retiredKeys,
      ).toEqual({ credential: [1, 2, 3], gateway: [1], audit: [], witness: [] });
      expect(
        read({
          keyGenerations: { credential: 4, gateway: 3 },
          retiredKeys: { credential: '1-2', gateway: [2, 1] },
        }).retiredKeys,
      ).toEqual({ credential: [1, 2], gateway: [1, 2], audit: [], witness: [] });
    });

    it('plans which generation signs, which are published and which retired', () => {
      const plans = (overrides: Record<string, unknown>) => keyPlans(read(overrides));
      expect(plans({}).gateway).toEqual({ generations: 1, signing: 1, published: [], retired: [] });
      expect(plans({ keyGenerations: 'gateway=2', stagedKeys: 'gateway' }).gateway).toEqual({
        generations: 2,
        signing: 1,
        staged: 2,
        published: [2],
        retired: [],
      });
      expect(plans({ keyGenerations: 'gateway=2' }).gateway).toEqual({
        generations: 2,
        signing: 2,
        published: [1],
        retired: [],
      });
      const mixed = plans({
        keyGenerations: 'credential=3,gateway=4',
        stagedKeys: 'gateway',
        retiredKeys: 'gateway=1,credential=1-2',
      });
      expect(mixed.gateway).toEqual({
        generations: 4,
        signing: 3,
        staged: 4,
        published: [2, 4],
        retired: [1],
      });
      expect(mixed.credential).toEqual({ generations: 3, signing: 3, published: [], retired: [1, 2] });
      expect(mixed.audit).toEqual({ generations: 1, signing: 1, published: [], retired: [] });
    });

    it.each([
      ['gatway', '"gatway" is not a purpose (credential, gateway, audit, witness)'],
      ['gateway,', '"" is not a purpose'],
      ['gateway,gateway', 'gateway is given twice'],
      [7, 'not a list of purposes'],
    ])('refuses stagedKeys = %j', (value, reason) => {
      const err = refusal({ keyGenerations: 'gateway=2', stagedKeys: value });
      expect(err.issues.map((i) => i.key)).toEqual(['stagedKeys']);
      expect(err.message).toContain(reason);
      expect(err.message).toContain('Example: -c stagedKeys=gateway -c keyGenerations=gateway=2');
    });

    it.each([
      ['credential', '"credential" is not purpose=generation nor purpose=first-last'],
      ['credential=1;gateway=1', 'is not purpose=generation nor purpose=first-last'],
      ['credentials=1', 'unknown purpose credentials'],
      ['credential=0', '"credential=0": generations run from 1 to 20'],
      ['credential=1-21', 'generations run from 1 to 20'],
      ['credential=2-1', '"credential=2-1": the range runs backwards'],
      ['credential=1,credential=1-2', 'credential generation 1 is given twice'],
    ])('refuses retiredKeys = %s', (value, reason) => {
      const err = refusal({ keyGenerations: 'credential=3', retiredKeys: value });
      expect(err.issues.map((i) => i.key)).toEqual(['retiredKeys']);
      expect(err.message).toContain(`retiredKeys: got "${value}"`);
      expect(err.message).toContain(reason);
      expect(err.message).toContain(
        'Example: -c retiredKeys=credential=1,gateway=1-2 -c keyGenerations=credential=2,gateway=3',
      );
    });

    it('refuses to stage a purpose with a single generation, naming the deploy that would do', () => {
      const err = refusal({ stagedKeys: 'gateway' });
      expect(err.issues.map((i) => i.key)).toEqual(['stagedKeys']);
      expect(err.message).toContain(
        'stagedKeys: gateway is staged but keyGenerations gives it 1 generation, none to keep signing; ' +
          'expected purposes, comma-separated',
      );
      expect(err.message).toContain('needs at least 2 key generations');
      expect(err.message).toContain('Example: -c stagedKeys=gateway -c keyGenerations=gateway=2');
      expect(refusal({ keyGenerations: 'credential=2', stagedKeys: 'credential,audit' }).message).toContain(
        'audit is staged but keyGenerations gives it 1 generation',
      );
    });

    it.each([
      [
        'a generation beyond keyGenerations',
        { keyGenerations: 'gateway=2', retiredKeys: 'gateway=1,gateway=3' },
        'gateway generation 3 does not exist (keyGenerations gives gateway 2)',
      ],
      [
        'the newest, signing generation',
        { keyGenerations: 'credential=2', retiredKeys: 'credential=2' },
        'credential generation 2 is the one that signs (the newest): a signing key cannot be retired',
      ],
      [
        'the only generation',
        { retiredKeys: 'audit=1' },
        'audit generation 1 is the one that signs (the newest): a signing key cannot be retired',
      ],
      [
        'the generation that signs while the next is staged',
        { keyGenerations: 'gateway=2', stagedKeys: 'gateway', retiredKeys: 'gateway=1' },
        'gateway generation 1 is the one that signs (generation 2 is staged): a signing key cannot be retired',
      ],
      [
        'the staged generation',
        { keyGenerations: 'gateway=3', stagedKeys: 'gateway', retiredKeys: 'gateway=1,gateway=3' },
        'gateway generation 3 is staged (stagedKeys): a staged key cannot be retired',
      ],
    ])('refuses to retire %s', (_what, overrides, problem) => {
      const err = refusal(overrides);
      expect(err.issues.map((i) => i.key)).toEqual(['retiredKeys']);
      expect(err.message).toContain(`retiredKeys: ${problem}; expected key generations to stop publishing`);
      expect(err.message).toContain(
        'never the generation that signs, a staged one or one beyond keyGenerations',
      );
    });

    it('reports every contradiction at once, beside the other wrong keys', () => {
      const err = refusal({
        province: '330100',
        stagedKeys: 'audit',
        retiredKeys: 'credential=1,gateway=2',
      });
      expect(err.issues.map((i) => i.key)).toEqual(['province', 'stagedKeys', 'retiredKeys', 'retiredKeys']);
      expect(err.message).toContain('credential generation 1 is the one that signs');
      expect(err.message).toContain('gateway generation 2 does not exist');
    });

    it('does not compare the three keys while one of them is wrong in itself', () => {
      const err = refusal({ keyGenerations: 'gateway=0', stagedKeys: 'gateway', retiredKeys: 'gateway=1' });
      expect(err.issues.map((i) => i.key)).toEqual(['keyGenerations']);
    });

    it('refuses a context built by hand whose keys contradict each other', () => {
      const ctx = read({ keyGenerations: 'gateway=2', stagedKeys: 'gateway' });
      expect(() => keyPlans({ ...ctx, retiredKeys: { ...ctx.retiredKeys, gateway: [2] } })).toThrow(
        /retiredKeys: gateway generation 2 is staged/,
      );
      expect(() => keyPlans({ ...ctx, keyGenerations: { ...ctx.keyGenerations, gateway: 1 } })).toThrow(
        ContextError,
      );
    });
  });

  describe('report calendar (docs/protocol.md §17.3)', () => {
    it('reads the deadline and both lists from -c and from cdk.json, ascending and each date once', () => {
      const ctx = read({
        reportDueWorkingDays: '7',
        publicHolidays: ' 2025-10-08,2025-10-01, 2025-10-02,2025-10-01,',
        makeupWorkdays: '2025-10-11,2025-09-28',
      });
      expect(ctx.reportDueWorkingDays).toBe(7);
      expect(ctx.publicHolidays).toEqual(['2025-10-01', '2025-10-02', '2025-10-08']);
      expect(ctx.makeupWorkdays).toEqual(['2025-09-28', '2025-10-11']);
      const json = read({
        reportDueWorkingDays: 10,
        publicHolidays: ['2026-01-01', '2025-12-31'],
        makeupWorkdays: [],
      });
      expect(json).toMatchObject({
        reportDueWorkingDays: 10,
        publicHolidays: ['2025-12-31', '2026-01-01'],
        makeupWorkdays: [],
      });
      // A holiday on a weekend is no working day anyway: accepted, as the State Council lists it.
      expect(read({ publicHolidays: '2025-10-04' }).publicHolidays).toEqual(['2025-10-04']);
    });

    it.each([
      ['2025-10-01,2025-02-30', 'holidays: 2025-02-30 is not a date YYYY-MM-DD'],
      ['2025-13-01', 'holidays: 2025-13-01 is not a date YYYY-MM-DD'],
      ['2025/10/01', 'holidays: 2025/10/01 is not a date YYYY-MM-DD'],
      ['2025-10-01;2025-10-02', 'holidays: 2025-10-01;2025-10-02 is not a date YYYY-MM-DD'],
    ])('refuses publicHolidays = %s, naming the key and the date', (value, reason) => {
      const err = refusal({ publicHolidays: value });
      expect(err.issues.map((i) => i.key)).toEqual(['publicHolidays']);
      expect(err.message).toContain(`publicHolidays: got "${value}" (${reason})`);
      expect(err.message).toContain('expected the public holidays on which report deadlines do not run');
      expect(err.message).toContain('Example: -c publicHolidays=2025-10-01,2025-10-02');
    });

    it('refuses a list of another shape from cdk.json', () => {
      expect(refusal({ publicHolidays: [20251001] }).message).toContain(
        'publicHolidays: got "[20251001]" (not a list of dates YYYY-MM-DD)',
      );
      expect(refusal({ makeupWorkdays: { '2025-09-28': true } }).message).toContain(
        'makeupWorkdays: got "{\\"2025-09-28\\":true}" (not a list of dates YYYY-MM-DD)',
      );
    });

    it('refuses a weekend working day that is a weekday, or a bad date, naming it', () => {
      const weekday = refusal({ makeupWorkdays: '2025-09-28,2025-09-29' });
      expect(weekday.issues.map((i) => i.key)).toEqual(['makeupWorkdays']);
      expect(weekday.message).toContain(
        'makeupWorkdays: got "2025-09-28,2025-09-29" (2025-09-29 is a Monday, a working day already: only Saturdays and Sundays are made working days)',
      );
      expect(weekday.message).toContain('Example: -c makeupWorkdays=2025-09-28,2025-10-11');
      expect(refusal({ makeupWorkdays: '2025-09-31' }).message).toContain(
        'makeupWorkdays: got "2025-09-31" (working days: 2025-09-31 is not a date YYYY-MM-DD)',
      );
    });

    it('refuses a date on both lists', () => {
      const err = refusal({ publicHolidays: '2025-10-01,2025-10-04', makeupWorkdays: '2025-10-04' });
      expect(err.issues.map((i) => i.key)).toEqual(['makeupWorkdays']);
      expect(err.message).toContain(
        'makeupWorkdays: 2025-10-04 is listed both as a holiday and as a working day (publicHolidays); expected the Saturdays and Sundays',
      );
    });

    it('refuses more dates than the functions environment holds', () => {
      const days = (n: number) =>
        Array.from({ length: n }, (_, i) => new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10));
      expect(read({ publicHolidays: days(MAX_CALENDAR_DATES).join(',') }).publicHolidays).toHaveLength(
        MAX_CALENDAR_DATES,
      );
      expect(refusal({ publicHolidays: days(MAX_CALENDAR_DATES + 1) }).message).toContain(
        `(${MAX_CALENDAR_DATES + 1} dates, more than ${MAX_CALENDAR_DATES} (the function's environment is 4 KB): drop the past years)`,
      );
    });

    it.each([
      ['0', 'fewer than 1'],
      ['61', 'more than 60'],
      ['2.5', 'not a whole number'],
      ['five', 'not a whole number'],
    ])('refuses reportDueWorkingDays = %s', (value, reason) => {
      const err = refusal({ reportDueWorkingDays: value });
      expect(err.issues.map((i) => i.key)).toEqual(['reportDueWorkingDays']);
      expect(err.message).toContain(`reportDueWorkingDays: got "${value}" (${reason})`);
      expect(err.message).toContain('a whole number from 1 to 60 (5 when not given)');
    });

    it('takes the deadlines the functions take, and no other', () => {
      const setting = GatewayConfigSchema.shape.ELG_REPORT_DUE_WORKING_DAYS;
      for (const n of [0, 1, 5, 60, 61]) {
        const accepted = (() => {
          try {
            return read({ reportDueWorkingDays: String(n) }).reportDueWorkingDays === n;
          } catch {
            return false;
          }
        })();
        expect(accepted, String(n)).toBe(setting.safeParse(String(n)).success);
      }
      expect(read({}).reportDueWorkingDays).toBe(setting.parse(undefined));
    });
  });

  it('accepts only the log retentions CloudWatch accepts', () => {
    expect(read({ logRetentionDays: '731' }).logRetentionDays).toBe(731);
    const err = refusal({ logRetentionDays: '4' });
    expect(err.message).toContain('logRetentionDays: got "4" (not a retention CloudWatch Logs accepts)');
    expect(err.message).toContain('1, 3, 5, 7, 14, 30');
  });

  it('checks the optional email, account and region when given', () => {
    expect(refusal({ alarmEmail: 'ops' }).message).toContain('alarmEmail: got "ops" (not an email address)');
    expect(refusal({ account: '1234' }).message).toContain('account: got "1234"');
    expect(refusal({ region: 'Beijing' }).message).toContain('region: got "Beijing"');
  });

  it('reports every wrong key at once', () => {
    const err = refusal({
      province: undefined,
      registryUrl: undefined,
      registryRootJwk: undefined,
      idpIssuer: undefined,
      idpAudience: '',
      idpJwksUrl: undefined,
      logRetentionDays: 2,
    });
    expect(err.issues.map((i) => i.key)).toEqual([
      'province',
      'registryUrl',
      'registryRootJwk',
      'idpIssuer',
      'idpAudience',
      'idpJwksUrl',
      'logRetentionDays',
    ]);
  });

  it('stops the CDK app before anything is bundled, naming the key', async () => {
    const run = promisify(execFile);
    const synth = (context: Record<string, unknown>) =>
      run(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: '/nonexistent/elg' },
      }).then(
        () => undefined,
        (err: { code?: number; stderr?: string }) => err,
      );
    const [city, staged, holiday] = await Promise.all([
      synth({ ...VALID, province: '330100' }),
      synth({ ...VALID, stagedKeys: 'gateway' }),
      synth({ ...VALID, publicHolidays: '2025-10-01,2025-10-32' }),
    ]);
    expect(city?.code).toBe(1);
    expect(city?.stderr).toContain('province: got "330100"');
    expect(city?.stderr).toContain('Example: -c province=330000');
    expect(staged?.code).toBe(1);
    expect(staged?.stderr).toContain(
      'stagedKeys: gateway is staged but keyGenerations gives it 1 generation',
    );
    expect(holiday?.code).toBe(1);
    expect(holiday?.stderr).toContain(
      'publicHolidays: got "2025-10-01,2025-10-32" (holidays: 2025-10-32 is not a date YYYY-MM-DD)',
    );
  });
});
