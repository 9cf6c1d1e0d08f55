import type { AuditedEvent } from '../contracts/audit-api.ts';
import { displayWidth } from '../lib/audit/display-width.ts';
import type { EventSearchResult } from './audit-events.ts';
import { type Paint, provinceLabel } from './output.ts';

const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

const COLUMNS = ['TIME', 'PROVINCE', 'ACTION', 'OUTCOME', 'ERROR', 'IDENTIFIER', 'PEER', 'TRACE'] as const;

function cells(e: AuditedEvent): string[] {
  return [
    e.time,
    provinceLabel(e.province),
    e.action,
    e.outcome,
    e.errorCode ?? '-',
    e.identifier ?? '-',
    e.peer ? provinceLabel(e.peer) : '-',
    e.traceId,
  ];
}

/**
 * The events as a table, one line each in time order, then what was asked of whom: a province
 * that could not be read, and whether more events match than are shown.
 */
export function eventsTable(result: EventSearchResult, limit: number, paint: Paint): string {
  const rows = result.items.map(cells);
  const widths = COLUMNS.map((title, i) =>
    Math.max(title.length, ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (r: readonly string[], colour?: (s: string) => string) =>
    r
      .map((c, i) => {
        const padded = i === r.length - 1 ? c : pad(c, widths[i] ?? 0);
        return i === 3 && colour ? colour(padded) : padded;
      })
      .join('  ');
  const out: string[] = [];
  if (rows.length === 0) out.push('no events match');
  else {
    out.push(paint.bold(line(COLUMNS)));
    result.items.forEach((e, k) => {
      const colour =
        e.outcome === 'success' ? paint.green : e.outcome === 'refused' ? paint.yellow : paint.red;
      out.push(line(rows[k] ?? [], colour));
    });
  }
  out.push('');
  const read = result.provinces.filter((p) => p.error === undefined);
  out.push(
    `${result.items.length} event${result.items.length === 1 ? '' : 's'} from ${read.length} province${read.length === 1 ? '' : 's'} (${read.map((p) => `${provinceLabel(p.province)}: ${p.items.length}${p.more ? '+' : ''}`).join(', ') || 'none'})`,
  );
  if (result.more)
    out.push(`more events match: only the first ${limit} are shown (raise --limit or narrow the query)`);
  for (const p of result.provinces)
    if (p.error !== undefined)
      out.push(paint.red(`${provinceLabel(p.province)} could not be read: ${p.error}`));
  return `${out.join('\n')}\n`;
}
