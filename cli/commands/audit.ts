import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AuditActionSchema } from '../../contracts/audit.ts';
import { HolderHashRequestSchema } from '../../contracts/audit-api.ts';
import { parseIdentifier } from '../../contracts/codes/index.ts';
import { TraceIdSchema } from '../../contracts/common.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { firstIssue } from '../../contracts/issue-text.ts';
import { GatewayIdSchema, RootPublicJwkSchema } from '../../contracts/registry.ts';
import { displayWidth } from '../../lib/audit/display-width.ts';
import { assembleTrace } from '../../lib/audit/trace.ts';
import { traceHtml } from '../../lib/audit/trace-html.ts';
import type { TraceReport } from '../../lib/audit/trace-report.ts';
import { registryTraceVerifier } from '../../lib/audit/trace-verifier.ts';
import { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { type EventQuery, searchEvents } from '../audit-events.ts';
import { eventsTable } from '../audit-events-view.ts';
import { defineCommand } from '../command.ts';
import { CliError, ExitCode, HttpError, UnreachableError, UsageError } from '../errors.ts';
import { loadFederation } from '../federation-file.ts';
import type { Io } from '../io.ts';
import { paint, printJson, provinceLabel } from '../output.ts';
import { checkedUrl, resolveTarget, type Target } from '../target.ts';
import { checkCheckpoint, renderCheckpoint } from './audit/checkpoint.ts';
import { collectEvidence, renderEvidence } from './audit/evidence.ts';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

const OPTIONS = {
  html: { type: 'string' },
  identifier: { type: 'string' },
  holder: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  action: { type: 'string' },
  peer: { type: 'string' },
  limit: { type: 'string' },
} as const;

const TRACE_ONLY = ['html'] as const;
const EVENTS_ONLY = ['identifier', 'holder', 'from', 'to', 'action', 'peer', 'limit'] as const;

export const audit = defineCommand({
  name: 'audit',
  summary:
    "trace one call across every province, search the audit trail by license, holder or time,, check a province's checkpoint and its witnesses, or list the witnesses' split-view evidence",
  usage: [
    'usage: elg audit trace TRACE_ID [--html FILE]',
    '       elg audit events (--identifier ID | --holder TYPE:CODE | --from T [--to T])',
    '                        [--action A] [--peer P] [--province P] [--limit N]',
    '       elg audit checkpoint [--province P]',
    '       elg audit evidence [--province P]',
    '',
    'trace: asks every province of the federation (as its auditor) for the events of the trace,',
    "checks each province's signed checkpoint, each event's inclusion proof and each receipt, and",
    'flags gaps: a call seen on one side only, an unreachable province, a proof that fails, a',
    'checkpoint without the cosignatures of the quorum of its witnesses (NOT_WITNESSED).',
    '  --html FILE   also write a page with one lane per province and arrows for the calls',
    'Exit status 3 when the trace has gaps, or when no province holds events for it.',
    '',
    'events: the matching events of every province (or of --province), in time order.',
    '  --identifier ID     events about this license (the full identifier, with its version)',
    '  --holder TYPE:CODE  events about this holder, e.g. 111:11010519491231002X; each province',
    '                      turns it into its own keyed hash (the code goes in a POST body to',
    '                      that province only, never in a URL); the code is not printed',
    '  --from T, --to T    time range, RFC 3339 (2026-06-01T08:00:00+08:00) or a UTC day',
    '                      (2026-06-01); with no other filter at most 31 days',
    '  --action A          one action, e.g. verify, interop.verify, license.issue',
    '  --peer P            calls to or from this province',
    `  --limit N           at most N events in all (default ${DEFAULT_LIMIT})`,
    '',
    "checkpoint: the province's latest checkpoint from its auditor API, its signature checked with",
    "the province's audit keys in the registry, and who cosigned it against the witnesses and",
    'quorum the registry names for its log. Exit status 3 when the signature fails or the quorum',
    'is not met (NOT_WITNESSED).',
    '',
    'evidence: the split-view evidence every province (or --province) kept as a witness of other',
    "provinces' logs: per record its kind (fork, root mismatch, rollback), both signed checkpoints",
    "verbatim, and whether each verifies with the log province's audit key in the registry, so",
    'that the province signed both histories can be checked by anyone.',
    'Exit status 3 when any witness holds evidence.',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 2, names: 'trace TRACE_ID, events [filters], checkpoint or evidence' },
  async run({ values, positionals }, io) {
    const [sub, ...rest] = positionals;
    const stray = (names: readonly (keyof typeof values)[]) => names.find((n) => values[n] !== undefined);
    if (sub === 'trace') {
      const wrong = stray(EVENTS_ONLY);
      if (wrong) throw new UsageError(`--${wrong} is an option of elg audit events, not of trace`);
      if (rest.length !== 1) throw new UsageError('audit trace expects one TRACE_ID');
      return trace(rest[0] ?? '', values, io);
    }
    if (sub === 'events') {
      const wrong = stray(TRACE_ONLY);
      if (wrong) throw new UsageError(`--${wrong} is an option of elg audit trace, not of events`);
      if (rest.length !== 0) throw new UsageError('audit events takes options, not arguments');
      return events(values, io);
    }
    if (sub === 'checkpoint') {
      const wrong = stray([...TRACE_ONLY, ...EVENTS_ONLY]);
      if (wrong) throw new UsageError(`--${wrong} is not an option of elg audit checkpoint`);
      if (rest.length !== 0) throw new UsageError('audit checkpoint takes --province P, not arguments');
      return checkpoint(values, io);
    }
    if (sub === 'evidence') {
      const wrong = stray([...TRACE_ONLY, ...EVENTS_ONLY]);
      if (wrong) throw new UsageError(`--${wrong} is not an option of elg audit evidence`);
      if (rest.length !== 0) throw new UsageError('audit evidence takes options, not arguments');
      return evidence(values, io);
    }
    throw new UsageError(
      `unknown audit command ${JSON.stringify(sub)}; try: elg audit trace TRACE_ID, elg audit events --identifier ID, elg audit checkpoint --province P, elg audit evidence`,
    );
  },
});

interface Values {
  federation?: string | undefined;
  province?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
  html?: string | undefined;
  identifier?: string | undefined;
  holder?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  action?: string | undefined;
  peer?: string | undefined;
  limit?: string | undefined;
}

/** The registry the federation file names, verified against its root key. */
async function federationRegistry(values: Values, io: Io): Promise<TrustRegistry> {
  const { federation } = await loadFederation(values.federation, io);
  const root = RootPublicJwkSchema.safeParse(federation.root?.jwk);
  if (!root.success || !federation.registry) {
    throw new CliError(
      'the federation file names no registry and root key to check provinces against',
      ExitCode.failed,
    );
  }
  return TrustRegistry.load({ source: federation.registry, rootPublicJwk: root.data });
}

/** `elg audit checkpoint`: a province's checkpoint, its log signature and its witnesses. */
async function checkpoint(values: Values, io: Io): Promise<ExitCode> {
  const target = await resolveTarget(values, 'auditor', io);
  const registry = await federationRegistry(values, io);
  const report = checkCheckpoint(target.province, await checkpointNote(target), registry);
  if (values.json) printJson(io, report);
  else io.out(renderCheckpoint(report));
  return report.status === 'WITNESSED' || report.status === 'NO_WITNESS_POLICY'
    ? ExitCode.ok
    : ExitCode.negative;
}

/** GET /v1/audit/checkpoint: the signed note, as text. */
async function checkpointNote(target: Target): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${target.url}/v1/audit/checkpoint`, {
      headers: { authorization: `Bearer ${target.token}` },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new UnreachableError(target.url, err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  if (res.ok) return text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = ErrorBodySchema.safeParse(body);
  if (!error.success) {
    throw new HttpError(res.status, `HTTP_${res.status}`, res.statusText || 'error', undefined);
  }
  const e = error.data.error;
  throw new HttpError(res.status, e.code, e.message, e.traceId, e.issues ?? [], body);
}

async function trace(traceId: string, values: Values, io: Io): Promise<ExitCode> {
  if (!TraceIdSchema.safeParse(traceId).success) {
    throw new UsageError('a trace id is 32 lower-case hex characters (the one a verification answer shows)');
  }
  const { federation } = await loadFederation(values.federation, io);
  const registry = await federationRegistry(values, io);
  const report = await assembleTrace(
    traceId,
    federation.provinces.map((p) => ({
      province: p.id,
      baseUrl: p.url,
      token: p.tokens.auditor,
      departments: p.departments,
    })),
    registryTraceVerifier(registry),
  );
  if (values.html) {
    const file = resolve(io.cwd, values.html);
    await writeFile(file, traceHtml(report));
    if (!values.json) io.out(`page written to ${file}\n`);
  }
  if (values.json) printJson(io, report);
  else io.out(renderTrace(report));
  // Nothing found is an answer, and the answer is no: the trace is not verified.
  return report.ok ? ExitCode.ok : ExitCode.negative;
}

/** A province's witnesses in its trace line: ` · witnessed 2 of 3, quorum 2: 320000, 340000`. */
function witnessLine(
  w: NonNullable<TraceReport['provinces'][number]['checkpoint']>['witness'],
  flagged: boolean,
): string {
  if (!w) return '';
  if (!w.policy) return ' · no witnesses named';
  // A head not cosigned yet is no gap while every event is proven against a witnessed checkpoint.
  if (!w.witnessed && !flagged) return ' · newest checkpoint not cosigned yet';
  const who = w.cosigners.map((c) => c.province).join(', ');
  return ` · ${w.witnessed ? 'witnessed' : 'NOT_WITNESSED'} ${w.cosigners.length} of ${w.policy.witnesses.length}, quorum ${w.policy.quorum}${who ? `: ${who}` : ''}`;
}

export function renderTrace(r: TraceReport): string {
  const unreachable = r.provinces.filter((p) => !p.reachable);
  const headline = !r.found
    ? unreachable.length === 0
      ? 'no province holds events for it'
      : `no reachable province holds events for it (${unreachable.length} unreachable)`
    : r.ok
      ? 'verified, no gaps'
      : `${r.gaps.length} gap(s)`;
  const lines = [`trace ${r.traceId}: ${headline}`, ''];
  const label = (id: string) => provinceLabel(id);
  for (const p of r.provinces) {
    const cp = p.checkpoint
      ? `checkpoint ${p.checkpoint.treeSize} ${p.checkpoint.verified ? '✓' : '✗'}${witnessLine(
          p.checkpoint.witness,
          r.gaps.some((g) => g.kind === 'NOT_WITNESSED' && g.province === p.id),
        )}`
      : '';
    const held = p.reachable ? `${p.events} event${p.events === 1 ? '' : 's'}` : 'unreachable';
    const name = label(p.id);
    lines.push(`  ${name}${' '.repeat(Math.max(1, 13 - displayWidth(name)))}${held} ${cp}`.trimEnd());
  }
  if (!r.found) {
    lines.push('', `asked ${r.provinces.length} province(s); check the trace id, or run again shortly`);
  }
  for (const v of r.verdicts) {
    lines.push(
      '',
      `verdict  ${v.verdict}${v.reasons.length > 0 ? ` (${v.reasons.join(', ')})` : ''} in ${label(v.province)}`,
    );
  }
  if (r.timeline.length > 0) lines.push('', 'timeline');
  for (const t of r.timeline) {
    const proof = t.proof === 'verified' ? '✓' : t.proof === 'pending' ? '…' : '✗';
    const receipt = t.receipt ? ` receipt ${t.receipt === 'verified' ? '✓' : '✗'}` : '';
    const peer = t.event.peer ? ` ↔ ${t.event.peer}` : '';
    const verdict =
      t.event.action === 'verify' && typeof t.event.details.verdict === 'string'
        ? ` → ${t.event.details.verdict}${t.event.details.reasons ? ` (${t.event.details.reasons})` : ''}`
        : '';
    const code = `${t.event.errorCode ? ` ${t.event.errorCode}` : ''}${verdict}`;
    lines.push(
      `  ${t.event.time}  ${t.province}  ${proof} ${t.event.action} ${t.event.outcome}${code}${peer}${receipt}`,
    );
  }
  if (r.calls.length > 0) {
    lines.push('', 'calls');
    for (const c of r.calls) {
      const answer = `${c.status ?? 'no answer'}${c.errorCode ? ` ${c.errorCode}` : ''}`;
      lines.push(
        `  ${c.from} → ${c.to}  ${answer} (${c.class})  ${c.outbound && c.inbound ? 'seen on both sides' : 'one side only'}`,
      );
    }
  }
  if (r.gaps.length > 0) {
    lines.push('', 'gaps');
    for (const g of r.gaps)
      lines.push(`  ${g.kind}  ${g.province}${g.eventId ? ` ${g.eventId}` : ''}: ${g.message}`);
  }
  if (r.registry) lines.push('', `checked ${r.generatedAt} against registry seq ${r.registry.seq}`);
  return `${lines.join('\n')}\n`;
}

async function events(values: Values, io: Io): Promise<ExitCode> {
  const query = eventQuery(values);
  const targets = await eventTargets(values, io);
  const result = await searchEvents(targets, query);
  if (values.json) {
    const { holder, ...asked } = query;
    printJson(io, {
      // The holder's code stays out of the output: a listing is often pasted where it should not go.
      query: { ...asked, ...(holder ? { holderTypeCode: holder.typeCode } : {}) },
      provinces: result.provinces.map(({ items, ...p }) => ({ ...p, events: items.length })),
      items: result.items,
      more: result.more,
    });
  } else io.out(eventsTable(result, query.limit, paint(io)));
  return result.provinces.some((p) => p.error !== undefined) ? ExitCode.failed : ExitCode.ok;
}

/**
 * `elg audit evidence`: every witness's split-view evidence, each checkpoint checked against the
 * registry. Exit 3 when any is held, 1 when a witness could not be read.
 */
async function evidence(values: Values, io: Io): Promise<ExitCode> {
  const targets = await eventTargets(values, io);
  const registry = await federationRegistry(values, io);
  const report = await collectEvidence(targets, registry);
  if (values.json) printJson(io, report);
  else io.out(renderEvidence(report, paint(io)));
  if (report.witnesses.some((w) => w.error !== undefined)) return ExitCode.failed;
  return report.items.length > 0 ? ExitCode.negative : ExitCode.ok;
}

function eventQuery(values: Values): EventQuery {
  const { identifier, holder, action, peer } = values;
  if (!identifier && !holder && !values.from) {
    throw new UsageError(
      'audit events needs --identifier ID, --holder TYPE:CODE or a time range --from T [--to T]',
    );
  }
  if (identifier !== undefined && !parseIdentifier(identifier).ok) {
    const issue = parseIdentifier(identifier);
    throw new UsageError(
      `--identifier is not a license identifier${issue.ok ? '' : `: ${issue.issue.segment}: ${issue.issue.reason}`}`,
    );
  }
  let parsedHolder: EventQuery['holder'];
  if (holder !== undefined) {
    const at = holder.indexOf(':');
    const checked = HolderHashRequestSchema.safeParse(
      at < 0 ? {} : { holderTypeCode: holder.slice(0, at), holderCode: holder.slice(at + 1) },
    );
    if (at < 0 || !checked.success) {
      const why = checked.success || at < 0 ? '' : `: ${firstIssue(checked.error)?.message ?? ''}`;
      throw new UsageError(`--holder takes TYPE:CODE, a holder type code and the holder's code${why}`);
    }
    parsedHolder = { typeCode: checked.data.holderTypeCode, code: checked.data.holderCode };
  }
  if (action !== undefined && !AuditActionSchema.safeParse(action).success) {
    throw new UsageError(`--action is one of ${AuditActionSchema.options.join(', ')}`);
  }
  if (peer !== undefined && !GatewayIdSchema.safeParse(peer).success) {
    throw new UsageError(`--peer takes a province code such as 330000, not ${peer}`);
  }
  const from = values.from === undefined ? undefined : instant(values.from, '--from', 'start');
  const to = values.to === undefined ? undefined : instant(values.to, '--to', 'end');
  if (from && to && Date.parse(from) > Date.parse(to)) throw new UsageError('--from is after --to');
  let limit = DEFAULT_LIMIT;
  if (values.limit !== undefined) {
    limit = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || limit < 1 || limit > MAX_LIMIT)
      throw new UsageError(`--limit takes a whole number from 1 to ${MAX_LIMIT}`);
  }
  return { identifier, holder: parsedHolder, action, peer, from, to, limit };
}

