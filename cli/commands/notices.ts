import { NoticesPageSchema } from '../../contracts/reports.ts';
import { defineCommand } from '../command.ts';
import { ExitCode } from '../errors.ts';
import { paint, printJson, provinceLabel } from '../output.ts';
import { noticesTable } from '../report-view.ts';
import { resolveTarget } from '../target.ts';
import { cursorOf, limitOf, MAX_ITEMS, readPages } from './reports.ts';

const NAME = 'notices';
const DEFAULT_LIMIT = 100;

const OPTIONS = {
  cursor: { type: 'string' },
  limit: { type: 'string' },
} as const;

export const notices = defineCommand({
  name: NAME,
  summary: 'change notices (变更通知): licenses this province relied on that changed since',
  usage: [
    'usage: elg notices [--limit N] [--cursor C]',
    '',
    'The change notices --province received, newest first (GET /v1/notices, as its platform): a',
    'province that issued a license tells every province that verified it in the last 90 days of',
    'each new version and each new status. One line each: when it changed (Beijing time), the',
    'issuing province, the change, the version it is to, the new version, the status now.',
    '--json prints {"items": [...]} of every page read (and "cursor" when --limit stopped it).',
    `  --limit N    at most N notices in all (default ${DEFAULT_LIMIT}, at most ${MAX_ITEMS})`,
    '  --cursor C   go on from where a listing stopped, as it named it',
  ],
  options: OPTIONS,
  positionals: { min: 0, max: 0, names: '' },
  async run({ values }, io) {
    const limit = limitOf(values, NAME, DEFAULT_LIMIT);
    const cursor = cursorOf(values, NAME);
    const target = await resolveTarget(values, 'platform', io);
    const pages = await readPages(target, '/v1/notices', {}, NoticesPageSchema, 'notices', limit, cursor);
    if (values.json) {
      printJson(io, { items: pages.raw, ...(pages.cursor ? { cursor: pages.cursor } : {}) });
      return ExitCode.ok;
    }
    const where = provinceLabel(target.province);
    const n = pages.items.length;
    if (n === 0) {
      io.out(`no change notices in ${where}${cursor ? ' from there on' : ''}\n`);
    } else {
      io.out(`${n} change notice${n === 1 ? '' : 's'} received in ${where}, newest first\n\n`);
      io.out(noticesTable(pages.items, paint(io)));
    }
    if (pages.cursor) {
      io.out(`\nmore: elg notices --province ${target.province} --limit ${limit} --cursor ${pages.cursor}\n`);
    }
    return ExitCode.ok;
  },
});
