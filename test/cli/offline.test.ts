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

  it('names the missing option of elg issue before looking for a gateway', async () => {
    // Act
    const [none, noId] = await Promise.all([
      elg(['issue', '--federation', 'no-such-federation.json']),
      elg(['issue', '--federation', 'no-such-federation.json', '--holder-name', '张三']),
    ]);

    // Assess
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'elg: --holder-name and --holder-id are required (or give --file request.json) (see elg issue --help)\n',
    );
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('elg: --holder-id is required (or give --file request.json)');
  });

  it('suggests the option or command that was probably meant', async () => {
    // Act
    const [option, swapped, command, sub, none] = await Promise.all([
      elg(['issue', '--holdr-name', '张三']),
      elg(['verify', GOOD, '--mattre', 'X']),
      elg(['isue']),
      elg(['registry', 'sgin']),
      elg(['check', GOOD, '--zzzzzz']),
    ]);

    // Assess
    expect(option.code).toBe(2);
    expect(option.stderr).toBe(
      'elg: unknown option --holdr-name; did you mean --holder-name? (see elg issue --help)\n',
    );
    expect(swapped.stderr).toContain('unknown option --mattre; did you mean --matter?');
    expect(command.code).toBe(2);
    expect(command.stderr).toBe('elg: unknown command "isue"; did you mean issue? (see elg --help)\n');
    expect(sub.stderr).toContain('unknown registry command "sgin"; did you mean sign?');
    expect(none.stderr).toBe('elg: unknown option --zzzzzz (see elg check --help)\n');
  });

  it('lists in its help only the options each command takes', async () => {
    // Act
    const [check, registry, issue, checkUrl, registryToken] = await Promise.all([
      elg(['check', '--help']),
      elg(['registry', '--help']),
      elg(['issue', '--help']),
      elg(['check', GOOD, '--url', 'http://127.0.0.1:1']),
      elg(['registry', 'show', '--token', 'x']),
    ]);
    const options = (help: string) => [...help.matchAll(/^\s+(?:-h, )?(--[a-z-]+)/gm)].map((m) => m[1]);

    // Assess
    expect(check.code).toBe(0);
    expect(options(check.stdout)).toEqual(['--json', '--help']);
    expect(options(registry.stdout)).not.toContain('--token');
    expect(options(registry.stdout)).toEqual(expect.arrayContaining(['--url', '--province', '--root-key']));
    expect(registry.stdout).toContain('--url URL          (entry)');
    expect(options(issue.stdout)).toEqual(
      expect.arrayContaining(['--holder-name', '--province', '--federation', '--url', '--token', '--json']),
    );
    expect(checkUrl.code).toBe(2);
    expect(checkUrl.stderr).toBe(
      'elg: check does not take --url (it works offline, without a gateway) (see elg check --help)\n',
    );
    expect(registryToken.code).toBe(2);
    expect(registryToken.stderr).toContain('registry does not take --token');
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
