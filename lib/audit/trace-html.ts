import type { WitnessStatus } from '../witness/quorum.ts';
import { esc } from './html-escape.ts';
import { TRACE_CSS } from './trace-html-style.ts';
import * as show from './trace-html-text.ts';
import { TIMELINE_LEGEND, timelineSvg } from './trace-html-timeline.ts';
import type { TimelineEvent, TraceReport } from './trace-report.ts';

/** The witnesses cell of a province row: who cosigned its checkpoint, the quorum asked, when. */
function witnessCell(w: WitnessStatus | undefined, flagged: boolean): string {
  if (!w) return '—';
  const title = [
    ...w.cosigners.map((c) => `${c.name} cosigned at ${new Date(c.timestamp * 1000).toISOString()}`),
    ...w.rejected.map((r) => `not counted (${r.reason}): ${r.message}`),
  ].join('\n');
  // A head not cosigned yet, while every event is proven against a witnessed checkpoint, is no gap.
  const pending = w.policy !== undefined && !w.witnessed && !flagged;
  const text = esc(
    pending
      ? `newest checkpoint not cosigned yet (the events are proven against witnessed ones): ${show.witnessText(w).replace(/^NOT_WITNESSED: /, '')}`
      : show.witnessText(w),
  );
  const cls = !w.policy || pending ? 'muted' : w.witnessed ? 'ok' : 'error-text';
  const body =
    w.policy && !w.witnessed && !pending
      ? `<b class="${cls}">✗ ${text}</b>`
      : `<span class="${cls}">${w.witnessed ? '✓ ' : ''}${text}</span>`;
  return title ? `<span title="${esc(title)}">${body}</span>` : body;
}

/**
 * A self-contained page for auditors: the verdict and its reason codes, each province's signed
 * tree head, one lane per province with the trace's events down the lanes against a time axis, an
 * arrow for every call coloured by what its answer means, and the gaps and failed proofs in red.
 * It names departments and platforms, never an officer. No scripts, no external assets: it opens
 * anywhere, printed or offline.
 */
