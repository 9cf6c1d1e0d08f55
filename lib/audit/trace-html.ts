import { displayWidth as units } from './display-width.ts';
import type { Call, CallClass, TimelineEvent, TraceReport } from './trace.ts';

const AXIS_W = 150;
const LANE_W = 320;
const BOX_W = 288;
const BOX_H = 96;
const ROW_H = 112;
const TOP = 104;

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** SVG text content cut to fit `max` units, with an ellipsis and the whole text as a tooltip. */
function fitted(s: string, max: number): string {
  const cut = clip(s, max);
  return cut === s ? esc(s) : `<title>${esc(s)}</title>${esc(cut)}`;
}

function clip(s: string, max: number): string {
  if (units(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (units(out + ch) > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** A verify event's verdict: what the platform was told, not whether the HTTP call succeeded. */
function verdictOf(t: TimelineEvent): string | undefined {
  return t.event.action === 'verify' ? text(t.event.details.verdict) : undefined;
}

/** The colour class of an event: its verdict if it is a verification, else its outcome. */
function eventClass(t: TimelineEvent): CallClass {
  const verdict = verdictOf(t);
  if (verdict !== undefined)
    return verdict === 'valid' ? 'success' : verdict === 'unverified' ? 'refused' : 'error';
  return t.event.outcome === 'success' ? 'success' : t.event.outcome === 'refused' ? 'refused' : 'error';
}

/** Reason codes of a verification, or the error code (with the status) of a refused or failed call. */
function codesOf(t: TimelineEvent): string {
  const d = t.event.details;
  if (t.event.action === 'verify') {
    const reasons = text(d.reasons);
    return reasons ? `reasons ${reasons.split(',').join(', ')}` : 'no reason codes';
  }
  const status = typeof d.status === 'number' ? String(d.status) : undefined;
  const parts = [status, t.event.errorCode, text(d.error)].filter((p) => p !== undefined);
  return parts.join(' · ');
}

/** Who acted, without any personal data: the department (USCC, name), or the calling platform, or the role. */
function actingOf(t: TimelineEvent, name: (id: string) => string): string {
  if (t.department) return `dept ${t.department.uscc}${t.department.name ? ` ${t.department.name}` : ''}`;
  const requester = text(t.event.details.requester);
  if (t.event.details.direction === 'inbound')
    return `caller ${t.event.peer ? name(t.event.peer) : 'not verified'}${requester ? ` · ${requester}` : ''}`;
  if (t.event.action === 'interop.outbound' && t.event.peer) return `callee ${name(t.event.peer)}`;
  const roles = t.event.actor.roles?.join(', ');
  return roles ? `role ${roles}` : '';
}

function proofText(t: TimelineEvent): string {
  const leaf = t.leafIndex ?? t.event.leafIndex;
  const proof = t.proof === 'verified' ? '✓ in log' : t.proof === 'pending' ? '… pending' : '✗ proof';
  const receipt = t.receipt ? ` · receipt ${t.receipt === 'verified' ? '✓' : '✗'}` : '';
  return `${leaf === undefined ? 'no leaf' : `leaf #${leaf}`} · ${proof}${receipt}`;
}

function callLabel(c: Call): string {
  const head = c.status === undefined ? 'no answer' : String(c.status);
  return c.errorCode ? `${head} ${c.errorCode}` : head;
}

const CLASS_NAME: Record<CallClass, string> = {
  success: '2xx success',
  refused: '4xx refused',
  error: '5xx / unreachable: error',
};

/**
 * A self-contained page for auditors: the verdict and its reason codes, each province's signed
 * tree head, one lane per province with the trace's events down the lanes against a time axis, an
 * arrow for every call coloured by what its answer means, and the gaps and failed proofs in red.
 * It names departments and platforms, never an officer. No scripts, no external assets: it opens
 * anywhere, printed or offline.
 */
export function traceHtml(report: TraceReport): string {
  const lanes = report.provinces.map((p) => p.id);
  const names = new Map(report.provinces.flatMap((p) => (p.name ? [[p.id, p.name] as const] : [])));
  const name = (id: string) => (names.has(id) ? `${id} ${names.get(id)}` : id);
  const laneX = (p: string) => AXIS_W + lanes.indexOf(p) * LANE_W;
  const laneMid = (p: string) => laneX(p) + (LANE_W - 20) / 2;
  const rowOf = new Map(report.timeline.map((t, i) => [t.event.eventId, i] as const));
  const flagged = new Set(report.gaps.flatMap((g) => (g.eventId ? [g.eventId] : [])));
  const width = AXIS_W + Math.max(lanes.length, 1) * LANE_W + 20;
  const height = TOP + Math.max(report.timeline.length, 1) * ROW_H + 20;
  const rowY = (i: number) => TOP + i * ROW_H;

  const laneSvg = report.provinces
    .map((p) => {
      const x = laneX(p.id);
      const mid = laneMid(p.id);
      const sub = !p.reachable
        ? 'unreachable'
        : p.events === 0
          ? 'no events in this trace'
          : `${p.events} event${p.events === 1 ? '' : 's'} · ${
              p.checkpoint
                ? `tree ${p.checkpoint.treeSize}${p.checkpoint.verified ? ' ✓' : ' ✗'}`
                : 'no verified checkpoint'
            }`;
      const root = p.checkpoint ? `root ${p.checkpoint.root.slice(0, 20)}…` : '';
      return `<g class="lane" data-province="${esc(p.id)}">
  <rect x="${x}" y="10" width="${LANE_W - 20}" height="${height - 20}" rx="8" class="lane-bg${p.reachable ? '' : ' down'}"/>
  <text x="${mid}" y="34" class="lane-title">${esc(name(p.id))}</text>
  <text x="${mid}" y="54" class="lane-sub">${esc(sub)}</text>
  <text x="${mid}" y="72" class="lane-root">${esc(root)}</text>
</g>`;
    })
    .join('\n');

  const first = report.timeline[0] ? Date.parse(report.timeline[0].event.time) : 0;
  const axis = [
    `<g class="axis"><text x="12" y="34" class="axis-title">time (UTC)</text>`,
    `<text x="12" y="52" class="axis-sub">${esc(report.timeline[0]?.event.time.slice(0, 10) ?? '')}</text>`,
    `<line x1="${AXIS_W - 24}" y1="${TOP - 8}" x2="${AXIS_W - 24}" y2="${height - 16}" class="axis-line"/>`,
    ...report.timeline.map((t, i) => {
      const y = rowY(i) + BOX_H / 2;
      const delta = Date.parse(t.event.time) - first;
      return `<g class="tick" data-event="${esc(t.event.eventId)}"><line x1="${AXIS_W - 30}" y1="${y}" x2="${AXIS_W - 18}" y2="${y}" class="axis-line"/><text x="${AXIS_W - 34}" y="${y - 2}" class="tick-time">${esc(t.event.time.slice(11, 23))}</text><text x="${AXIS_W - 34}" y="${y + 13}" class="tick-delta">+${delta} ms</text></g>`;
    }),
    '</g>',
  ].join('\n');

  const boxes = report.timeline
    .map((t, i) => {
      const x = laneX(t.province) + (LANE_W - 20 - BOX_W) / 2;
      const y = rowY(i);
      const bad = flagged.has(t.event.eventId) || t.proof === 'failed' || t.receipt === 'failed';
      const verdict = verdictOf(t);
      const title = `${t.event.action} · ${verdict ?? t.event.outcome}`;
      const lines: [string, string][] = [
        ['ev-codes', codesOf(t)],
        ['ev-actor', actingOf(t, name)],
        ['ev-proof', proofText(t)],
      ];
      const body = lines
        .map(
          ([cls, s], k) =>
            `<text x="${x + 10}" y="${y + 38 + k * 16}" class="${cls}">${fitted(s, 46)}</text>`,
        )
        .join('');
      return `<g class="event ${eventClass(t)}${bad ? ' bad' : ''}" data-event="${esc(t.event.eventId)}" data-province="${esc(t.province)}" data-action="${esc(t.event.action)}"${verdict ? ` data-verdict="${esc(verdict)}"` : ''}>
  <rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6"/>
  <text x="${x + 10}" y="${y + 19}" class="ev-title">${fitted(title, 40)}${bad ? ' <tspan class="ev-gap">✗ gap</tspan>' : ''}</text>
  ${body}
  <text x="${x + 10}" y="${y + 88}" class="ev-id">${esc(t.event.eventId)}</text>
</g>`;
    })
    .join('\n');

  const arrows = report.calls
    .flatMap((c) => {
      const from = c.outbound !== undefined ? rowOf.get(c.outbound) : undefined;
      const to = c.inbound !== undefined ? rowOf.get(c.inbound) : undefined;
      if (from === undefined && to === undefined) return [];
      if (!lanes.includes(c.from) || !lanes.includes(c.to) || c.from === c.to) return [];
      const right = laneX(c.to) > laneX(c.from);
      const edge = (p: string, toward: boolean) => laneMid(p) + ((right === toward ? 1 : -1) * BOX_W) / 2;
      // The side that is missing is drawn to the middle of its lane, dashed: a call seen once.
      const x1 = from === undefined ? laneMid(c.from) : edge(c.from, true);
      const x2 = to === undefined ? laneMid(c.to) : edge(c.to, false);
      const y1 = rowY(from ?? to ?? 0) + BOX_H / 2;
      const y2 = rowY(to ?? from ?? 0) + BOX_H / 2;
      const oneSided = from === undefined || to === undefined;
      const missing =
        to === undefined ? ' · ✗ no inbound event' : from === undefined ? ' · ✗ no outbound event' : '';
      return [
        `<g class="call ${c.class}${oneSided ? ' one-sided' : ''}" data-from="${esc(c.from)}" data-to="${esc(c.to)}" data-status="${c.status ?? ''}"><line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow-${c.class})"/><text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 7}" class="call-label">${esc(`${callLabel(c)}${missing}`)}</text></g>`,
      ];
    })
    .join('\n');

  const legend = `<div class="legend">
${(['success', 'refused', 'error'] as const)
  .map(
    (k) =>
      `<span class="key ${k}"><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5"/></svg>${esc(CLASS_NAME[k])}</span>`,
  )
  .join('\n')}
<span class="key one-sided"><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5"/></svg>seen on one side only</span>
<span class="key-note">Boxes: verdict valid / success green, unverified / refused orange, invalid / error red; a dashed red box is a gap.</span>
</div>`;

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
              `<span class="verdict ${v.verdict === 'valid' ? 'success' : v.verdict === 'unverified' ? 'refused' : 'error'}" data-province="${esc(v.province)}">${esc(v.verdict)}</span>${v.reasons.length > 0 ? ` <span class="reasons">${esc(v.reasons.join(', '))}</span>` : ''} <span class="muted">(${esc(name(v.province))}, event <code>${esc(v.eventId)}</code>)</span>${v.proof === 'verified' ? '' : ` <b class="error-text unproven">✗ ${v.proof === 'pending' ? 'not yet in the log' : 'this event fails its proof: the verdict shown is not evidence'}</b>`}`,
          )
          .join('<br>');
  const distinct = (pick: (t: TimelineEvent) => string | undefined) => [
    ...new Set(report.timeline.flatMap((t) => pick(t) ?? [])),
  ];
  const identifiers = distinct((t) => t.event.identifier);
  const matters = distinct((t) => text(t.event.details.matterCode));
  const causes = distinct((t) => text(t.event.details.useCause));
  const departments = distinct((t) =>
    t.department ? `${t.department.uscc}${t.department.name ? ` ${t.department.name}` : ''}` : undefined,
  );
  const requesters = distinct((t) => text(t.event.details.requester));
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
        `<tr data-province="${esc(p.id)}"><td>${esc(p.id)}</td><td>${esc(p.name ?? '')}</td><td>${p.reachable ? 'yes' : '<b class="error-text">no</b>'}</td><td class="num">${p.events}</td><td class="num">${p.checkpoint ? p.checkpoint.treeSize : '—'}</td><td><code class="root">${esc(p.checkpoint?.root ?? '—')}</code></td><td>${p.checkpoint ? (p.checkpoint.verified ? '✓ signature by the province’s audit key' : '✗') : '—'}</td></tr>`,
    )
    .join('\n');

  const eventRows = report.timeline
    .map((t, i) => {
      const d = t.event.details;
      const bad = flagged.has(t.event.eventId) || t.proof === 'failed' || t.receipt === 'failed';
      return `<tr class="${eventClass(t)}${bad ? ' bad' : ''}" data-event="${esc(t.event.eventId)}"><td class="num">${i + 1}</td><td class="nowrap">${esc(t.event.time)}</td><td class="nowrap">${esc(name(t.province))}</td><td>${esc(t.event.action)}</td><td class="outcome">${esc(verdictOf(t) ?? t.event.outcome)}</td><td>${esc(codesOf(t))}</td><td>${esc(actingOf(t, name))}</td><td>${esc([text(d.matterCode), text(d.useCause)].filter(Boolean).join(' · '))}</td><td><code>${esc(t.event.identifier ?? '')}</code></td><td class="nowrap"><code>${esc(t.event.eventId)}</code></td><td class="num">${t.leafIndex ?? t.event.leafIndex ?? '—'}</td><td class="nowrap">${esc(proofText(t).split(' · ').slice(1).join(' · '))}</td></tr>`;
    })
    .join('\n');

  const callRows = report.calls
    .map(
      (c) =>
        `<tr class="${c.class}"><td>${esc(name(c.from))} → ${esc(name(c.to))}</td><td class="call-class">${esc(callLabel(c))}</td><td>${esc(CLASS_NAME[c.class])}${c.error ? `: ${esc(c.error)}` : ''}</td><td><code>${esc(c.jti ?? '—')}</code></td><td><code>${esc(c.outbound ?? '—')}</code></td><td><code>${esc(c.inbound ?? '—')}</code></td></tr>`,
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

  const marker = (k: CallClass) =>
    `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="head ${k}"/></marker>`;

  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Audit trace ${esc(report.traceId)}</title>
<style>
  :root { --success: #2f855a; --refused: #c05621; --error: #c53030; --ink: #1d2733; --muted: #52606d; }
  body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 24px; color: var(--ink); }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 24px 0 8px; }
  code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
  .muted { color: var(--muted); }
  .meta { color: var(--muted); margin-bottom: 8px; }
  .banner { padding: 8px 12px; border-radius: 6px; font-weight: 600; margin: 8px 0 12px; }
  .banner.ok { background: #e6f4ea; color: var(--success); }
  .banner.bad, .banner.none { background: #fdecec; color: var(--error); }
  dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 8px; }
  dl.summary dt { color: var(--muted); }
  dl.summary dd { margin: 0; }
  .verdict { font-weight: 700; }
  .verdict.success, .success-text { color: var(--success); }
  .verdict.refused { color: var(--refused); }
  .verdict.error, .error-text { color: var(--error); }
  .reasons { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 600; }
  table { border-collapse: collapse; font-size: 12px; }
  th, td { border: 1px solid #d5dde5; padding: 3px 6px; text-align: left; vertical-align: top; }
  td.nowrap { white-space: nowrap; }
  th { background: #f4f7fa; }
  td.num { text-align: right; }
  tr.refused td.outcome, tr.refused td.call-class { color: var(--refused); font-weight: 600; }
  tr.error td.outcome, tr.error td.call-class { color: var(--error); font-weight: 600; }
  tr.success td.outcome, tr.success td.call-class { color: var(--success); }
  tr.bad { background: #fff4f4; }
  code.root { word-break: break-all; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; font-size: 12px; margin: 8px 0; }
  .legend .key { display: inline-flex; gap: 6px; align-items: center; }
  .legend .key line { stroke-width: 3; }
  .legend .key.success line { stroke: var(--success); }
  .legend .key.refused line { stroke: var(--refused); }
  .legend .key.error line { stroke: var(--error); }
  .legend .key.one-sided line { stroke: var(--muted); stroke-dasharray: 6 4; }
  .legend .key-note { color: var(--muted); }
  .lane-bg { fill: #f4f7fa; stroke: #d5dde5; }
  .lane-bg.down { fill: #fdecec; stroke: #e5a0a0; }
  .lane-title { font-weight: 600; font-size: 16px; text-anchor: middle; }
  .lane-sub { font-size: 11px; fill: var(--muted); text-anchor: middle; }
  .lane-root { font-size: 10px; fill: var(--muted); text-anchor: middle; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  .axis-title { font-size: 12px; font-weight: 600; }
  .axis-sub { font-size: 11px; fill: var(--muted); }
  .axis-line { stroke: #9aa5b1; stroke-width: 1; }
  .tick-time { font-size: 11px; text-anchor: end; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  .tick-delta { font-size: 10px; text-anchor: end; fill: var(--muted); }
  .event rect { fill: #fff; stroke-width: 2; }
  .event.success rect { stroke: var(--success); }
  .event.refused rect { stroke: var(--refused); }
  .event.error rect { stroke: var(--error); }
  .event.bad rect { stroke: var(--error); stroke-width: 2.5; stroke-dasharray: 7 4; fill: #fff4f4; }
  .ev-title { font-size: 12px; font-weight: 700; }
  .event.success .ev-title { fill: var(--success); }
  .event.refused .ev-title { fill: var(--refused); }
  .event.error .ev-title { fill: var(--error); }
  .ev-gap { fill: var(--error); }
  .ev-codes { font-size: 11px; font-weight: 600; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  .ev-actor, .ev-proof { font-size: 11px; fill: var(--muted); }
  .ev-id { font-size: 10px; fill: var(--muted); font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
  .call line { stroke-width: 2.5; }
  .call.one-sided line { stroke-dasharray: 7 5; }
  .call-label { font-size: 11px; font-weight: 700; text-anchor: middle; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  .call.success line { stroke: var(--success); }
  .call.success .call-label, .head.success { fill: var(--success); }
  .call.refused line { stroke: var(--refused); }
  .call.refused .call-label, .head.refused { fill: var(--refused); }
  .call.error line { stroke: var(--error); }
  .call.error .call-label, .head.error { fill: var(--error); }
  .gaps li { color: #b42318; margin: 4px 0; }
  .ok { color: var(--success); }
</style>
</head>
<body>
<h1>Audit trace <code>${esc(report.traceId)}</code></h1>
<div class="meta">${plural(report.provinces.length, 'province')} · ${plural(report.timeline.length, 'event')} · ${plural(report.calls.length, 'cross-province call')}</div>
${status}
${summary}
<h2>Provinces and their signed logs</h2>
<table class="provinces"><thead><tr><th>code</th><th>name</th><th>reachable</th><th>events</th><th>checkpoint size</th><th>checkpoint root (base64)</th><th>checkpoint</th></tr></thead><tbody>
${provinceRows}
</tbody></table>
<h2>Timeline</h2>
${legend}
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs>${(['success', 'refused', 'error'] as const).map(marker).join('')}</defs>
${axis}
${laneSvg}
${arrows}
${boxes}
</svg>
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
