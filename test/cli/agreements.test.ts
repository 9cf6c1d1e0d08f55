import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AgreementView, AgreementViewSchema } from '../../contracts/agreement.ts';
import type { Federation } from '../../federation/federation.ts';
import { verifyGrant } from '../lib/agreements/fixtures.ts';
import { type TestFederation, testFederation } from '../support/federation.ts';
import { elg } from './run-elg.ts';

const ListSchema = z.object({ items: z.array(AgreementViewSchema) });
const ProvincesJsonSchema = z.object({
  provinces: z.array(z.object({ id: z.string(), activeWith: z.array(z.string()) })),
});
const ErrorJsonSchema = z.object({ error: z.object({ code: z.string() }) });
const UNKNOWN_ID = 'agr_01ZZZZZZZZZZZZZZZZZZZZZZZZ';

describe('elg agreements: propose, sign, list, show and withdraw across provinces', () => {
  let running: TestFederation | undefined;
  let dir: string;
  let federation: Federation;
  let file: string[];

  beforeAll(async () => {
    // 310000 and 320000 hold the seeded alliance; 510000 has no agreement yet.
    running = await testFederation({ name: 'cliagr', provinces: ['310000', '320000', '510000'] });
    ({ dir } = running);
    federation = running;
    file = ['--federation', federation.file];
  });

  afterAll(async () => {
    await running?.stop();
  });

  /** `elg agreements propose` in `province`, with the rest of the command line. */
  const proposeIn = (province: string, ...args: string[]) =>
    elg(['agreements', 'propose', ...file, '--province', province, ...args]);

  /** The agreement as `province` holds it, straight from its gateway (undefined: not held yet). */
  async function held(province: string, id: string): Promise<AgreementView | undefined> {
    const p = federation.province(province);
    const res = await fetch(`${p.url}/v1/agreements/${id}`, {
      headers: { authorization: `Bearer ${p.tokens.operator}` },
    });
    if (res.status === 404) return undefined;
    return AgreementViewSchema.parse(await res.json());
  }

  /** Deliveries run on a 1 s loop: poll, for at most 15 s. */
  async function waitFor(
    province: string,
    id: string,
    done: (a: AgreementView) => boolean,
  ): Promise<AgreementView> {
    for (let i = 0; i < 75; i++) {
      const a = await held(province, id);
      if (a && done(a)) return a;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`agreement ${id} did not get there in ${province} within 15 s`);
  }

  it('proposes in 310000, signs in 510000, shows it active in both and in provinces, then withdraws it', async () => {
    // Act: propose in 310000 (a list as `+` in one grant, as continued commas in the other)
    const proposed = await proposeIn(
      '310000',
      '--name',
      '沪川电子证照互认协议',
      '--party',
      '310000',
      '--party',
      '510000',
      '--grant',
      'grantor=310000,grantee=510000,actions=verify+status,types=*,matters=*,level=2',
      '--grant',
      'grantor=510000,grantee=310000,actions=verify,status,level=1',
      '--until',
      '2099-12-31',
      '--json',
    );

    // Assess: the raw answer, proposed and signed by the proposer
    expect(proposed.stderr).toBe('');
    expect(proposed.code).toBe(0);
    const view = AgreementViewSchema.parse(JSON.parse(proposed.stdout));
    const id = view.id;
    expect(view).toMatchObject({ state: 'proposed', parties: ['310000', '510000'], proposer: '310000' });
    expect(view.signatures.map((s) => s.party)).toEqual(['310000']);
    expect(view.grants).toEqual([
      {
        grantor: '310000',
        grantee: '510000',
        actions: ['verify', 'status'],
        licenseTypes: ['*'],
        matterCodes: ['*'],
        maxDataLevel: 2,
      },
      {
        grantor: '510000',
        grantee: '310000',
        actions: ['verify', 'status'],
        licenseTypes: ['*'],
        matterCodes: ['*'],
        maxDataLevel: 1,
      },
    ]);

    // Act: 510000 signs once the proposal has arrived
    await waitFor('510000', id, () => true);
    const signed = await elg(['agreements', 'sign', id, ...file, '--province', '510000']);

    // Assess
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(`510000 四川 signed ${id}`);
    expect(signed.stdout).toMatch(/state\s+active \(2 of 2 signatures\)/);

    // Act: list in both, once the signature has reached 310000; show and provinces
    await waitFor('310000', id, (a) => a.state === 'active');
    const [list310, list510, listJson, shown, listing, listingJson] = await Promise.all([
      elg(['agreements', 'list', ...file, '--province', '310000']),
      elg(['agreements', 'list', ...file, '--province', '510000']),
      elg(['agreements', 'list', ...file, '--province', '510000', '--json']),
      elg(['agreements', 'show', id, ...file, '--province', '310000']),
      elg(['provinces', ...file]),
      elg(['provinces', ...file, '--json']),
    ]);

    // Assess: active with both signatures in each province's own list
    for (const run of [list310, list510]) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(
        new RegExp(`${id}\\s+active\\s+2/2\\s+\\d{4}-\\d{2}-\\d{2}\\.\\.2099-12-31`),
      );
      expect(run.stdout).toContain('310000,510000  沪川电子证照互认协议');
    }
    expect(list310.stdout).toMatch(/agr_0000000000YRDALLIANCE\w+\s+active\s+2\/2/);
    expect(ListSchema.parse(JSON.parse(listJson.stdout)).items.map((a) => [a.id, a.state])).toEqual([
      [id, 'active'],
    ]);
    // Assess: show has the grants as a table and both signatures
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/GRANTOR\s+GRANTEE\s+ACTIONS\s+LICENSE TYPES\s+MATTERS\s+MAX LEVEL/);
    expect(shown.stdout).toMatch(/310000 上海\s+510000 四川\s+verify,status\s+\*\s+\*\s+2/);
    expect(shown.stdout).toMatch(/510000 四川\s+310000 上海\s+verify,status\s+\*\s+\*\s+1/);
    expect(shown.stdout).toMatch(/510000 四川\s+signed \(kid /);
    expect(shown.stdout).toMatch(/signatures\s+2 of 2 remaining parties/);
    // Assess: provinces shows who has an active agreement with whom, by each province
    expect(listing.code, listing.stderr).toBe(0);
    expect(listing.stdout).toMatch(/310000 上海\s+320000 江苏, 510000 四川\n/);
    expect(listing.stdout).toMatch(/320000 江苏\s+310000 上海\n/);
    expect(listing.stdout).toMatch(/510000 四川\s+310000 上海\n/);
    const partners = ProvincesJsonSchema.parse(JSON.parse(listingJson.stdout)).provinces.map((p) => [
      p.id,
      p.activeWith,
    ]);
    expect(partners).toEqual([
      ['310000', ['320000', '510000']],
      ['320000', ['310000']],
      ['510000', ['310000']],
    ]);
    expect(listingJson.stdout).not.toContain(federation.province('310000').tokens.operator);

    // Act: 510000 withdraws; a bilateral agreement ends for both
    const withdrawn = await elg(['agreements', 'withdraw', id, ...file, '--province', '510000']);
    await waitFor('310000', id, (a) => a.state === 'withdrawn');
    const after = await elg(['provinces', ...file]);

    // Assess
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    expect(withdrawn.stdout).toContain(`510000 四川 withdrew from ${id}`);
    expect(withdrawn.stdout).toMatch(/state\s+withdrawn\n/);
    expect(after.stdout).toMatch(/310000 上海\s+320000 江苏\n/);
    expect(after.stdout).toMatch(/510000 四川\s+\(none\)\n/);
  });

  it('proposes the JSON body of POST /v1/agreements from --file', async () => {
    // Prepare
    const proposal = join(dir, 'proposal.json');
    await writeFile(
      proposal,
      JSON.stringify({
        name: '苏川协议',
        parties: ['320000', '510000'],
        grants: [verifyGrant()],
        validFrom: '2026-01-01',
        validUntil: '2099-12-31',
      }),
    );

    // Act
    const run = await proposeIn('320000', '--file', proposal);

    // Assess: readable, with the next step spelled out
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('proposed in 320000 江苏, which signed it');
    expect(run.stdout).toMatch(/\* \(every party\)\s+\* \(every party\)\s+verify\s+\*\s+\*\s+1/);
    expect(run.stdout).toMatch(/next: elg agreements sign agr_[0-9A-Z]{26} --province 510000\n/);
  });

  it('names what is wrong with the command line and exits 2, calling no gateway', async () => {
    // Prepare
    const grant = 'grantor=310000,grantee=510000,actions=verify,level=2';
    const propose = ['agreements', 'propose', ...file, '--party', '310000', '--party', '510000'];

    // Act
    const runs = await Promise.all([
      elg([...propose, '--grant', grant, '--until', '2099-12-31']),
      elg([
        ...propose,
        '--name',
        'x',
        '--grant',
        'grantor=310000,actions=verify,level=2',
        '--until',
        '2099-12-31',
      ]),
      elg([...propose, '--name', 'x', '--grant', `${grant},color=red`, '--until', '2099-12-31']),
      elg([...propose, '--name', 'x', '--grant', grant.replace('510000', '320000'), '--until', '2099-12-31']),
      elg(['agreements', 'sign', ...file]),
      elg(['agreements', 'show', 'agr_1', ...file]),
      elg(['agreements', 'list', '--name', 'x', ...file]),
    ]);

    // Assess
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr.trimEnd())).toEqual([
      'elg: agreements propose needs --name NAME (or --file proposal.json) (see elg agreements --help)',
      'elg: --grant "grantor=310000,actions=verify,level=2": grantee= is missing (see elg agreements --help)',
      `elg: --grant "${grant},color=red": unknown key color (keys: grantor, grantee, actions, types, matters, level) (see elg agreements --help)`,
      `elg: --grant "${grant.replace('510000', '320000')}": grantee: 320000 is not a party (see elg agreements --help)`,
      'elg: agreements sign needs an agreement ID (see elg agreements --help)',
      'elg: agr_1 is not an agreement id: agr_ and 26 characters 0-9 A-Z (see elg agreements --help)',
      'elg: --name is an option of agreements propose only (see elg agreements --help)',
    ]);
    expect(runs.every((r) => r.stdout === '')).toBe(true);
  });

  it("shows the gateway's error code for an unknown agreement, a non-party and a refused proposal, exit 1", async () => {
    // Prepare: the seeded alliance of 310000 and 320000; 510000 is no party to it
    const alliance = (await held('310000', 'agr_0000000000YRDALLIANCE00003'))?.id ?? '';
    expect(alliance).not.toBe('');

    // Act
    const [unknown, nonParty, nonPartyJson, notMine] = await Promise.all([
      elg(['agreements', 'show', UNKNOWN_ID, ...file, '--province', '310000']),
      elg(['agreements', 'sign', alliance, ...file, '--province', '510000']),
      elg(['agreements', 'sign', alliance, ...file, '--province', '510000', '--json']),
      proposeIn(
        '310000',
        '--name',
        '苏川协议',
        '--party',
        '320000',
        '--party',
        '510000',
        '--grant',
        'grantor=320000,grantee=510000,actions=verify,level=1',
        '--until',
        '2099-12-31',
      ),
    ]);

    // Assess
    expect([unknown.code, nonParty.code, nonPartyJson.code, notMine.code]).toEqual([1, 1, 1, 1]);
    expect(unknown.stderr).toMatch(
      new RegExp(
        `^error NOT_FOUND: no agreement ${UNKNOWN_ID} in 310000 上海 .+ \\(trace [0-9a-f]{32}\\)\\n$`,
      ),
    );
    expect(nonParty.stdout).toBe('');
    expect(nonParty.stderr).toMatch(new RegExp(`^error NOT_FOUND: no agreement ${alliance} in 510000 四川 `));
    expect(ErrorJsonSchema.parse(JSON.parse(nonPartyJson.stdout)).error.code).toBe('NOT_FOUND');
    expect(notMine.stderr).toMatch(
      /^error INVALID_REQUEST: .+\n {2}parties: this province \(310000\) must be a party\n$/,
    );
  });
});
