import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../federation/dynamodb-local.ts';
import { elg } from './run-elg.ts';

const GOOD = '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000001.001.8';
const WRONG_CHECK = '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000001.001.F';

const CheckJsonSchema = z.union([
  z.object({ ok: z.literal(true), value: z.object({ serial: z.string(), issuerCodeKind: z.string() }) }),
  z.object({ ok: z.literal(false), issue: z.object({ segment: z.string(), reason: z.string() }) }),
]);

describe('elg without a gateway', () => {
  it('shows the parts of a well-formed identifier and exits 0', async () => {
    // Act
    const run = await elg(['check', GOOD]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('well-formed');
    expect(run.stdout).toMatch(/type code\s+11100000000013338W032/);
    expect(run.stdout).toMatch(/issuer code\s+113100000024601315 \(USCC, 310000 上海\)/);
    expect(run.stdout).toMatch(/serial\s+2026000001/);
    expect(run.stdout).toMatch(/check\s+8/);
  });

  it('names the wrong segment of a bad identifier, points at it and exits 3', async () => {
    // Act
    const [wrongCheck, shortType] = await Promise.all([
      elg(['check', WRONG_CHECK]),
      elg(['check', '--json', GOOD.replace('W032', 'W32')]),
    ]);

    // Assess
    expect(wrongCheck.code).toBe(3);
    expect(wrongCheck.stdout).toContain('segment check (check character): check character is F, expected 8');
    const caretLine = wrongCheck.stdout.split('\n')[1] ?? '';
    expect(caretLine.indexOf('^')).toBe(WRONG_CHECK.length - 1);
    expect(shortType.code).toBe(3);
    const parsed = CheckJsonSchema.parse(JSON.parse(shortType.stdout));
    expect(parsed.ok ? undefined : parsed.issue.segment).toBe('typeCode');
  });

  it('answers a wrong command line with a one-line hint and exit 2', async () => {
    // Act
    const run = await elg(['status', GOOD, '07']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'elg: status needs --reason TEXT (see elg status --help)',
    ]);
  });

  it('names the URL that did not answer, suggests npm start and exits 1', async () => {
    // Prepare
    const url = `http://127.0.0.1:${await freePort()}`;

    // Act
    const run = await elg(['show', GOOD, '--url', url, '--token', 'not-needed']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no answer from ${url} (connection refused)`);
    expect(run.stderr).toContain('npm start');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
