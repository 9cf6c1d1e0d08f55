import type { z } from 'zod';
import { parseIdentifier } from '../../contracts/codes/index.ts';
import { firstIssue } from '../../contracts/issue-text.ts';
import {
  FileReportRequestSchema,
  FilingIdSchema,
  type QueueState,
  QueueStateSchema,
  type ReportField,
  ReportFiledSchema,
  ReportIdSchema,
  ReportOutcomeSchema,
  ReportQueuedSchema,
  ReportQueuePageSchema,
  ReportViewSchema,
} from '../../contracts/reports.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import { defineCommand, printedJson } from '../command.ts';
import { CliError, ExitCode, HttpError, UsageError } from '../errors.ts';
import { type Answer, call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { paint, printJson, provinceLabel } from '../output.ts';
import { outcomeLabel, queueTable, reportLines, stateLabel } from '../report-view.ts';
import { didYouMean } from '../suggest.ts';
import { resolveTarget, type Target } from '../target.ts';

const NAME = 'reports';

/** Items a page of the gateway holds at most (`limit` 1-100 on both listings). */
const PAGE_MAX = 100;
/** Items one listing reads at most, so that a huge queue cannot keep the CLI walking for ever. */
export const MAX_ITEMS = 10_000;
const CURSOR = /^[0-9A-Za-z_-]{1,300}$/;
const MAX_FIELDS = 20;

const OPTIONS = {
  identifier: { type: 'string' },
  field: { type: 'string', multiple: true },
  description: { type: 'string' },
  as: { type: 'string' },
  state: { type: 'string' },
  cursor: { type: 'string' },
  limit: { type: 'string' },
  outcome: { type: 'string' },
  reason: { type: 'string' },
  'new-identifier': { type: 'string' },
} as const;

type Option = keyof typeof OPTIONS;

const SUBCOMMANDS = ['file', 'list', 'show', 'resolve'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The options each subcommand takes, beyond the common ones. */
const TAKES: Record<Subcommand, readonly Option[]> = {
  file: ['identifier', 'field', 'description', 'as'],
  list: ['state', 'cursor', 'limit'],
  show: ['as'],
  resolve: ['outcome', 'reason', 'new-identifier'],
};

const FIELD_SYNTAX = 'PATH=PROBLEM[=SUGGESTED]';

interface Values {
  federation?: string | undefined;
  province?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
  identifier?: string | undefined;
  field?: string[] | undefined;
  description?: string | undefined;
  as?: string | undefined;
  state?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
  outcome?: string | undefined;
  reason?: string | undefined;
  'new-identifier'?: string | undefined;
}

export const reports = defineCommand({
  name: NAME,
  summary: 'error reports (差错反馈): file one on a license, list the queue, show, resolve',
  usage: [
    `usage: elg reports file --identifier ID --field ${FIELD_SYNTAX} [--field ...] --description TEXT`,
    '                        [--as platform|holder]',
    '       elg reports list [--state open|due-soon|overdue|resolved] [--limit N] [--cursor C]',
    '       elg reports show ID [--as platform|holder|issuer]',
    '       elg reports resolve ID --outcome corrected|rejected|duplicate --reason TEXT',
    '                          [--new-identifier ID]',
    '',
    'A service window (a platform) or the holder reports what is wrong in a license; the issuing',
    'department answers within its deadline (5 working days by default), and the answer goes back',
    'to the province that filed the report (docs/protocol.md §17).',
    '',
    'file     POST /v1/reports in --province, as its platform (or the holder, --as holder): a',
    '         license of another province is delivered to its issuing province. Prints the report',
    '         id, its state and due date; when the issuing province does not answer yet, the',
    '         filing id and "delivering": the delivery is retried until it answers.',
    `  --identifier ID      the license reported (the version seen)`,
    `  --field ${FIELD_SYNTAX}`,
    '                       a field that is wrong, repeated for each (1-20): its path as the API',
    '                       shows the license (holder.name, validUntil, fields.businessScope), the',
    '                       problem in words (no "=" in it) and, if known, the right value; e.g.',
    '                       --field holder.name=姓名错一字=张珊',
    '  --description TEXT   what was found, and where (at most 2,000 characters)',
    '  --as ROLE            platform (default) or holder (the holder of the license)',
    'list     GET /v1/reports, as the issuer of --province: the reports on licenses of its',
    '         department, one line each (report id, identifier, due date, overdue, reporter,',
    '         fields), following the pages to the end (or --limit). --json prints {"items": [...]}',
    '         of every page read (and "cursor" when --limit stopped it early).',
    '  --state STATE        open (default: every open report, overdue ones too, by due date),',
    '                       due-soon (due today or next working day), overdue, or resolved',
    '                       (newest first)',
    `  --limit N            at most N reports in all (1-${MAX_ITEMS})`,
    '  --cursor C           start from this page, as a listing named it',
    'show     GET /v1/reports/{ID}: the report as its reporter sees it in --province (ID is the',
    '         report id, or the filing id while delivering), or as the issuing department does',
    '         (--as issuer, in the issuing province).',
    '  --as ROLE            platform (default), holder or issuer',
    'resolve  POST /v1/reports/{ID}/resolution, as the issuer of --province: the answer, sent on to',
    '         the province that filed the report.',
    '  --outcome OUTCOME    corrected (a new version carries the correction), rejected (不予更正)',
    '                       or duplicate',
    '  --reason TEXT        why (at most 1,000 characters), told to the reporter',
    '  --new-identifier ID  for corrected, and only then: the new version issued for this report',
    '                       (the gateway checks it is a newer version of the reported license)',
    'Exit status: 0 done, 1 the gateway refused (its error code and message are printed) or did',
    'not answer, 2 usage.',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 2, names: `one of ${SUBCOMMANDS.join(', ')}, and an ID for show and resolve` },
  async run({ values, positionals }, io) {
    const [rawSub = '', id] = positionals;
    const sub = SUBCOMMANDS.find((s) => s === rawSub);
    if (!sub) {
      throw new UsageError(
        `unknown reports command ${JSON.stringify(rawSub)}${didYouMean(rawSub, SUBCOMMANDS) || `; one of ${SUBCOMMANDS.join(', ')}`}`,
        NAME,
      );
    }
    const stray = (Object.keys(OPTIONS) as Option[]).find(
      (o) => values[o] !== undefined && !TAKES[sub].includes(o),
    );
    if (stray) {
      const of = SUBCOMMANDS.filter((s) => TAKES[s].includes(stray)).map((s) => `reports ${s}`);
      throw new UsageError(`--${stray} is an option of ${of.join(' and ')}, not of reports ${sub}`, NAME);
    }
    const takesId = sub === 'show' || sub === 'resolve';
    if (takesId && id === undefined) throw new UsageError(`reports ${sub} needs a report ID`, NAME);
    if (!takesId && id !== undefined) throw new UsageError(`reports ${sub} takes no ID (got ${id})`, NAME);
    switch (sub) {
      case 'file':
        return file(values, io);
      case 'list':
        return list(values, io);
      case 'show':
        return show(id ?? '', values, io);
      case 'resolve':
        return resolve(id ?? '', values, io);
    }
  },
});

/** `--as`: one of the roles the subcommand is called as, the first the default. */
function roleOf<R extends string>(values: Values, roles: readonly [R, ...R[]]): R {
  const given = values.as ?? roles[0];
  const role = roles.find((r) => r === given);
  if (!role) throw new UsageError(`--as takes ${roles.join(' or ')}, not ${given}`, NAME);
  return role;
}

/** `holder.name=姓名错一字=张珊`: the path, the problem, and what follows a second `=` as the right value. */
export function parseField(spec: string): ReportField {
  const first = spec.indexOf('=');
  if (first < 0) {
    throw new UsageError(
      `--field ${JSON.stringify(spec)}: takes ${FIELD_SYNTAX}, e.g. holder.name=姓名错一字=张珊`,
      NAME,
    );
  }
  const path = spec.slice(0, first);
  const rest = spec.slice(first + 1);
  const second = rest.indexOf('=');
  return second < 0
    ? { path, problem: rest }
    : { path, problem: rest.slice(0, second), suggested: rest.slice(second + 1) };
}

async function file(values: Values, io: Io): Promise<ExitCode> {
  const role = roleOf(values, ['platform', 'holder']);
  const specs = values.field ?? [];
  if (values.identifier === undefined) throw new UsageError('reports file needs --identifier ID', NAME);
  if (specs.length === 0) throw new UsageError(`reports file needs --field ${FIELD_SYNTAX}`, NAME);
  if (specs.length > MAX_FIELDS) throw new UsageError(`at most ${MAX_FIELDS} --field a report`, NAME);
  const fields = specs.map(parseField);
  if (values.description === undefined) throw new UsageError('reports file needs --description TEXT', NAME);
  const raw = { identifier: values.identifier, fields, description: values.description };
  const parsed = FileReportRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    const [head, index, member] = issue?.path ?? [];
    const spec = typeof index === 'number' ? specs[index] : undefined;
    const where =
      head === 'fields' && spec !== undefined
        ? `--field ${JSON.stringify(spec)}${member === undefined ? '' : `: ${String(member)}`}`
        : `--${String(head ?? 'field')}`;
    throw new UsageError(`${where}: ${issue?.message ?? 'invalid'}`, NAME);
  }
  const issuedIn = parseIdentifier(parsed.data.identifier);
  const issuer = issuedIn.ok ? issuerProvinceOf(issuedIn.value) : undefined;

  const target = await resolveTarget(values, role, io);
  const answer = await call(target, 'POST', '/v1/reports', { body: parsed.data });
  const p = paint(io);
  if (answer.status === 202) {
    const queued = expectShape(ReportQueuedSchema, answer, 'report filing');
    if (printedJson(values, io, answer.body)) return ExitCode.ok;
    const to = issuer ? provinceLabel(issuer) : 'the issuing province';
    io.out(`${p.bold('filed, not delivered yet')}: ${to} did not answer\n`);
    io.out(`  filing id  ${queued.filingId}\n`);
    io.out(
      `  state      ${stateLabel(queued.state)}: retried until ${to} answers (1 s, doubling to 5 minutes)\n`,
    );
    io.out(`see: elg reports show --province ${target.province} ${queued.filingId}\n`);
    return ExitCode.ok;
  }
  const filed = expectShape(ReportFiledSchema, answer, 'report filing');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  io.out(`${p.bold(filed.reportId)} filed with ${provinceLabel(filed.reportId.slice(0, 6))}\n`);
  io.out(`  state  ${stateLabel(filed.state)}\n`);
  io.out(`  due    ${filed.dueDate} (办结期限: the issuing department answers by then)\n`);
  io.out(`see: elg reports show --province ${target.province} ${filed.reportId}${asFlag(role)}\n`);
  return ExitCode.ok;
}

const asFlag = (role: string) => (role === 'platform' ? '' : ` --as ${role}`);

/** `--limit` of a listing: at most this many items in all. */
export function limitOf(values: { limit?: string | undefined }, command: string, fallback: number): number {
  if (values.limit === undefined) return fallback;
  const n = Number(values.limit);
  if (!/^\d+$/.test(values.limit) || n < 1 || n > MAX_ITEMS)
    throw new UsageError(`--limit takes a whole number from 1 to ${MAX_ITEMS}`, command);
  return n;
}

export function cursorOf(values: { cursor?: string | undefined }, command: string): string | undefined {
  if (values.cursor !== undefined && !CURSOR.test(values.cursor))
    throw new UsageError('--cursor takes the cursor a listing named (letters, digits, - and _)', command);
  return values.cursor;
}

/** Every page read, its items checked against the contract and as received, for `--json`. */
export interface Pages<T> {
  items: T[];
  raw: unknown[];
  /** Where to go on: set only when `limit` stopped the reading before the last page. */
  cursor?: string;
}

/**
 * Follows the cursors of a listing (`items`, `cursor`) from `cursor` until its last page or
 * `limit` items, each page checked against `schema` before anything of it is kept.
 */
export async function readPages<T>(
  target: Target,
  path: string,
  query: Record<string, string>,
  schema: z.ZodType<{ items: T[]; cursor?: string | undefined }>,
  what: string,
  limit: number,
  cursor?: string,
): Promise<Pages<T>> {
  const out: Pages<T> = { items: [], raw: [] };
  let next = cursor;
  for (;;) {
    const room = limit - out.items.length;
    const qs = new URLSearchParams({
      ...query,
      limit: String(Math.min(PAGE_MAX, room)),
      ...(next ? { cursor: next } : {}),
    });
    const answer: Answer = await call(target, 'GET', `${path}?${qs}`);
    const page = expectShape(schema, answer, what);
    out.items.push(...page.items);
    out.raw.push(...(answer.body as { items: unknown[] }).items);
    next = page.cursor;
    if (next === undefined || page.items.length === 0) return out;
    if (out.items.length >= limit) {
      out.cursor = next;
      return out;
    }
  }
}

async function list(values: Values, io: Io): Promise<ExitCode> {
  let state: QueueState = 'open';
  if (values.state !== undefined) {
    const parsed = QueueStateSchema.safeParse(values.state);
    if (!parsed.success) {
      throw new UsageError(
        `--state takes ${QueueStateSchema.options.join(', ')}, not ${JSON.stringify(values.state)}`,
        NAME,
      );
    }
    state = parsed.data;
  }
  const limit = limitOf(values, NAME, MAX_ITEMS);
  const cursor = cursorOf(values, NAME);
  const target = await resolveTarget(values, 'issuer', io);
  const pages = await readPages(
    target,
    '/v1/reports',
    { state },
    ReportQueuePageSchema,
    'report queue',
    limit,
    cursor,
  );
  if (values.json) {
    printJson(io, { items: pages.raw, ...(pages.cursor ? { cursor: pages.cursor } : {}) });
    return ExitCode.ok;
  }
  const p = paint(io);
  const whose = `${target.department ? `${target.department.name}, ` : ''}${provinceLabel(target.province)}`;
  const n = pages.items.length;
  const what = state === 'due-soon' ? 'open reports due soon' : `${state} reports`;
  if (n === 0) {
    io.out(`no ${what} for ${whose}\n`);
  } else {
    io.out(`${n} ${n === 1 ? what.replace('reports', 'report') : what} for ${whose}\n\n`);
    io.out(queueTable(pages.items, state === 'resolved', p));
    const overdue = pages.items.filter((r) => r.overdue).length;
    if (overdue > 0) io.out(`\n${p.red(`${overdue} overdue 逾期`)}: past their due date and still open\n`);
  }
  if (pages.cursor) {
    io.out(
      `\nmore: elg reports list --province ${target.province} --state ${state} --limit ${limit} --cursor ${pages.cursor}\n`,
    );
  }
  return ExitCode.ok;
}

function reportPath(id: string): string {
  return `/v1/reports/${encodeURIComponent(id)}`;
}

async function show(id: string, values: Values, io: Io): Promise<ExitCode> {
  if (!ReportIdSchema.safeParse(id).success && !FilingIdSchema.safeParse(id).success) {
    throw new UsageError(
      `${id} is not a report id (310000-01J…: a province, "-" and a ULID) or a filing id (a ULID)`,
      NAME,
    );
  }
  const role = roleOf(values, ['platform', 'holder', 'issuer']);
  const target = await resolveTarget(values, role, io);
  let answer: Answer;
  try {
    answer = await call(target, 'GET', reportPath(id));
  } catch (err) {
    throw notFoundHint(err, id, role, target.province, values.as === undefined);
  }
  const view = expectShape(ReportViewSchema, answer, 'report');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  io.out(reportLines(view, paint(io)));
  return ExitCode.ok;
}

/**
 * NOT_FOUND with what it often means: a report is read where it was filed (its platform or
 * holder) or where it is answered (its department's issuer), and by no one else.
 */
function notFoundHint(err: unknown, id: string, role: string, province: string, defaulted: boolean): unknown {
  if (!(err instanceof HttpError) || err.code !== 'NOT_FOUND') return err;
  const own = id.startsWith(`${province}-`);
  const hint =
    defaulted && own
      ? ` (as ${role}: the issuing department reads it with --as issuer)`
      : ` (as ${role} of ${province}: a report is shown where it was filed, to its platforms or holder, and where it is answered, to the department's issuers)`;
  return new HttpError(err.status, err.code, `${err.message}${hint}`, err.traceId, err.issues, err.body);
}

async function resolve(id: string, values: Values, io: Io): Promise<ExitCode> {
  if (!ReportIdSchema.safeParse(id).success) {
    throw new UsageError(`${id} is not a report id (310000-01J…: a province, "-" and a ULID)`, NAME);
  }
  const outcome = ReportOutcomeSchema.safeParse(values.outcome);
  if (values.outcome === undefined)
    throw new UsageError(`reports resolve needs --outcome ${ReportOutcomeSchema.options.join('|')}`, NAME);
  if (!outcome.success) {
    throw new UsageError(
      `--outcome takes ${ReportOutcomeSchema.options.join(', ')}, not ${JSON.stringify(values.outcome)}`,
      NAME,
    );
  }
  if (values.reason === undefined) throw new UsageError('reports resolve needs --reason TEXT', NAME);
  const newIdentifier = values['new-identifier'];
  if (newIdentifier !== undefined) {
    const parsed = parseIdentifier(newIdentifier);
    if (!parsed.ok) {
      throw new UsageError(
        `--new-identifier is not a license identifier: ${parsed.issue.segment}: ${parsed.issue.reason}`,
        NAME,
      );
    }
  }
  // Which outcome names a new version, and which version it may be, is the gateway's to decide
  // (it alone knows the versions issued for the report): its 400 says what is wrong.
  const body = {
    outcome: outcome.data,
    reason: values.reason,
    ...(newIdentifier === undefined ? {} : { newIdentifier }),
  };
  const target = await resolveTarget(values, 'issuer', io);
  const answer = await call(target, 'POST', `${reportPath(id)}/resolution`, { body });
  const view = expectShape(ReportViewSchema, answer, 'resolution');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  if (view.outcome === undefined) {
    throw new CliError(`the gateway answered the resolution of ${id} with no outcome`, ExitCode.failed);
  }
  const p = paint(io);
  io.out(`${p.bold(id)} resolved: ${outcomeLabel(view.outcome)}\n`);
  const reporter = view.reporter.province;
  if (reporter !== target.province) {
    io.out(`the outcome goes to ${provinceLabel(reporter)}, which filed it (retried until delivered)\n`);
  }
  io.out(`\n${reportLines(view, p)}`);
  return ExitCode.ok;
}
