import { displayWidth as units } from './display-width.ts';

/** Text made safe for HTML and SVG, and cut to fit a width. */

export const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** SVG text content cut to fit `max` units, with an ellipsis and the whole text as a tooltip. */
export function fitted(s: string, max: number): string {
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
