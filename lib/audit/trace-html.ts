import type { TraceReport } from './trace.ts';

const LANE_W = 260;
const ROW_H = 64;
const BOX_W = 220;
const BOX_H = 48;
const TOP = 70;

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * A self-contained page for auditors: one lane per province, the trace's events down the lanes
 * in time order, an arrow for every call between provinces, and the gaps and failed proofs in red.
 * No scripts, no external assets: it opens anywhere, printed or offline.
 */
export function traceHtml(report: TraceReport): string {
  const lanes = report.provinces.map((p) => p.id);
  const laneX = (p: string) => 20 + lanes.indexOf(p) * LANE_W;
  const rowOf = new Map(report.timeline.map((t, i) => [t.event.eventId, i] as const));
  const flagged = new Set(report.gaps.flatMap((g) => (g.eventId ? [g.eventId] : [])));
  const width = Math.max(lanes.length, 1) * LANE_W + 40;
  const height = TOP + Math.max(report.timeline.length, 1) * ROW_H + 40;

  const laneSvg = report.provinces
    .map((p) => {
      const x = laneX(p.id);
      const cp = p.checkpoint
        ? `tree ${p.checkpoint.treeSize}${p.checkpoint.verified ? ' ✓' : ' ✗'}`
        : p.reachable
          ? 'no checkpoint'
          : 'unreachable';
      return `<g class="lane" data-province="${esc(p.id)}">
  <rect x="${x}" y="10" width="${LANE_W - 20}" height="${height - 20}" rx="8" class="lane-bg${p.reachable ? '' : ' down'}"/>
  <text x="${x + (LANE_W - 20) / 2}" y="34" class="lane-title">${esc(p.id)}</text>
  <text x="${x + (LANE_W - 20) / 2}" y="52" class="lane-sub">${esc(`${p.events} event${p.events === 1 ? '' : 's'} · ${cp}`)}</text>
</g>`;
    })
    .join('\n');

  const boxes = report.timeline
    .map((t, i) => {
      const x = laneX(t.province) + (LANE_W - 20 - BOX_W) / 2;
      const y = TOP + i * ROW_H;
      const bad = flagged.has(t.event.eventId) || t.proof === 'failed' || t.receipt === 'failed';
      const mark = t.proof === 'verified' ? '✓ in log' : t.proof === 'pending' ? '… pending' : '✗ proof';
      const receipt = t.receipt ? ` · receipt ${t.receipt === 'verified' ? '✓' : '✗'}` : '';
      return `<g class="event${bad ? ' bad' : ''}" data-event="${esc(t.event.eventId)}" data-province="${esc(t.province)}">
  <rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6"/>
  <text x="${x + 8}" y="${y + 18}" class="ev-title">${esc(`${t.event.action} · ${t.event.outcome}`)}</text>
  <text x="${x + 8}" y="${y + 36}" class="ev-sub">${esc(`${t.event.time.slice(11, 23)} · ${mark}${receipt}`)}</text>
</g>`;
    })
    .join('\n');

  const arrows = report.calls
    .flatMap((c) => {
      const from = c.outbound !== undefined ? rowOf.get(c.outbound) : undefined;
      const to = c.inbound !== undefined ? rowOf.get(c.inbound) : undefined;
      if (from === undefined || to === undefined) return [];
      const right = laneX(c.to) > laneX(c.from);
      const x1 = laneX(c.from) + (LANE_W - 20) / 2 + (right ? BOX_W / 2 : -BOX_W / 2);
      const x2 = laneX(c.to) + (LANE_W - 20) / 2 + (right ? -BOX_W / 2 : BOX_W / 2);
      const y1 = TOP + from * ROW_H + BOX_H / 2;
      const y2 = TOP + to * ROW_H + BOX_H / 2;
      return [
        `<g class="call" data-from="${esc(c.from)}" data-to="${esc(c.to)}"><line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"/><text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 6}" class="call-label">${esc(c.status === undefined ? 'call' : String(c.status))}</text></g>`,
      ];
    })
    .join('\n');

  const gaps =
    report.gaps.length === 0
      ? '<p class="ok">No gaps: every event is proven in its province’s signed log and every call is seen on both sides.</p>'
      : `<ul class="gaps">${report.gaps
          .map(
            (g) =>
              `<li><b>${esc(g.kind)}</b> ${esc(g.province)}${g.eventId ? ` <code>${esc(g.eventId)}</code>` : ''}: ${esc(g.message)}</li>`,
          )
          .join('')}</ul>`;

  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Audit trace ${esc(report.traceId)}</title>
<style>
  body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 24px; color: #1d2733; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .meta { color: #52606d; margin-bottom: 16px; }
  .lane-bg { fill: #f4f7fa; stroke: #d5dde5; }
  .lane-bg.down { fill: #fdecec; stroke: #e5a0a0; }
  .lane-title { font-weight: 600; font-size: 16px; text-anchor: middle; }
  .lane-sub { font-size: 11px; fill: #52606d; text-anchor: middle; }
  .event rect { fill: #fff; stroke: #5b8def; stroke-width: 1.5; }
  .event.bad rect { stroke: #d64545; stroke-width: 2.5; fill: #fff4f4; }
  .ev-title { font-size: 12px; font-weight: 600; }
  .ev-sub { font-size: 11px; fill: #52606d; }
  .call line { stroke: #2f855a; stroke-width: 2; }
  .call-label { font-size: 11px; fill: #2f855a; text-anchor: middle; }
  .gaps li { color: #b42318; margin: 4px 0; }
  .ok { color: #2f855a; }
</style>
</head>
<body>
<h1>Audit trace <code>${esc(report.traceId)}</code></h1>
<div class="meta">${report.provinces.length} provinces · ${report.timeline.length} events · ${report.calls.length} cross-province calls · ${report.ok ? 'verified' : `${report.gaps.length} gaps`}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2f855a"/></marker></defs>
${laneSvg}
${arrows}
${boxes}
</svg>
<h2>Gaps</h2>
${gaps}
</body>
</html>
`;
}
