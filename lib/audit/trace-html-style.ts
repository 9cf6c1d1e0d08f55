/** The style sheet of the trace page (trace-html.ts): banners, tables, and the timeline's SVG. */
export const TRACE_CSS = `
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
`;
