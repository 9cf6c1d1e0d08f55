import { firstIssue, issuePath } from '../../contracts/issue-text.ts';
import { type ReviewPolicy, ReviewPolicySchema, ReviewPolicyViewSchema } from '../../contracts/reviews.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { readArgFile } from '../files.ts';
import { call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { paint } from '../output.ts';
import { policyLines } from '../review-view.ts';
import { resolveTarget } from '../target.ts';

const NAME = 'review-policy';

const OPTIONS = {
  set: { type: 'string' },
} as const;

export const reviewPolicy = defineCommand({
  name: NAME,
  summary: 'the review policy and breaker settings (熔断与人工复核) of a province: show or --set',
  usage: [
    'usage: elg review-policy [--set FILE|-]',
    '',
    "Which verifications of this province's licenses wait for a reviewer, and when a calling",
    "province's breaker trips (docs/protocol.md §18.1), as the operator of --province: the rules",
    'one a line, the breaker settings (the defaults until set), who changed it and when.',
    '  --set FILE   replace the policy with the JSON document in FILE (- reads stdin), checked here',
    '               first, then PUT /v1/review-policy; prints the policy in force. E.g.',
    '               {"rules": [{"matterCodes": ["ZJ-GA-01"], "minDataLevel": 3}],',
    '                "breaker": {"callsPerMinute": 60000, "notFoundShare": 0.2, "windowMinutes": 10,',
    '                            "minCalls": 50, "whenOpen": "refuse"}}',
    '               A rule matches when all its members do (matterCodes, licenseTypes, minDataLevel,',
    '               peers); an absent member matches everything, so {} holds every call.',
    'A change takes effect within a second. Exit status: 0 done, 1 the gateway refused or did not',
    'answer, 2 usage (a --set file that is not JSON or not a policy).',
  ],
  options: OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run({ values }, io) {
    const policy = values.set === undefined ? undefined : await policyFrom(values.set, io);
    const target = await resolveTarget(values, 'operator', io);
    const answer =
      policy === undefined
        ? await call(target, 'GET', '/v1/review-policy')
        : await call(target, 'PUT', '/v1/review-policy', { body: policy });
    const view = expectShape(ReviewPolicyViewSchema, answer, 'review policy');
    if (printedJson(values, io, answer.body)) return ExitCode.ok;
    if (policy !== undefined) io.out('set: in force on every instance within a second\n\n');
    io.out(policyLines(view, target.province, paint(io)));
    return ExitCode.ok;
  },
});

/** The policy document of `--set FILE` (or stdin for `-`), checked against the contract. */
async function policyFrom(path: string, io: Io): Promise<ReviewPolicy> {
  const text = path === '-' ? await readStdin() : await readArgFile(path, '--set', io);
  const where = path === '-' ? '--set - (stdin)' : `--set ${path}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${where} is not JSON: ${err instanceof Error ? err.message : String(err)}`, NAME);
  }
  const parsed = ReviewPolicySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new UsageError(`${where} is not a review policy: ${issuePath(issue)}: ${issue?.message}`, NAME);
  }
  return parsed.data;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
