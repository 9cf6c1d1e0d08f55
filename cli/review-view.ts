import type {
  BreakerView,
  CallerReview,
  Decision,
  HeldReview,
  ReviewPolicyView,
  ReviewRule,
  ReviewState,
} from '../contracts/reviews.ts';
import type { VerifyResponse } from '../contracts/verify.ts';
import { displayWidth } from '../lib/audit/display-width.ts';
import { beijingTime } from './holder-view.ts';
import { fieldLines, type Paint, provinceLabel } from './output.ts';
import { oneLine } from './report-view.ts';

/**
 * Manual review and breakers as people read them (docs/protocol.md §18): the review policy in
 * force, a granting province's held requests, the calling province's wait, the breakers. Text
 * people wrote (reasons, names, use causes) is shown as one line, as report-view does.
 */

const STATES: Record<ReviewState, string> = {
  pending: '待复核 pending',
  approved: '已批准 approved',
  rejected: '已驳回 rejected',
  expired: '已过期 expired',
};

const HELD: Record<HeldReview['heldBecause'], string> = {
  policy: 'policy: a rule of the review policy matched',
  breaker: "breaker: the caller's breaker is open (whenOpen: review)",
};

const VERDICTS: Record<VerifyResponse['verdict'], string> = {
  valid: '✔ VALID 核验通过',
  invalid: '✘ INVALID 核验不通过',
  unverified: '? UNVERIFIED 无法确认',
};

const TRIPS: Record<NonNullable<BreakerView['trippedBecause']>, string> = {
  rate: 'rate: too many calls in a minute',
  'not-found-share': 'not-found-share: too many NOT_FOUND answers',
};

export function reviewStateLabel(state: ReviewState): string {
  return STATES[state];
}

const time = (iso: string | undefined) => (iso === undefined ? undefined : `${beijingTime(iso)} (北京时间)`);

/** Approvals so far of the approvals needed: `1/2`. */
export function approvalsOf(r: HeldReview): string {
  return `${r.decisions.filter((d) => d.decision === 'approve').length}/${r.approvalsNeeded}`;
}

/** `matter ZJ-GA-01; license types 111; data level ≥ 3; from 330000 浙江`, or `every call`. */
export function ruleText(rule: ReviewRule): string {
  const parts = [
    rule.matterCodes ? `matter ${rule.matterCodes.join(', ')}` : undefined,
    rule.licenseTypes ? `license type ${rule.licenseTypes.join(', ')}` : undefined,
    rule.minDataLevel === undefined ? undefined : `data level ≥ ${rule.minDataLevel}`,
    rule.peers ? `from ${rule.peers.map(provinceLabel).join(', ')}` : undefined,
  ].filter((p) => p !== undefined);
  return parts.length === 0 ? 'every call' : oneLine(parts.join('; '));
}

/** The policy in force: its rules, one a line, the breaker's settings, and who changed it when. */
export function policyLines(view: ReviewPolicyView, province: string, paint: Paint): string {
  const b = view.breaker;
  const n = view.rules.length;
  const rules =
    n === 0
      ? '  (none: no call waits for a reviewer, unless a breaker holds it)\n'
      : view.rules.map((r, i) => `  ${String(i + 1).padStart(String(n).length)}  ${ruleText(r)}\n`).join('');
  const breaker = fieldLines(
    [
      ['trips at', `more than ${b.callsPerMinute} calls a minute from one province`],
      [
        'or at',
        `more than ${b.notFoundShare} of at least ${b.minCalls} calls in ${b.windowMinutes} min answered NOT_FOUND`,
      ],
      [
        'when open',
        b.whenOpen === 'refuse'
          ? 'refuse (429 CIRCUIT_OPEN) until an operator releases it'
          : 'review (every call held for a reviewer) until an operator releases it',
      ],
    ],
    '  ',
  );
  const changed =
    view.updatedAt === undefined
      ? 'never (the defaults)'
      : `${time(view.updatedAt)}${view.updatedBy === undefined ? '' : ` by ${oneLine(view.updatedBy)}`}`;
  return [
    `${paint.bold(`review policy of ${provinceLabel(province)}`)}\n`,
    `rules (${n}): a verification of this province's licenses that matches one waits for a reviewer\n`,
    rules,
    'breaker (per calling province)\n',
    breaker,
    `changed  ${changed}\n`,
  ].join('');
}

/** `2026-06-01 16:05:07 (北京时间) approve reviewer@310000 (王五): 手续齐全`. */
function decisionLine(d: Decision): string {
  const who = `${oneLine(d.reviewer)}${d.reviewerName === undefined ? '' : ` (${oneLine(d.reviewerName)})`}`;
  return `${time(d.at)} ${d.decision} ${who}: ${oneLine(d.reason)}`;
}

