import type { WitnessStatus } from '../witness/quorum.ts';
import { esc, fitted } from './html-escape.ts';
import {
  actingOf,
  CLASS_NAME,
  callLabel,
  codesOf,
  eventClass,
  isBad,
  proofText,
  verdictOf,
} from './trace-html-text.ts';
import type { CallClass, TraceReport } from './trace-report.ts';

/**
 * The timeline of the trace page: one lane per province, the trace's events down the lanes
 * against a time axis, and an arrow for every call coloured by what its answer means.
 */

const AXIS_W = 150;
const LANE_W = 320;
const BOX_W = 288;
const BOX_H = 96;
const ROW_H = 112;
const TOP = 104;

/** The legend above the timeline: what the colours and the dashed lines mean. */
export const TIMELINE_LEGEND = `<div class="legend">
${(['success', 'refused', 'error'] as const)
  .map(
    (k) =>
      `<span class="key ${k}"><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5"/></svg>${esc(CLASS_NAME[k])}</span>`,
  )
  .join('\n')}
<span class="key one-sided"><svg width="34" height="10" aria-hidden="true"><line x1="0" y1="5" x2="34" y2="5"/></svg>seen on one side only</span>
<span class="key-note">Boxes: verdict valid / success green, unverified / refused orange, invalid / error red; a dashed red box is a gap.</span>
</div>`;

/** A lane's witness mark: ` · witnessed 2/2`, ` · NOT_WITNESSED 1/2`, nothing for a log without witnesses. */
function laneWitness(w: WitnessStatus | undefined, flagged: boolean): string {
  if (!w?.policy) return '';
  if (!w.witnessed && !flagged) return ' · head not cosigned yet';
  return ` · ${w.witnessed ? 'witnessed' : 'NOT_WITNESSED'} ${w.cosigners.length}/${w.policy.quorum}`;
}

/** The timeline as an SVG image; `name` shows a province's code with its name. */
export function timelineSvg(report: TraceReport, name: (id: string) => string): string {
  const lanes = report.provinces.map((p) => p.id);
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
                ? `tree ${p.checkpoint.treeSize}${p.checkpoint.verified ? ' ✓' : ' ✗'}${laneWitness(
                    p.checkpoint.witness,
                    report.gaps.some((g) => g.kind === 'NOT_WITNESSED' && g.province === p.id),
                  )}`
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
      const bad = isBad(t, flagged);
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

  const marker = (k: CallClass) =>
    `<marker id="arrow-${k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="head ${k}"/></marker>`;

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs>${(['success', 'refused', 'error'] as const).map(marker).join('')}</defs>
${axis}
${laneSvg}
${arrows}
${boxes}
</svg>`;
}