export function traceHtml(report: TraceReport): string {
  const names = new Map(report.provinces.flatMap((p) => (p.name ? [[p.id, p.name] as const] : [])));
  const name = (id: string) => (names.has(id) ? `${id} ${names.get(id)}` : id);
  const flagged = new Set(report.gaps.flatMap((g) => (g.eventId ? [g.eventId] : [])));

  const status = !report.found
    ? `<p class="banner none">No province holds events for this trace${report.gaps.length > 0 ? ` (and ${report.gaps.length} gap${report.gaps.length === 1 ? '' : 's'})` : ''}: nothing is verified.</p>`
    : report.ok
      ? `<p class="banner ok">Trace verified, no gaps: every event is proven in its province’s signed log and every call is seen on both sides.${report.verdicts.length > 0 ? ' The verdict below is what the trail records.' : ''}</p>`
      : `<p class="banner bad">${report.gaps.length} gap${report.gaps.length === 1 ? '' : 's'}: see below.</p>`;

  const verdicts =
    report.verdicts.length === 0
      ? '<span class="muted">no verification in this trace</span>'
      : report.verdicts
          .map(
            (v) =>
              `<span class="verdict ${show.verdictClass(v.verdict)}" data-province="${esc(v.province)}">${esc(v.verdict)}</span>${v.reasons.length > 0 ? ` <span class="reasons">${esc(v.reasons.join(', '))}</span>` : ''} <span class="muted">(${esc(name(v.province))}, event <code>${esc(v.eventId)}</code>)</span>${v.proof === 'verified' ? '' : ` <b class="error-text unproven">✗ ${v.proof === 'pending' ? 'not yet in the log' : 'this event fails its proof: the verdict shown is not evidence'}</b>`}`,
          )
          .join('<br>');
  const distinct = (pick: (t: TimelineEvent) => string | undefined) => [
    ...new Set(report.timeline.flatMap((t) => pick(t) ?? [])),
  ];
  const identifiers = distinct((t) => t.event.identifier);
  const matters = distinct((t) => show.text(t.event.details.matterCode));
  const causes = distinct((t) => show.text(t.event.details.useCause));
  const departments = distinct((t) =>
    t.department ? `${t.department.uscc}${t.department.name ? ` ${t.department.name}` : ''}` : undefined,
  );
  const requesters = distinct((t) => show.text(t.event.details.requester));
  const list = (xs: string[], code = false) =>
    xs.length === 0
      ? '<span class="muted">none</span>'
      : xs.map((x) => (code ? `<code>${esc(x)}</code>` : esc(x))).join('<br>');
  const made = `${esc(report.generatedAt)}${
    report.registry
      ? `, checked against trust registry <b>seq ${report.registry.seq}</b> (signed ${esc(report.registry.issuedAt)})`
      : ', registry unknown'
  }`;
  const summary = `<dl class="summary">
<dt>Verdict</dt><dd id="verdict">${verdicts}</dd>
<dt>Identifier</dt><dd id="identifier">${list(identifiers, true)}</dd>
<dt>Matter code</dt><dd id="matter">${list(matters, true)}</dd>
<dt>Use cause</dt><dd id="use-cause">${list(causes)}</dd>
<dt>Acting department</dt><dd id="department">${list(departments)}</dd>
<dt>Requesting platform</dt><dd id="requester">${list(requesters)}</dd>
<dt>Page made</dt><dd id="made">${made}</dd>
</dl>`;

  const provinceRows = report.provinces
    .map(
      (p) =>
        `<tr data-province="${esc(p.id)}"><td>${esc(p.id)}</td><td>${esc(p.name ?? '')}</td><td>${p.reachable ? 'yes' : '<b class="error-text">no</b>'}</td><td class="num">${p.events}</td><td class="num">${p.checkpoint ? p.checkpoint.treeSize : '—'}</td><td><code class="root">${esc(p.checkpoint?.root ?? '—')}</code></td><td>${p.checkpoint ? (p.checkpoint.verified ? '✓ signature by the province’s audit key' : '✗') : '—'}</td><td class="witness">${witnessCell(
          p.checkpoint?.witness,
          report.gaps.some((g) => g.kind === 'NOT_WITNESSED' && g.province === p.id),
        )}</td></tr>`,
    )
    .join('\n');

  const eventRows = report.timeline
    .map((t, i) => {
      const d = t.event.details;
      const bad = show.isBad(t, flagged);
      return `<tr class="${show.eventClass(t)}${bad ? ' bad' : ''}" data-event="${esc(t.event.eventId)}"><td class="num">${i + 1}</td><td class="nowrap">${esc(t.event.time)}</td><td class="nowrap">${esc(name(t.province))}</td><td>${esc(t.event.action)}</td><td class="outcome">${esc(show.verdictOf(t) ?? t.event.outcome)}</td><td>${esc(show.codesOf(t))}</td><td>${esc(show.actingOf(t, name))}</td><td>${esc([show.text(d.matterCode), show.text(d.useCause)].filter(Boolean).join(' · '))}</td><td><code>${esc(t.event.identifier ?? '')}</code></td><td class="nowrap"><code>${esc(t.event.eventId)}</code></td><td class="num">${t.leafIndex ?? t.event.leafIndex ?? '—'}</td><td class="nowrap">${esc(show.proofText(t).split(' · ').slice(1).join(' · '))}</td></tr>`;
    })
    .join('\n');

  const callRows = report.calls
    .map(
      (c) =>
        `<tr class="${c.class}"><td>${esc(name(c.from))} → ${esc(name(c.to))}</td><td class="call-class">${esc(show.callLabel(c))}</td><td>${esc(show.CLASS_NAME[c.class])}${c.error ? `: ${esc(c.error)}` : ''}</td><td><code>${esc(c.jti ?? '—')}</code></td><td><code>${esc(c.outbound ?? '—')}</code></td><td><code>${esc(c.inbound ?? '—')}</code></td></tr>`,
    )
    .join('\n');

  const gaps =
    report.gaps.length === 0
      ? `<p class="${report.found ? 'ok' : 'muted'}">${report.found ? 'No gaps.' : 'No gaps can be told without events.'}</p>`
      : `<ul class="gaps">${report.gaps
          .map(
            (g) =>
              `<li><b>${esc(g.kind)}</b> ${esc(name(g.province))}${g.eventId ? ` <code>${esc(g.eventId)}</code>` : ''}: ${esc(g.message)}</li>`,
          )
          .join('')}</ul>`;

  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Audit trace ${esc(report.traceId)}</title>
<style>${TRACE_CSS}</style>
</head>
<body>
<h1>Audit trace <code>${esc(report.traceId)}</code></h1>
<div class="meta">${show.plural(report.provinces.length, 'province')} · ${show.plural(report.timeline.length, 'event')} · ${show.plural(report.calls.length, 'cross-province call')}</div>
${status}
${summary}
<h2>Provinces and their signed logs</h2>
<table class="provinces"><thead><tr><th>code</th><th>name</th><th>reachable</th><th>events</th><th>checkpoint size</th><th>checkpoint root (base64)</th><th>checkpoint</th><th>witnesses</th></tr></thead><tbody>
${provinceRows}
</tbody></table>
<h2>Timeline</h2>
${TIMELINE_LEGEND}
${timelineSvg(report, name)}
<h2>Events</h2>
<table class="events"><thead><tr><th>#</th><th>time (UTC)</th><th>province</th><th>action</th><th>outcome / verdict</th><th>codes</th><th>acting</th><th>matter · use cause</th><th>identifier</th><th>event id</th><th>leaf</th><th>proof</th></tr></thead><tbody>
${eventRows}
</tbody></table>
<h2>Calls</h2>
${
  report.calls.length === 0
    ? '<p class="muted">No cross-province calls.</p>'
    : `<table class="calls"><thead><tr><th>call</th><th>answer</th><th>meaning</th><th>jti</th><th>outbound event</th><th>inbound event</th></tr></thead><tbody>
${callRows}
</tbody></table>`
}
<h2>Gaps</h2>
${gaps}
</body>
</html>
`;
}
