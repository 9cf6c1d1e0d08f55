import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdentifier } from '../../contracts/codes/index.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { Federation } from '../../federation/federation.ts';
import { FEDERATION } from '../../federation/provinces.ts';
import { type TestFederation, testFederation } from '../support/federation.ts';
import { elg } from './run-elg.ts';

describe('elg against a running federation', () => {
  let running: TestFederation | undefined;
  let dir: string;
  let federation: Federation;
  let common: string[];

  beforeAll(async () => {
    running = await testFederation({ name: 'cli', provinces: ['310000', '320000'] });
    ({ dir } = running);
    federation = running;
    common = ['--federation', federation.file, '--province', '310000'];
  });

  afterAll(async () => {
    await running?.stop();
  });

  it('issues a license, verifies it valid, revokes it and then verifies it invalid', async () => {
    // Prepare
    const credentialFile = join(dir, 'credential.jws');

    // Act: issue
    const issued = await elg([
      'issue',
      ...common,
      '--holder-name',
      '张三',
      '--holder-id',
      '11010519491231002X',
      '--number',
      '沪建安A(2026)000123',
      '--category',
      '建筑电工',
      '--valid-from',
      '2026-01-01',
      '--valid-until',
      '2099-12-31',
      '--out',
      credentialFile,
      '--json',
    ]);

    // Assess: the JSON answer parses and the credential was saved
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    const answer = IssueResponseSchema.parse(JSON.parse(issued.stdout));
    expect(answer.status).toBe('01');
    expect(answer.license.issuer.uscc).toBe(FEDERATION[0]?.departments[0]?.uscc);
    expect((await readFile(credentialFile, 'utf8')).trim()).toBe(answer.credential);

    // Act: verify the saved credential
    const valid = await elg(['verify', ...common, '--credential-file', credentialFile]);

    // Assess
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('✔ VALID');
    expect(valid.stdout).toMatch(/signature\s+pass/);
    expect(valid.stdout).toMatch(/status\s+01 有效 valid/);

    // Act: revoke
    const revoked = await elg(['status', ...common, answer.identifier, '07', '--reason', '违规吊销']);

    // Assess
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/status now\s+07 吊销 revoked/);

    // Act: verify by identifier
    const invalid = await elg(['verify', ...common, answer.identifier]);

    // Assess
    expect(invalid.code).toBe(3);
    expect(invalid.stdout).toContain('✘ INVALID');
    expect(invalid.stdout).toMatch(/status\s+fail/);
    expect(invalid.stdout).toMatch(/STATUS_NOT_VALID\s+the license status is 07 revoked \(吊销\)/);

    // Act: revoke again, change the revoked license
    const again = await elg(['status', ...common, answer.identifier, 'revoked', '--reason', '再次吊销']);
    const changed = await elg(['change', ...common, answer.identifier, '--reason', '变更', '--number', 'X1']);

    // Assess: the statuses are named by their meaning
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^error TRANSITION_NOT_ALLOWED: the license is already 07 revoked \(吊销\), a final status: it cannot change any more \(trace [0-9a-f]{32}\)\n$/,
    );
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(
      'only a 01 valid (有效) license can be changed (变更); this one is 07 revoked (吊销)',
    );
  });

  it('prints the error code, message and trace id of a refused call and exits 1', async () => {
    // Prepare: well-formed, never issued
    const unknown = '1.2.156.3005.2.11100000000013338W032.113100000024601315.Z9.003.2';
    expect(parseIdentifier(unknown).ok).toBe(true);

    // Act
    const run = await elg(['show', ...common, unknown]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error NOT_FOUND: .+ \(trace [0-9a-f]{32}\)\n$/);
  });
});
