import type { Notice, ReportField, ReportOutcome, ReportState, ReportView } from '../contracts/reports.ts';
import { displayWidth } from '../lib/audit/display-width.ts';
import { beijingTime } from './holder-view.ts';
import { fieldLines, type Paint, provinceLabel, statusLabel } from './output.ts';

/**
 * Error reports and change notices as people read them (docs/protocol.md §17): a report's state,
 * deadline and outcome, a department's queue as a table, a platform's notices newest first.
 */

const STATES: Record<ReportState, string> = {
  delivering: '投递中 delivering',
  open: '待处理 open',
  resolved: '已办结 resolved',
  refused: '被拒收 refused',
};

const OUTCOMES: Record<ReportOutcome, string> = {
  corrected: '已更正 corrected',
  rejected: '不予更正 rejected',
  duplicate: '重复报告 duplicate',
};

const CHANGES: Record<Notice['change'], string> = {
  version: '新版本 version',
  status: '状态变更 status',
};

/**
 * Text a reporter wrote, as one line: any control or invisible format character the gateway let
 * through is shown as U+FFFD rather than let rewrite the terminal.
 */
export function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu, '\uFFFD');
}

export function stateLabel(state: ReportState): string {
  return STATES[state];
}

export function outcomeLabel(outcome: ReportOutcome): string {
  return OUTCOMES[outcome];
}

/** `330000 浙江 platform 浙江省政务服务平台`, `510000 四川 holder 持证人本人`. */
export function reporterLabel(r: ReportView['reporter']): string {
  const who = r.kind === 'platform' ? `platform ${oneLine(r.platform ?? '')}`.trim() : 'holder 持证人本人';
  return `${provinceLabel(r.province)} ${who}`;
}

/** `holder.name: 姓名错一字 → 张珊`. */
export function fieldText(f: ReportField): string {
  return `${f.path}: ${oneLine(f.problem)}${f.suggested === undefined ? '' : ` → ${oneLine(f.suggested)}`}`;
}

function due(r: ReportView, paint: Paint): string | undefined {
  if (r.dueDate === undefined) return undefined;
  return r.overdue ? `${r.dueDate} ${paint.red('OVERDUE 逾期')}` : r.dueDate;
}

/** One report: its id as the heading, then where it is, what it says and, once answered, the answer. */
export function reportLines(r: ReportView, paint: Paint): string {
  // The issuer's report id once there is one; until then the filing's (shown as such).
  const heading = r.reportId ?? `filing ${r.filingId ?? '?'}`;
  const state =
    r.state === 'delivering'
      ? `${stateLabel(r.state)} (retried until ${provinceLabel(r.issuer)} answers)`
      : stateLabel(r.state);
  const rows = fieldLines(
    [
      ['state', state],
      ['filing id', r.reportId === undefined ? undefined : r.filingId],
      ['identifier', r.identifier],
      ['issuer', provinceLabel(r.issuer)],
      ['reporter', reporterLabel(r.reporter)],
      ['filed', `${beijingTime(r.filedAt)} (北京时间)`],
      ['due', due(r, paint)],
      ['outcome', r.outcome === undefined ? undefined : outcomeLabel(r.outcome)],
      ['reason', r.reason === undefined ? undefined : oneLine(r.reason)],
      ['new version', r.newIdentifier],
      ['resolved', r.resolvedAt === undefined ? undefined : `${beijingTime(r.resolvedAt)} (北京时间)`],
      [
        'refused',
        r.refusal === undefined
          ? undefined
          : `HTTP ${r.refusal.status} ${r.refusal.code}: ${oneLine(r.refusal.message)}`,
      ],
      ['description', oneLine(r.description)],
    ],
    '  ',
  );
  const fields = r.fields.map((f) => `    ${fieldText(f)}\n`).join('');
  return `${paint.bold(heading)}\n${rows}  fields\n${fields}`;
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

/** A department's queue: one line a report, in the order the gateway gave them. */
export function queueTable(items: readonly ReportView[], resolved: boolean, paint: Paint): string {
  const columns = [
    'REPORT',
    'IDENTIFIER',
    'DUE 办结期限',
    'OVERDUE',
    'REPORTER',
    ...(resolved ? ['OUTCOME'] : []),
    'FIELDS',
  ];
  const rows = items.map((r) => [
    r.reportId ?? r.filingId ?? '-',
    r.identifier,
    r.dueDate ?? '-',
    r.overdue ? 'OVERDUE 逾期' : '-',
    reporterLabel(r.reporter),
    ...(resolved ? [r.outcome ?? '-'] : []),
    r.fields.map(fieldText).join('; '),
  ]);
  return table(columns, rows, paint);
}

/** A platform's change notices, newest first as the gateway answers them. */
export function noticesTable(items: readonly Notice[], paint: Paint): string {
  const columns = ['TIME (北京时间)', 'FROM', 'CHANGE', 'IDENTIFIER', 'NEW VERSION', 'STATUS NOW'];
  const rows = items.map((n) => [
    beijingTime(n.time),
    provinceLabel(n.from),
    CHANGES[n.change],
    n.identifier,
    n.newIdentifier ?? '-',
    statusLabel(n.status),
  ]);
  return table(columns, rows, paint);
}
