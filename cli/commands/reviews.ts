import { firstIssue } from '../../contracts/issue-text.ts';
import {
  CallerReviewSchema,
  DecisionRequestSchema,
  HeldReviewSchema,
  ReviewIdSchema,
  ReviewQueuePageSchema,
} from '../../contracts/reviews.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, HttpError, UsageError } from '../errors.ts';
import { type Answer, call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { paint, printJson, provinceLabel } from '../output.ts';
import { approvalsOf, callerLines, heldLines, reviewStateLabel, reviewsTable } from '../review-view.ts';
import { didYouMean } from '../suggest.ts';
import { type CommonValues, resolveTarget } from '../target.ts';
import { cursorOf, limitOf, MAX_ITEMS, readPages } from './reports.ts';

const NAME = 'reviews';

const OPTIONS = {
  state: { type: 'string' },
  cursor: { type: 'string' },
  limit: { type: 'string' },
  as: { type: 'string' },
  reason: { type: 'string' },
} as const;

type Option = keyof typeof OPTIONS;

const SUBCOMMANDS = ['list', 'show', 'approve', 'reject'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The options each subcommand takes, beyond the common ones. */
const TAKES: Record<Subcommand, readonly Option[]> = {
  list: ['state', 'cursor', 'limit'],
  show: ['as'],
  approve: ['reason'],
  reject: ['reason'],
};

const QUEUE_STATES = ['pending', 'decided'] as const;
const SHOW_ROLES = ['reviewer', 'platform'] as const;

interface Values extends CommonValues {
  json?: boolean | undefined;
  state?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
  as?: string | undefined;
  reason?: string | undefined;
}

export const reviews = defineCommand({
  name: NAME,
  summary: 'manual review (人工复核): held verifications, as reviewer list, show, approve, reject',
  usage: [
    'usage: elg reviews list [--state pending|decided] [--limit N] [--cursor C]',
    '       elg reviews show ID [--as reviewer|platform]',
    '       elg reviews approve ID --reason TEXT',
    '       elg reviews reject ID --reason TEXT',
    '',
    "A verification of this province's licenses that matches its review policy (elg review-policy),",
    'or comes from a province whose breaker holds calls for review, waits for a person here before',
    'anything leaves the province (docs/protocol.md §18). The calling province answers its platform',
    '"unverified" with reason REVIEW_PENDING and the review id until the decision arrives.',
    '',
    'list     GET /v1/reviews, as a reviewer of --province: one line a review (review id, calling',
    '         province, identifier, matter, data level, approvals so far/needed, expiry), following',
    '         the pages to the end (or --limit). --json prints {"items": [...]} of every page read',
    '         (and "cursor" when --limit stopped it early).',
    '  --state STATE   pending (default, oldest first) or decided (newest first)',
    `  --limit N       at most N reviews in all (1-${MAX_ITEMS})`,
    '  --cursor C      start from this page, as a listing named it',
    'show     GET /v1/reviews/{ID}: as a reviewer of the granting province (the province the id',
    '         starts with), everything the request said and the decisions so far; --as platform,',
    '         in the calling province, the wait: the verdict it reads now with its reasons, the',
    "         state, when it was decided and whether the granting province's signature is present.",
    '  --as ROLE       reviewer (default) or platform',
    'approve  POST /v1/reviews/{ID}/decisions, as a reviewer of --province: one approval decides',
    '         below data level 3, two different reviewers from level 3 (four eyes). The answer is',
    '         computed at approval and delivered to the calling province (retried until delivered).',
    'reject   the same, rejecting: one rejection ends the review.',
    '  --reason TEXT   why (1-500 characters), told to the calling province',
    'Exit status: 0 done, 1 the gateway refused (its error code and message are printed, e.g.',
    '409 CONFLICT for a review already decided) or did not answer, 2 usage.',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 2, names: `one of ${SUBCOMMANDS.join(', ')}, and an ID but for list` },
  async run({ values, positionals }, io) {
    const [rawSub = '', id] = positionals;
    const sub = SUBCOMMANDS.find((s) => s === rawSub);
    if (!sub) {
      throw new UsageError(
        `unknown reviews command ${JSON.stringify(rawSub)}${didYouMean(rawSub, SUBCOMMANDS) || `; one of ${SUBCOMMANDS.join(', ')}`}`,
        NAME,
      );
    }
    const stray = (Object.keys(OPTIONS) as Option[]).find(
      (o) => values[o] !== undefined && !TAKES[sub].includes(o),
    );
    if (stray) {
      const of = SUBCOMMANDS.filter((s) => TAKES[s].includes(stray)).map((s) => `reviews ${s}`);
      throw new UsageError(`--${stray} is an option of ${of.join(' and ')}, not of reviews ${sub}`, NAME);
    }
    if (sub === 'list') {
      if (id !== undefined) throw new UsageError(`reviews list takes no ID (got ${id})`, NAME);
      return list(values, io);
    }
    if (id === undefined) throw new UsageError(`reviews ${sub} needs a review ID`, NAME);
    if (!ReviewIdSchema.safeParse(id).success) {
      throw new UsageError(
        `${id} is not a review id (310000-01J…: the granting province, "-" and a ULID)`,
        NAME,
      );
    }
    return sub === 'show' ? show(id, values, io) : decide(sub, id, values, io);
  },
});

async function list(values: Values, io: Io): Promise<ExitCode> {
  const state = values.state ?? 'pending';
  if (!QUEUE_STATES.some((s) => s === state)) {
    throw new UsageError(`--state takes ${QUEUE_STATES.join(' or ')}, not ${JSON.stringify(state)}`, NAME);
  }
  const limit = limitOf(values, NAME, MAX_ITEMS);
  const cursor = cursorOf(values, NAME);
  const target = await resolveTarget(values, 'reviewer', io);
  const pages = await readPages(
    target,
    '/v1/reviews',
    { state },
    ReviewQueuePageSchema,
    'review queue',
    limit,
    cursor,
  );
  if (values.json) {
    printJson(io, { items: pages.raw, ...(pages.cursor ? { cursor: pages.cursor } : {}) });
    return ExitCode.ok;
  }
  const where = provinceLabel(target.province);
  const n = pages.items.length;
  if (n === 0) {
    io.out(`no ${state} reviews in ${where}${cursor ? ' from there on' : ''}\n`);
  } else {
    const order = state === 'pending' ? 'oldest first' : 'newest first';
    io.out(`${n} ${state} review${n === 1 ? '' : 's'} in ${where}, ${order}\n\n`);
    io.out(reviewsTable(pages.items, state === 'decided', paint(io)));
  }
  if (pages.cursor) {
    io.out(
      `\nmore: elg reviews list --province ${target.province} --state ${state} --limit ${limit} --cursor ${pages.cursor}\n`,
    );
  }
  return ExitCode.ok;
}

function reviewPath(id: string): string {
  return `/v1/reviews/${encodeURIComponent(id)}`;
}

async function show(id: string, values: Values, io: Io): Promise<ExitCode> {
  const given = values.as ?? SHOW_ROLES[0];
  const role = SHOW_ROLES.find((r) => r === given);
  if (!role) throw new UsageError(`--as takes ${SHOW_ROLES.join(' or ')}, not ${given}`, NAME);
  const target =
    role === 'reviewer' ? await resolveTarget(values, 'reviewer', io) : await resolveTarget(values, role, io);
  let answer: Answer;
  try {
    answer = await call(target, 'GET', reviewPath(id));
  } catch (err) {
    throw notFoundHint(err, id, role, target.province);
  }
  const p = paint(io);
  if (role === 'reviewer') {
    const view = expectShape(HeldReviewSchema, answer, 'review');
    if (!printedJson(values, io, answer.body)) io.out(heldLines(view, p));
  } else {
    const view = expectShape(CallerReviewSchema, answer, 'review');
    if (!printedJson(values, io, answer.body)) io.out(callerLines(view, p));
  }
  return ExitCode.ok;
}

/**
 * NOT_FOUND with what it often means: a review is held, and read by its reviewers, at the
 * granting province its id names; the calling province's platforms read their wait there.
 */
function notFoundHint(err: unknown, id: string, role: string, province: string): unknown {
  if (!(err instanceof HttpError) || err.code !== 'NOT_FOUND') return err;
  const grantor = id.slice(0, 6);
  const hint =
    role === 'reviewer'
      ? grantor === province
        ? ' (as reviewer: the calling province reads its wait with --as platform, in its own --province)'
        : ` (as reviewer of ${province}: the review is held at ${provinceLabel(grantor)}, --province ${grantor}; the calling province reads it with --as platform)`
      : ` (as platform of ${province}: the wait is read in the calling province; the reviewers of ${provinceLabel(grantor)} read the review without --as)`;
  return new HttpError(err.status, err.code, `${err.message}${hint}`, err.traceId, err.issues, err.body);
}

async function decide(sub: 'approve' | 'reject', id: string, values: Values, io: Io): Promise<ExitCode> {
  if (values.reason === undefined) throw new UsageError(`reviews ${sub} needs --reason TEXT`, NAME);
  const parsed = DecisionRequestSchema.safeParse({ decision: sub, reason: values.reason });
  if (!parsed.success)
    throw new UsageError(`--reason: ${firstIssue(parsed.error)?.message ?? 'invalid'}`, NAME);
  const target = await resolveTarget(values, 'reviewer', io);
  const answer = await call(target, 'POST', `${reviewPath(id)}/decisions`, { body: parsed.data });
  const view = expectShape(HeldReviewSchema, answer, 'decision');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  const p = paint(io);
  const did = sub === 'approve' ? 'approval' : 'rejection';
  io.out(
    `${p.bold(id)}: ${did} recorded; state ${reviewStateLabel(view.state)}, approvals ${approvalsOf(view)}\n`,
  );
  if (view.state === 'pending') {
    io.out('another reviewer decides next (two different reviewers from data level 3)\n');
  } else {
    io.out(`the outcome goes to ${provinceLabel(view.caller)}, which asked (retried until delivered)\n`);
  }
  io.out(`\n${heldLines(view, p)}`);
  return ExitCode.ok;
}
