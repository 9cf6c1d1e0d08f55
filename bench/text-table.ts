/**
 * A plain-text table: columns padded to their widest cell (those in `right` aligned right), two
 * spaces apart, a rule of dashes under the head; no trailing spaces, no final newline.
 */
export function textTable(
  head: readonly string[],
  rows: readonly string[][],
  right: ReadonlySet<number>,
): string {
  const lines = [head, ...rows];
  const widths = head.map((_, c) => Math.max(...lines.map((l) => (l[c] ?? '').length)));
  const fmt = (l: readonly string[]) =>
    l
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
