import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditedEventSchema } from '../../contracts/audit-api.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import type { Federation } from '../../federation/federation.ts';
import { call, settle, type TestFederation, testFederation } from '../support/federation.ts';
import { sampleIssue } from '../support/gateway.ts';
import { AUDIT_TABLE_COLUMNS, elg } from './run-elg.ts';

const HOLDER_CODE = '11010519491231002X';

describe('elg audit against a running federation', () => {
  let running: TestFederation | undefined;
  let dir: string;
  let f: Federation;
  let fed: string[];
  let identifier: string;
  let traceId: string;
  let started: string;

  beforeAll(async () => {
    running = await testFederation({ name: 'cla', provinces: ['310000', '330000'] });
    ({ dir } = running);
    f = running;
    fed = ['--federation', f.file];
    started = new Date().toISOString();
    const sh = f.province('310000');
    identifier = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    ).identifier;
    // Two verifications from Zhejiang, so a search can hold more events than its limit.
    for (const useCause of ['窗口核验', '复核']) {
      const answer = VerifyResponseSchema.parse(
        (
          await call(f.province('330000'), 'platform', '/v1/verify', {
            identifier,
            matterCode: 'DEMO0001',
            useCause,
          })
        ).body,
      );
      expect(answer.verdict).toBe('valid');
      traceId = answer.traceId;
    }
    for (const p of f.provinces) await settle(p);
  });

  afterAll(async () => {
    await running?.stop();
  });

  it('says no province holds a trace that does not exist, and exits 3', async () => {
    const unknown = randomBytes(16).toString('hex');

    const run = await elg(['audit', 'trace', unknown, ...fed]);
    const json = await elg(['audit', 'trace', unknown, ...fed, '--json']);

    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(new RegExp(`^trace ${unknown}: no province holds events for it\\n`));
    expect(run.stdout).not.toContain('verified');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ traceId: unknown, found: false, ok: false, gaps: [] });
  });

  it('verifies a real trace, with its verdict, and writes the page', async () => {
    const page = join(dir, 'trace.html');

    const run = await elg(['audit', 'trace', traceId, ...fed, '--html', page]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`trace ${traceId}: verified, no gaps`);
    expect(run.stdout).toMatch(/verdict {2}valid in 330000 浙江/);
    expect(run.stdout).toMatch(/330000 → 310000 {2}200 \(success\) {2}seen on both sides/);
    expect(run.stdout).toMatch(/against registry seq \d+/);
    const html = await readFile(page, 'utf8');
    expect(html).toContain('310000 上海市');
    expect(html).toContain(identifier);
  });

  it('lists the events of a license across provinces as a table', async () => {
    const run = await elg(['audit', 'events', ...fed, '--identifier', identifier]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([...AUDIT_TABLE_COLUMNS]);
    const table = rows.filter((r) => /^\d{4}-/.test(r));
    // license.issue in Shanghai, then per verification: verify in Zhejiang, interop.verify in Shanghai.
    expect(table.map((r) => r.split(/\s{2,}/).slice(1, 4))).toEqual(
      expect.arrayContaining([
        ['310000 上海', 'license.issue', 'success'],
        ['330000 浙江', 'verify', 'success'],
        ['310000 上海', 'interop.verify', 'success'],
      ]),
    );
    expect(table).toHaveLength(5);
    expect(table.every((r) => r.includes(identifier))).toBe(true);
    expect(table.some((r) => r.includes(traceId))).toBe(true);
    expect(run.stdout).toContain('5 events from 2 provinces (310000 上海: 3, 330000 浙江: 2)');
  });

  it('finds a holder by the keyed hash each province gives, never printing the code', async () => {
    const run = await elg(['audit', 'events', ...fed, '--holder', `111:${HOLDER_CODE}`, '--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(HOLDER_CODE);
    const out = JSON.parse(run.stdout) as {
      query: unknown;
      provinces: { province: string; holderHash: string }[];
      items: unknown[];
    };
    expect(out.query).toEqual({ holderTypeCode: '111', limit: 100 });
    const items = out.items.map((i) => AuditedEventSchema.parse(i));
    expect(items.map((e) => [e.province, e.action])).toContainEqual(['310000', 'license.issue']);
    const hashes = out.provinces.map((p) => p.holderHash);
    // Each province keys its own hash.
    expect(new Set(hashes).size).toBe(2);
    expect(
      items.every((e) => e.holderHash === hashes[out.provinces.findIndex((p) => p.province === e.province)]),
    ).toBe(true);
  });

  it('searches a time range by action and peer, follows cursors up to --limit and says more match', async () => {
    const args = ['audit', 'events', ...fed, '--province', '330000', '--from', started];
    const all = await elg([
      ...args,
      '--to',
      new Date(Date.now() + 60_000).toISOString(),
      '--action',
      'verify',
      '--peer',
      '310000',
      '--json',
    ]);
    const one = await elg([...args, '--action', 'verify', '--limit', '1']);

    expect(all.code).toBe(0);
    const items = (JSON.parse(all.stdout) as { items: unknown[] }).items.map((i) =>
      AuditedEventSchema.parse(i),
    );
    expect(items).toHaveLength(2);
    expect(items.every((e) => e.action === 'verify' && e.peer === '310000' && e.province === '330000')).toBe(
      true,
    );
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n').filter((r) => /^\d{4}-/.test(r))).toHaveLength(1);
    expect(one.stdout).toContain('more events match: only the first 1 are shown');
  });

  it('refuses a search without a license, holder or range, and options of the other subcommand', async () => {
    const none = await elg(['audit', 'events', ...fed, '--action', 'verify']);
    const holder = await elg(['audit', 'events', ...fed, '--holder', HOLDER_CODE]);
    const html = await elg(['audit', 'events', ...fed, '--identifier', identifier, '--html', 'x.html']);

    expect(none.code).toBe(2);
    expect(none.stderr).toContain('needs --identifier ID, --holder TYPE:CODE or a time range');
    expect(holder.code).toBe(2);
    expect(holder.stderr).toContain('--holder takes TYPE:CODE');
    expect(holder.stderr).not.toContain(HOLDER_CODE);
    expect(html.code).toBe(2);
    expect(html.stderr).toContain('--html is an option of elg audit trace');
  });
});
