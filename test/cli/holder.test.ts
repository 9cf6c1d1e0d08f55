import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HolderLicensesPageSchema, HolderUsesPageSchema, type OpenUse } from '../../contracts/holder.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { call, settle, type TestFederation, testFederation } from '../support/federation.ts';
import { unknownIdentifier } from '../support/gateway.ts';
import { elg } from './run-elg.ts';

/** The holder the federation's holder token names: the holder of contracts/examples ISSUE_REQUEST. */
const EXAMPLE_HOLDER = '11010519491231002X';
/** Another citizen, whom no token of the federation file names. */
const OTHER_HOLDER = '110105199003071239';

const VerifiedUsesSchema = z.object({
  license: z.object({ identifier: z.string(), province: z.string() }),
  items: z.array(z.looseObject({ province: z.string(), verified: z.boolean().optional() })),
});

/** A gateway stand-in that answers every call with `body`: a page the test has tampered with. */
interface StandIn {
  url: string;
  body: unknown;
  server: Server;
}

async function standIn(): Promise<StandIn> {
  const state = { body: undefined as unknown };
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(state.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    get body() {
      return state.body;
    },
    set body(b: unknown) {
      state.body = b;
    },
  };
}

describe('elg holder and elg token against a running federation', () => {
  let f: TestFederation;
  let fed: string[];
  let identifier: string;
  let fake: StandIn;
  let empty: string;

  beforeAll(async () => {
    f = await testFederation({ name: 'clh', provinces: ['310000', '330000', '340000'] });
    fed = ['--federation', f.file];
    fake = await standIn();
    empty = await mkdtemp(join(tmpdir(), 'elg-nofed-'));
    const issued = await elg([
      'issue',
      ...fed,
      '--province',
      '310000',
      '--holder-name',
      '张三',
      '--holder-id',
      EXAMPLE_HOLDER,
      '--category',
      '建筑电工',
      '--json',
    ]);
    expect(issued.code).toBe(0);
    identifier = IssueResponseSchema.parse(JSON.parse(issued.stdout)).identifier;
    const inShanghai = await elg(['verify', ...fed, '--province', '310000', identifier]);
    const fromZhejiang = await elg(['verify', ...fed, '--province', '330000', identifier]);
    expect([inShanghai.code, fromZhejiang.code]).toEqual([0, 0]);
    await settle(f.province('310000'));
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (fake ? fake.server.close(() => resolve()) : resolve()));
    if (empty) await rm(empty, { recursive: true, force: true });
    await f?.stop();
  });

  it('shows both uses at home in 340000, each proof checked in the CLI and verified', async () => {
    // Act
    const json = await elg([
      'holder',
      'uses',
      ...fed,
      '--province',
      '340000',
      '--identifier',
      identifier,
      '--json',
    ]);
    const human = await elg(['holder', 'uses', ...fed, '--province', '340000', '--identifier', identifier]);

    // Assess: the answer as received, each use marked
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const page = VerifiedUsesSchema.parse(JSON.parse(json.stdout));
    expect(page.license).toMatchObject({ identifier, province: '310000' });
    expect(page.items.map((u) => [u.province, u.verified])).toEqual([
      ['330000', true],
      ['310000', true],
    ]);
    expect(HolderUsesPageSchema.safeParse(JSON.parse(json.stdout)).success).toBe(true);

    // Assess: one line per use, newest first, each proven in the issuer's log
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('建筑施工特种作业人员操作资格证书');
    expect(human.stdout).toMatch(/status\s+01 有效 valid/);
    expect(human.stdout).toContain('TIME (北京时间)');
    const lines = human.stdout.split('\n').filter((l) => l.includes("proven in 310000 上海's log"));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+330000 浙江\s+浙江省政务服务平台\s+DEMO0001\s+窗口核验\s+2\s+success 成功\s+proven in 310000 上海's log \(tree size \d+\), witnessed 2 of 2, quorum 2$/,
    );
    expect(lines[1]).toMatch(
      /310000 上海\s+上海市政务服务平台\s+DEMO0001\s+窗口核验\s+- \(本省\)\s+success 成功/,
    );
    expect(human.stdout).toContain('2 uses on this page: 2 proven');
  });

  it('lists the holder’s licenses where they were issued', async () => {
    // Act
    const json = await elg(['holder', 'licenses', ...fed, '--province', '310000', '--json']);
    const human = await elg(['holder', 'licenses', ...fed, '--province', '310000']);

    // Assess
    expect(json.code).toBe(0);
    expect(HolderLicensesPageSchema.parse(JSON.parse(json.stdout)).items.map((l) => l.identifier)).toEqual([
      identifier,
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('1 license of this holder issued in 310000 上海');
    expect(human.stdout).toMatch(/identifier\s+1\.2\.156\.3005\.2\./);
    expect(human.stdout).toMatch(/status\s+01 有效 valid/);
    expect(human.stdout).toMatch(/valid\s+\d{4}-\d\d-\d\d to no end date/);
  });

  it('answers a license that is not the holder’s as not found, exit 1', async () => {
    // Act
    const run = await elg([
      'holder',
      'uses',
      ...fed,
      '--province',
      '340000',
      '--identifier',
      unknownIdentifier(),
    ]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error NOT_FOUND: .+ \(trace [0-9a-f]{32}\)\n$/);
  });

  it('mints tokens the gateway accepts: an issuer to issue, a holder to see only their own', async () => {
    // Act: an issuer token of 310000 issues to another holder; that holder's token lists it
    const issuer = await elg(['token', 'issuer', ...fed, '--province', '310000']);
    const issued = await elg([
      'issue',
      ...fed,
      '--province',
      '310000',
      '--token',
      issuer.stdout.trim(),
      '--holder-name',
      '李四',
      '--holder-id',
      OTHER_HOLDER,
      '--json',
    ]);
    const minted = await elg([
      'token',
      'holder',
      ...fed,
      '--province',
      '310000',
      '--holder-type',
      '111',
      '--holder-code',
      OTHER_HOLDER,
    ]);
    const jwt = minted.stdout.trim();
    const listed = await fetch(`${f.province('310000').url}/v1/holder/licenses`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    const viaCli = await elg(['holder', 'licenses', ...fed, '--province', '310000', '--token', jwt]);

    // Assess
    expect(issuer.code).toBe(0);
    expect(issued.code).toBe(0);
    const theirs = IssueResponseSchema.parse(JSON.parse(issued.stdout));
    expect(theirs.license.issuer.name).toBe('上海市住房和城乡建设管理委员会');
    expect(minted.code).toBe(0);
    expect(minted.stdout).toBe(`${jwt}\n`);
    expect(minted.stderr).toContain('holder token of 310000 上海 for holder 111 110105********1239');
    expect(listed.status).toBe(200);
    expect(HolderLicensesPageSchema.parse(await listed.json()).items.map((l) => l.identifier)).toEqual([
      theirs.identifier,
    ]);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stdout).toContain(theirs.identifier);
    expect(viaCli.stdout).not.toContain(identifier);
    expect(viaCli.stdout).toContain('李四');
  });

  it('mints with the province’s dev identity provider: its issuer, audience and the holder claims', async () => {
    // Act
    const run = await elg([
      'token',
      'holder',
      ...fed,
      '--province',
      '330000',
      '--holder-type',
      '111',
      '--holder-code',
      OTHER_HOLDER,
      '--ttl',
      '600',
      '--json',
    ]);

    // Assess
    expect(run.code).toBe(0);
    const answer = z
      .object({ token: z.string(), issuer: z.string(), audience: z.string(), expiresAt: z.string() })
      .parse(JSON.parse(run.stdout));
    const claims = decodeJwt(answer.token);
    expect(claims).toMatchObject({
      iss: `${f.province('330000').url}/dev-idp`,
      aud: 'elg-330000',
      roles: ['holder'],
      holderType: '111',
      holderCode: OTHER_HOLDER,
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(answer).toMatchObject({ issuer: claims.iss, audience: 'elg-330000' });
  });

  it('refuses a bad holder, a missing holder code and an unknown role as usage errors (exit 2)', async () => {
    // Act
    const [badCode, badType, missing, role, stray] = await Promise.all([
      elg(['token', 'holder', ...fed, '--holder-type', '111', '--holder-code', '110105199003071238']),
      elg(['token', 'holder', ...fed, '--holder-type', '112', '--holder-code', OTHER_HOLDER]),
      elg(['token', 'holder', ...fed, '--holder-type', '111']),
      elg(['token', 'hodler', ...fed]),
      elg(['token', 'platform', ...fed, '--holder-code', OTHER_HOLDER]),
    ]);

    // Assess
    for (const run of [badCode, badType, missing, role, stray]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    }
    expect(badCode.stderr).toMatch(
      /^elg: --holder-code: holder code is not a valid citizen ID number: .+ \(see elg token --help\)\n$/,
    );
    expect(badType.stderr).toContain(
      '--holder-type 112 is not a holder type code: one of 001 统一社会信用代码',
    );
    expect(missing.stderr).toContain('a holder token needs --holder-code C');
    expect(role.stderr).toContain('unknown role "hodler"; did you mean holder?');
    expect(stray.stderr).toContain('--holder-type and --holder-code are for a holder token only');
  });

  it('refuses to mint without a local federation, saying it is for the local federation only', async () => {
    // Act
    const run = await elg(['token', 'platform', '--province', '310000'], { ELG_HOME: empty });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `there is no local federation: no federation file at ${join(empty, 'federation.json')}`,
    );
    expect(run.stderr).toContain('dev tokens of the local federation only');
  });

  it('says which token a federation file of an older `npm start` lacks, and how to get one', async () => {
    // Prepare: the federation file as it was before holder tokens
    const file = JSON.parse(await readFile(f.file, 'utf8')) as {
      provinces: { tokens: Record<string, string> }[];
    };
    for (const p of file.provinces) delete p.tokens.holder;
    const older = join(empty, 'older.json');
    await writeFile(older, JSON.stringify(file));

    // Act
    const run = await elg(['holder', 'licenses', '--federation', older, '--province', '310000']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${older} has no holder token for 310000`);
    expect(run.stderr).toContain('elg token holder --province 310000');
  });

  it('says PROOF FAILED and exits 1 for a tampered page; pending and sealed uses as such', async () => {
    // Prepare: the real page, its first proof's leaf and its second proof's size changed, a
    // pending and a sealed use added
    const real = await call(f.province('340000'), 'holder', `/v1/holder/uses?identifier=${identifier}`);
    const page = HolderUsesPageSchema.parse(real.body);
    const [first, second] = page.items as OpenUse[];
    if (!first?.proof || !second?.proof) throw new Error('the real page has no proofs');
    const tampered = {
      ...page,
      items: [
        { time: first.time, province: '330000', sealed: true, until: '2099-01-01' },
        { ...second, eventId: 'pending-one', proof: undefined, pending: true },
        { ...first, proof: { ...first.proof, leafHash: second.proof.leafHash } },
        { ...second, proof: { ...second.proof, treeSize: second.proof.treeSize + 1 } },
      ],
    };
    fake.body = JSON.parse(JSON.stringify(tampered));
    const args = ['holder', 'uses', '--url', fake.url, '--token', 'any', '--identifier', identifier];

    // Act
    const human = await elg(args);
    const json = await elg([...args, '--json']);

    // Assess
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('sealed until 2099-01-01');
    expect(human.stdout).toContain('pending (not in the log yet)');
    expect(human.stdout).toContain("PROOF FAILED: the audit path does not lead to the checkpoint's root");
    expect(human.stdout).toMatch(/PROOF FAILED: the proof is for a tree of \d+, the checkpoint of \d+/);
    expect(human.stdout).toContain('4 uses on this page: 0 proven, 2 PROOF FAILED, 1 pending, 1 sealed');
    expect(human.stderr).toMatch(/^error: 2 proofs of this page failed/);
    expect(json.code).toBe(1);
    const marked = VerifiedUsesSchema.parse(JSON.parse(json.stdout));
    expect(marked.items.map((u) => u.verified)).toEqual([undefined, undefined, false, false]);

    // Act: a page about a license of another province than the identifier's issuer
    fake.body = { ...page, license: { ...page.license, province: '330000' } };
    const elsewhere = await elg(args);

    // Assess
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toBe('');
    expect(elsewhere.stderr).toContain('the answer is about a license of 330000, but');
  });
});
