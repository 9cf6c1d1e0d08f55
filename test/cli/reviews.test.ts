import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IssueResponseSchema } from '../../contracts/license.ts';
import {
  BreakersPageSchema,
  CallerReviewSchema,
  HeldReviewSchema,
  ReviewPolicyViewSchema,
  ReviewQueuePageSchema,
} from '../../contracts/reviews.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { type TestFederation, testFederation } from '../support/federation.ts';
import { type ElgRun, elg } from './run-elg.ts';

/** The holder the federation's holder token names: the holder of contracts/examples ISSUE_REQUEST. */
const EXAMPLE_HOLDER = '11010519491231002X';
/** A matter the policy holds for review; the alliance grants 330000 up to data level 2 of it. */
const SENSITIVE = 'ZJ-GA-01';
const CAUSE = '公安机关办理案件核查身份';
const POLICY = { rules: [{ matterCodes: [SENSITIVE] }] };
const REVIEW_ID = /^review: (310000-[0-9A-Z]{26}) \(elg reviews show --as platform --province 330000 \1\)$/m;
const BIN = fileURLToPath(new URL('../../bin/elg', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** `elg` with `stdin` written to its standard input (run-elg's runs read none). */
async function elgWithStdin(args: readonly string[], stdin: string): Promise<ElgRun> {
  await elg(['--help']); // the bundle built once, as run-elg does
  const { ELG_HOME: _home, ELG_TOKEN: _token, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: REPO,
      env: { ...inherited, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A gateway stand-in that answers every call with `status` and `body`. */
async function standIn(status: number, body: unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

describe('elg review-policy, elg reviews and elg breakers against a running federation', () => {
  let f: TestFederation;
  let fed: string[];
  let identifier: string;
  let policyFile: string;

  /** 330000 verifies the Shanghai license for the sensitive matter at data level 2: held, exit 3. */
  const heldVerify = async (): Promise<{ run: ElgRun; reviewId: string }> => {
    const run = await elg([
      'verify',
      ...fed,
      '--province',
      '330000',
      identifier,
      '--matter',
      SENSITIVE,
      '--cause',
      CAUSE,
      '--data-level',
      '2',
    ]);
    return { run, reviewId: REVIEW_ID.exec(run.stdout)?.[1] ?? '' };
  };

  beforeAll(async () => {
    f = await testFederation({ name: 'clv', provinces: ['310000', '330000'] });
    fed = ['--federation', f.file];
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
    policyFile = join(f.dir, 'policy.json');
    await writeFile(policyFile, JSON.stringify(POLICY));
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('sets a policy from a file; holds a level-2 request of its matter; a reviewer lists and approves it; 330000 reads valid', async () => {
    // Act: the policy before and after --set
    const before = await elg(['review-policy', ...fed, '--province', '310000']);
    const set = await elg(['review-policy', ...fed, '--province', '310000', '--set', policyFile]);
    const json = await elg(['review-policy', ...fed, '--province', '310000', '--json']);

    // Assess
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('review policy of 310000 上海\n');
    expect(before.stdout).toContain('rules (0)');
    expect(before.stdout).toMatch(/trips at\s+more than 60000 calls a minute from one province/);
    expect(before.stdout).toMatch(/when open\s+refuse \(429 CIRCUIT_OPEN\)/);
    expect(before.stdout).toContain('changed  never (the defaults)\n');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(
      'set: in force on every instance within a second\n\nreview policy of 310000 上海\n',
    );
    expect(set.stdout).toContain(`rules (1)`);
    expect(set.stdout).toContain(`\n  1  matter ${SENSITIVE}\n`);
    expect(set.stdout).toMatch(/changed {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(北京时间\) by \S+/);
    const view = ReviewPolicyViewSchema.parse(JSON.parse(json.stdout));
    expect(view.rules).toEqual(POLICY.rules);
    expect(view.breaker).toMatchObject({ callsPerMinute: 60_000, whenOpen: 'refuse' });
    expect(view.updatedAt).toEqual(expect.any(String));

    // Act: 330000 verifies for the sensitive matter (each instance reads the policy within 1 s)
    let held: Awaited<ReturnType<typeof heldVerify>> | undefined;
    await vi.waitFor(
      async () => {
        held = await heldVerify();
        expect(held.reviewId).not.toBe('');
      },
      { timeout: 10_000, interval: 500 },
    );
    const { run: asked, reviewId } = held ?? { run: undefined, reviewId: '' };

    // Assess: unverified, REVIEW_PENDING, and the review to follow
    expect(asked?.code).toBe(3);
    expect(asked?.stdout).toContain('? UNVERIFIED');
    expect(asked?.stdout).toMatch(/REVIEW_PENDING\s+/);

    // Act: the Shanghai reviewers' queue, as a table and as JSON, and the review itself
    const list = await elg(['reviews', 'list', ...fed, '--province', '310000']);
    const listJson = await elg(['reviews', 'list', ...fed, '--province', '310000', '--json']);
    const shown = await elg(['reviews', 'show', ...fed, '--province', '310000', reviewId]);
    const waiting = await elg([
      'reviews',
      'show',
      ...fed,
      '--province',
      '330000',
      reviewId,
      '--as',
      'platform',
    ]);

    // Assess
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('1 pending review in 310000 上海, oldest first\n');
    expect(list.stdout).toMatch(
      /^REVIEW\s+CALLER\s+IDENTIFIER\s+MATTER\s+LEVEL\s+APPROVALS\s+EXPIRES \(北京时间\)$/m,
    );
    expect(list.stdout).toMatch(
      new RegExp(
        `^${reviewId}\\s+330000 浙江\\s+${identifier.replaceAll('.', '\\.')}\\s+${SENSITIVE}\\s+2\\s+0/1\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`,
        'm',
      ),
    );
    expect(listJson.code).toBe(0);
    const queue = ReviewQueuePageSchema.parse(JSON.parse(listJson.stdout));
    expect(queue.cursor).toBeUndefined();
    expect(queue.items).toMatchObject([
      {
        reviewId,
        state: 'pending',
        caller: '330000',
        request: { identifier, matterCode: SENSITIVE, useCause: CAUSE, dataLevel: 2 },
        dataLevel: 2,
        approvalsNeeded: 1,
        heldBecause: 'policy',
        decisions: [],
      },
    ]);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(reviewId);
    expect(shown.stdout).toMatch(/state\s+待复核 pending/);
    expect(shown.stdout).toMatch(/caller\s+330000 浙江/);
    expect(shown.stdout).toMatch(new RegExp(`use cause\\s+${CAUSE}`));
    expect(shown.stdout).toMatch(/requester\s+浙江省政务服务平台/);
    expect(shown.stdout).toMatch(/data level\s+2 \(asked\)/);
    expect(shown.stdout).toMatch(/held\s+policy: a rule of the review policy matched/);
    expect(shown.stdout).toMatch(/approvals\s+0\/1\n/);
    expect(shown.stdout).toContain('  decisions  none yet\n');
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toMatch(/state\s+待复核 pending/);
    expect(waiting.stdout).toMatch(/verdict\s+\? UNVERIFIED 无法确认/);
    expect(waiting.stdout).toMatch(/signature\s+none yet/);
    expect(waiting.stdout).toMatch(/ {4}REVIEW_PENDING\s+/);

    // Act: one approval decides below data level 3
    const approved = await elg([
      'reviews',
      'approve',
      ...fed,
      '--province',
      '310000',
      reviewId,
      '--reason',
      '案件核查，手续齐全',
    ]);

    // Assess
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(
      `${reviewId}: approval recorded; state 已批准 approved, approvals 1/1\n`,
    );
    expect(approved.stdout).toContain(
      'the outcome goes to 330000 浙江, which asked (retried until delivered)',
    );
    expect(approved.stdout).toMatch(
      / {4}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(北京时间\) approve \S+.*: 案件核查，手续齐全\n/,
    );

    // Assess: 330000's platform reads the verdict once the decision is delivered
    await vi.waitFor(
      async () => {
        const run = await elg([
          'reviews',
          'show',
          ...fed,
          '--province',
          '330000',
          reviewId,
          '--as',
          'platform',
          '--json',
        ]);
        expect(run.code).toBe(0);
        const seen = CallerReviewSchema.parse(JSON.parse(run.stdout));
        expect(seen).toMatchObject({ reviewId, state: 'approved', issuer: '310000', identifier });
        expect(seen.verdict.verdict).toBe('valid');
        expect(seen.decisionSignature).toEqual(expect.any(String));
      },
      { timeout: 20_000, interval: 300 },
    );
    const valid = await elg([
      'reviews',
      'show',
      ...fed,
      '--province',
      '330000',
      reviewId,
      '--as',
      'platform',
    ]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/state\s+已批准 approved/);
    expect(valid.stdout).toMatch(/verdict\s+✔ VALID 核验通过/);
    expect(valid.stdout).toMatch(/decided\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(北京时间\)/);
    expect(valid.stdout).toMatch(/reason\s+案件核查，手续齐全/);
    expect(valid.stdout).toMatch(/signature\s+present: 310000 上海's ELG-Signature over the decision/);
    const decided = await elg(['reviews', 'list', ...fed, '--province', '310000', '--state', 'decided']);
    expect(decided.stdout).toMatch(/^REVIEW\s+.+\s+APPROVALS\s+STATE\s+DECIDED \(北京时间\)$/m);
    expect(decided.stdout).toMatch(new RegExp(`^${reviewId}\\s.+\\s1/1\\s+已批准 approved\\s+\\d{4}-`, 'm'));
    const none = await elg(['reviews', 'list', ...fed, '--province', '310000']);
    expect(none.stdout).toBe('no pending reviews in 310000 上海\n');
  }, 90_000);

  it("rejects a second held request: 330000 reads REVIEW_REJECTED; deciding it again is the server's 409", async () => {
    // Prepare: the policy set from stdin this time (the same one)
    const fromStdin = await elgWithStdin(
      ['review-policy', ...fed, '--province', '310000', '--set', '-', '--json'],
      JSON.stringify(POLICY),
    );
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.code).toBe(0);
    expect(ReviewPolicyViewSchema.parse(JSON.parse(fromStdin.stdout)).rules).toEqual(POLICY.rules);
    const { run: asked, reviewId } = await heldVerify();
    expect(asked.code).toBe(3);
    expect(reviewId).not.toBe('');

    // Act
    const rejected = await elg([
      'reviews',
      'reject',
      ...fed,
      '--province',
      '310000',
      reviewId,
      '--reason',
      '用途不明',
      '--json',
    ]);
    const again = await elg([
      'reviews',
      'reject',
      ...fed,
      '--province',
      '310000',
      reviewId,
      '--reason',
      '再次驳回',
    ]);

    // Assess
    expect(rejected.code).toBe(0);
    expect(HeldReviewSchema.parse(JSON.parse(rejected.stdout))).toMatchObject({
      reviewId,
      state: 'rejected',
      decisions: [{ decision: 'reject', reason: '用途不明' }],
    });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(new RegExp(`^error CONFLICT: review ${reviewId} is already rejected`));
    await vi.waitFor(
      async () => {
        const run = await elg([
          'reviews',
          'show',
          ...fed,
          '--province',
          '330000',
          reviewId,
          '--as',
          'platform',
          '--json',
        ]);
        const seen = CallerReviewSchema.parse(JSON.parse(run.stdout));
        expect(seen.state).toBe('rejected');
        expect(seen.verdict.reasons.map((r) => r.code)).toEqual(['REVIEW_REJECTED']);
      },
      { timeout: 20_000, interval: 300 },
    );
    const human = await elg([
      'reviews',
      'show',
      ...fed,
      '--province',
      '330000',
      reviewId,
      '--as',
      'platform',
    ]);
    expect(human.stdout).toMatch(/state\s+已驳回 rejected/);
    expect(human.stdout).toMatch(/verdict\s+\? UNVERIFIED 无法确认/);
    expect(human.stdout).toMatch(/ {4}REVIEW_REJECTED\s+310000: 用途不明/);
    // A reviewer of 330000 holds no such review, and is told where it is held.
    const elsewhere = await elg(['reviews', 'show', ...fed, '--province', '330000', reviewId]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(
      /^error NOT_FOUND: .+ \(as reviewer of 330000: the review is held at 310000 上海/,
    );
  }, 60_000);

  it("lists no open breaker; releasing one that is not open is the server's 409", async () => {
    // Act
    const human = await elg(['breakers', 'list', ...fed, '--province', '310000']);
    const json = await elg(['breakers', 'list', ...fed, '--province', '310000', '--json']);
    const release = await elg([
      'breakers',
      'release',
      ...fed,
      '--province',
      '310000',
      '330000',
      '--reason',
      '误判',
    ]);

    // Assess
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('breakers of the provinces calling 310000 上海\n');
    expect(human.stdout).toContain('trip: more than 60000 calls a minute');
    expect(human.stdout).toContain('no open breaker: every calling province is answered');
    expect(json.code).toBe(0);
    const page = BreakersPageSchema.parse(JSON.parse(json.stdout));
    expect(page.items.filter((b) => b.state === 'open')).toEqual([]);
    expect(release.code).toBe(1);
    expect(release.stdout).toBe('');
    expect(release.stderr).toMatch(/^error CONFLICT: the breaker of 330000 is not open/);
  });

  it('refuses a bad command line or policy file before calling anyone (exit 2)', async () => {
    // Prepare
    const notJson = join(f.dir, 'not-json.json');
    const offSchema = join(f.dir, 'off-schema.json');
    await writeFile(notJson, 'rules: everything');
    await writeFile(offSchema, JSON.stringify({ rules: [{ matterCode: 'x' }] }));
    const someId = '310000-01JDQ6X8Z5S2W3E4R5T6Y7V8W9';

    // Act
    const [badJson, badPolicy, noReason, blankReason, badState, badId, typo, stray, badAs] =
      await Promise.all([
        elg(['review-policy', ...fed, '--set', notJson]),
        elg(['review-policy', ...fed, '--set', offSchema]),
        elg(['reviews', 'approve', ...fed, someId]),
        elg(['reviews', 'reject', ...fed, someId, '--reason', '  ']),
        elg(['reviews', 'list', ...fed, '--state', 'late']),
        elg(['reviews', 'show', ...fed, 'not-a-review']),
        elg(['reviews', 'aprove', ...fed, someId]),
        elg(['reviews', 'list', ...fed, '--reason', 'x']),
        elg(['reviews', 'show', ...fed, someId, '--as', 'auditor']),
      ]);
    const [badPeer, noPeerReason, badLevel] = await Promise.all([
      elg(['breakers', 'release', ...fed, '33', '--reason', 'x']),
      elg(['breakers', 'release', ...fed, '330000']),
      elg(['verify', ...fed, identifier, '--data-level', '5']),
    ]);

    // Assess
    const runs = { badJson, badPolicy, noReason, blankReason, badState, badId, typo, stray, badAs };
    for (const [name, run] of Object.entries(runs)) {
      expect(run.code, name).toBe(2);
      expect(run.stdout, name).toBe('');
    }
    expect(badJson.stderr).toMatch(
      /^elg: --set .+not-json\.json is not JSON: .+\(see elg review-policy --help\)\n$/,
    );
    expect(badPolicy.stderr).toMatch(
      /^elg: --set .+off-schema\.json is not a review policy: rules\.0: .*matterCode.*\(see elg review-policy --help\)\n$/,
    );
    expect(noReason.stderr).toBe('elg: reviews approve needs --reason TEXT (see elg reviews --help)\n');
    expect(blankReason.stderr).toMatch(/^elg: --reason: .+\(see elg reviews --help\)\n$/);
    expect(badState.stderr).toContain('--state takes pending or decided, not "late"');
    expect(badId.stderr).toContain('not-a-review is not a review id');
    expect(typo.stderr).toContain('unknown reviews command "aprove"; did you mean approve?');
    expect(stray.stderr).toContain(
      '--reason is an option of reviews approve and reviews reject, not of reviews list',
    );
    expect(badAs.stderr).toContain('--as takes reviewer or platform, not auditor');
    for (const run of [badPeer, noPeerReason]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/\(see elg breakers --help\)\n$/);
    }
    expect(badPeer.stderr).toContain('PEER takes a 6-digit province id such as 330000, not 33');
    expect(noPeerReason.stderr).toContain('breakers release needs --reason TEXT');
    expect(badLevel.code).toBe(2);
    expect(badLevel.stderr).toContain('--data-level takes 1, 2, 3 or 4, not "5"');
    // Nothing was set: the policy in force is still the one of the first test.
    const still = await elg(['review-policy', ...fed, '--province', '310000', '--json']);
    expect(ReviewPolicyViewSchema.parse(JSON.parse(still.stdout)).rules).toEqual(POLICY.rules);
  });

  it('shows what reviewers wrote with control characters replaced, and refuses an answer off the contract', async () => {
    // Prepare: a real decided review, as JSON, with a reason and a reviewer name that would
    // rewrite the terminal
    const decided = await elg([
      'reviews',
      'list',
      ...fed,
      '--province',
      '310000',
      '--state',
      'decided',
      '--json',
    ]);
    const real = ReviewQueuePageSchema.parse(JSON.parse(decided.stdout)).items[0];
    expect(real).toBeDefined();
    const tampered = {
      ...real,
      decisions: (real?.decisions ?? []).map((d) => ({
        ...d,
        reason: 'ok\u001b[2J\u202egone',
        reviewerName: 'x\ry',
      })),
    };
    const hostile = await standIn(200, tampered);
    const odd = await standIn(200, { ...tampered, state: 'maybe' });
    try {
      const at = (url: string) => ['--url', url, '--token', 'any'];

      // Act
      const shown = await elg(['reviews', 'show', ...at(hostile.url), real?.reviewId ?? '']);
      const off = await elg(['reviews', 'show', ...at(odd.url), real?.reviewId ?? '']);

      // Assess
      expect(shown.code).toBe(0);
      for (const c of ['\u001b', '\u202e', '\r']) expect(shown.stdout).not.toContain(c);
      expect(shown.stdout).toContain('(x\uFFFDy): ok\uFFFD[2J\uFFFDgone\n');
      expect(off.code).toBe(1);
      expect(off.stdout).toBe('');
      expect(off.stderr).toMatch(/^error: the gateway's review answer does not match the contract: state/);
    } finally {
      await Promise.all([hostile, odd].map((s) => new Promise<void>((r) => s.server.close(() => r()))));
    }
  });

  it('verify sends --data-level and a call no rule matches is answered at once', async () => {
    // Act
    const plain = await elg([
      'verify',
      ...fed,
      '--province',
      '330000',
      identifier,
      '--matter',
      'ZJ-0001',
      '--data-level',
      '1',
      '--json',
    ]);

    // Assess
    expect(plain.code).toBe(0);
    const answer = VerifyResponseSchema.parse(JSON.parse(plain.stdout));
    expect(answer.verdict).toBe('valid');
    expect(answer.reviewId).toBeUndefined();
    expect(answer.license).toMatchObject({ dataLevel: 1 });
  });
});