/** A held request as its reviewers see it: everything the request said, then the decisions. */
export function heldLines(r: HeldReview, paint: Paint): string {
  const q = r.request;
  const requester = `${oneLine(q.requester.platform)}${q.requester.officerRef === undefined ? '' : ` (officer ${oneLine(q.requester.officerRef)})`}`;
  const rows = fieldLines(
    [
      ['state', reviewStateLabel(r.state)],
      ['caller', provinceLabel(r.caller)],
      ['identifier', q.identifier],
      ['license type', oneLine(r.licenseType)],
      ['matter', q.matterCode],
      ['use cause', oneLine(q.useCause)],
      ['requester', requester],
      [
        'data level',
        `${r.dataLevel}${q.dataLevel === undefined ? " (none asked: the grant's)" : ' (asked)'}`,
      ],
      ['seal', q.seal === undefined ? undefined : `until ${q.seal.until}: ${oneLine(q.seal.basis)}`],
      ['agreement', oneLine(r.agreementId)],
      ['held', HELD[r.heldBecause]],
      [
        'approvals',
        `${approvalsOf(r)}${r.approvalsNeeded === 2 ? ' (two different reviewers from data level 3: four eyes)' : ''}`,
      ],
      ['requested', time(r.createdAt)],
      ['expires', time(r.expiresAt)],
      ['decided', time(r.decidedAt)],
    ],
    '  ',
  );
  const decisions =
    r.decisions.length === 0
      ? '  decisions  none yet\n'
      : `  decisions\n${r.decisions.map((d) => `    ${decisionLine(d)}\n`).join('')}`;
  return `${paint.bold(r.reviewId)}\n${rows}${decisions}`;
}

/** The calling province's wait: the verdict it reads now, with its reasons, and the signed decision. */
export function callerLines(r: CallerReview, paint: Paint): string {
  const v = r.verdict;
  const color = v.verdict === 'valid' ? paint.green : v.verdict === 'invalid' ? paint.red : paint.yellow;
  const signature =
    r.decisionSignature === undefined
      ? r.state === 'pending'
        ? 'none yet (no decision has arrived)'
        : 'absent'
      : `present: ${provinceLabel(r.issuer)}'s ELG-Signature over the decision as delivered`;
  const rows = fieldLines(
    [
      ['state', reviewStateLabel(r.state)],
      ['verdict', color(VERDICTS[v.verdict])],
      ['issuer', provinceLabel(r.issuer)],
      ['identifier', r.identifier],
      ['requested', time(r.requestedAt)],
      ['decided', time(r.decidedAt)],
      ['reason', r.reason === undefined ? undefined : oneLine(r.reason)],
      ['signature', signature],
      ['trace', v.traceId],
    ],
    '  ',
  );
  const reasons =
    v.reasons.length === 0
      ? ''
      : `  reasons\n${fieldLines(
          v.reasons.map((x) => [x.code, oneLine(x.message)] as const),
          '    ',
        )}`;
  return `${paint.bold(r.reviewId)}\n${rows}${reasons}`;
}

const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

/** Rows as columns parted by two spaces, the last column not padded. */
function table(columns: readonly string[], rows: readonly (readonly string[])[], paint: Paint): string {
  const widths = columns.map((title, i) =>
    Math.max(displayWidth(title), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i < r.length - 1 ? pad(c, widths[i] ?? 0) : c))
      .join('  ')
      .trimEnd();
  return `${[paint.bold(line(columns)), ...rows.map(line)].join('\n')}\n`;
}

/** The reviewers' queue, one line a review, in the order the gateway gave them. */
export function reviewsTable(items: readonly HeldReview[], decided: boolean, paint: Paint): string {
  const columns = [
    'REVIEW',
    'CALLER',
    'IDENTIFIER',
    'MATTER',
    'LEVEL',
    'APPROVALS',
    ...(decided ? ['STATE', 'DECIDED (北京时间)'] : ['EXPIRES (北京时间)']),
  ];
  const rows = items.map((r) => [
    r.reviewId,
    provinceLabel(r.caller),
    r.request.identifier,
    r.request.matterCode,
    String(r.dataLevel),
    approvalsOf(r),
    ...(decided
      ? [reviewStateLabel(r.state), r.decidedAt === undefined ? '-' : beijingTime(r.decidedAt)]
      : [beijingTime(r.expiresAt)]),
  ]);
  return table(columns, rows, paint);
}

/** The breakers of the calling provinces, one line each. */
export function breakersTable(items: readonly BreakerView[], paint: Paint): string {
  const columns = ['PROVINCE', 'STATE', 'TRIPPED BECAUSE', 'TRIPPED (北京时间)', 'COUNTS', 'RELEASED'];
  const rows = items.map((b) => [
    provinceLabel(b.peer),
    b.state,
    b.trippedBecause === undefined ? '-' : TRIPS[b.trippedBecause],
    b.trippedAt === undefined ? '-' : beijingTime(b.trippedAt),
    b.counts === undefined
      ? '-'
      : `${b.counts.calls} calls, ${b.counts.notFound} NOT_FOUND in ${b.counts.windowMinutes} min`,
    b.releasedAt === undefined
      ? '-'
      : `${beijingTime(b.releasedAt)}${b.releasedBy === undefined ? '' : ` by ${oneLine(b.releasedBy)}`}`,
  ]);
  return table(columns, rows, paint);
}

/** One breaker, as a release answers it. */
export function breakerLines(b: BreakerView, paint: Paint): string {
  const rows = fieldLines(
    [
      ['state', b.state],
      ['tripped because', b.trippedBecause === undefined ? undefined : TRIPS[b.trippedBecause]],
      ['tripped', time(b.trippedAt)],
      [
        'counts',
        b.counts === undefined
          ? undefined
          : `${b.counts.calls} calls, ${b.counts.notFound} NOT_FOUND in ${b.counts.windowMinutes} min`,
      ],
      ['released', time(b.releasedAt)],
      ['released by', b.releasedBy === undefined ? undefined : oneLine(b.releasedBy)],
    ],
    '  ',
  );
  return `${paint.bold(provinceLabel(b.peer))}\n${rows}`;
}
