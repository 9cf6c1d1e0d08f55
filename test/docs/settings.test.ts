import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionSpec } from '../../functions/catalog.ts';
import { keyPurposesOf } from '../../lib/config.ts';

/** docs/settings.md §14.2: one row per function, as its catalog entry reads. */
function rowOf(f: FunctionSpec): string[] {
  const tables = Object.entries(f.tables)
    .map(([k, a]) => {
      const indexes = f.queriesIndexes?.[k as keyof typeof f.tables] ?? [];
      return `${k} (${a}${indexes.length > 0 ? `, indexes ${indexes.join(' ')}` : ''})`;
    })
    .join(', ');
  const purposes = keyPurposesOf(f);
  const keys = f.publishesKeys
    ? `${purposes.join(', ')} (publishes), earlier and staged generations`
    : purposes.map((p) => `${p} (signs)`).join(', ') || 'none';
  const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');
  return [
    f.name,
    tables,
    keys,
    yes(f.tables.registry !== undefined),
    yes(f.bearerTokens),
    yes((f.secrets ?? []).includes('holderHash')),
  ];
}

describe('docs/settings.md §14.2', () => {
  it('lists what each function reads exactly as the function catalog says', async () => {
    const text = await readFile(join(import.meta.dirname, '../../docs/settings.md'), 'utf8');
    const section = text.slice(text.indexOf('## 14.2'), text.indexOf('## 14.3'));
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| function') && !l.startsWith('| ---'))
      .map((l) =>
        l
          .slice(1, -1)
          .split('|')
          .map((c) => c.trim()),
      );
    expect(rows).toEqual(FUNCTIONS.map(rowOf));
  });
});