/**
 * An instant as the auditor API takes it (UTC, RFC 3339) from a timestamp with any offset, or a
 * UTC day: its first millisecond for a start, its last for an end.
 */
function instant(raw: string, option: string, end: 'start' | 'end'): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const stamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(raw);
  const ms = day ? Date.parse(`${raw}T00:00:00Z`) + (end === 'end' ? 86_400_000 - 1 : 0) : Date.parse(raw);
  if ((!day && !stamp) || Number.isNaN(ms)) {
    throw new UsageError(
      `${option} takes an RFC 3339 time such as 2026-06-01T08:00:00+08:00, or a day such as 2026-06-01`,
    );
  }
  return new Date(ms).toISOString();
}

/**
 * The provinces to ask: one with --province or --url, else every province of the federation file
 * with its auditor token. A token is one province's, so it needs --province to say which.
 */
async function eventTargets(values: Values, io: Io): Promise<Target[]> {
  if (values.province !== undefined || values.url !== undefined) {
    return [await resolveTarget(values, 'auditor', io)];
  }
  if (values.token !== undefined || io.env.ELG_TOKEN !== undefined) {
    throw new UsageError('a token is one province’s: say which with --province (or --url)');
  }
  const { federation } = await loadFederation(values.federation, io);
  return federation.provinces.map((p) => ({
    province: p.id,
    url: checkedUrl(p.url),
    token: p.tokens.auditor,
  }));
}
