import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchEvents } from '../../cli/audit-events.ts';
import { eventsTable } from '../../cli/audit-events-view.ts';
import { HttpError } from '../../cli/errors.ts';
import type { Paint } from '../../cli/output.ts';
import { displayWidth } from '../../lib/audit/display-width.ts';
import { AUDIT_TABLE_COLUMNS } from './run-elg.ts';

const HASH = 'h'.repeat(43);
const TRACE = 'ab'.repeat(16);

function event(n: number, province = '310000') {
  return {
    eventId: `01M8RJR5WFDNTM73ESYRMG${String(n).padStart(4, '0')}`,
    province,
    time: `2026-06-01T08:00:${String(n).padStart(2, '0')}.000Z`,
    traceId: TRACE,
    action: 'verify',
    outcome: n % 2 === 0 ? 'refused' : 'success',
    actor: {},
    ...(n % 2 === 0 ? { errorCode: 'AGREEMENT_REQUIRED', peer: '330000' } : {}),
    details: {},
  };
}

interface Seen {
  method: string;
  url: string;
  body: string;
}

/**
 * An auditor API that pages like the real one when its read budget runs out: a page with one
 * event, then an empty page that still names a cursor, then the last event.
 */
function fakeGateway(seen: Seen[]) {
  const pages: Record<string, { items: unknown[]; cursor?: string }> = {
    '': { items: [event(1)], cursor: 'c1' },
    c1: { items: [], cursor: 'c2' },
    c2: { items: [event(2)], cursor: 'c3' },
    c3: { items: [event(3)] },
  };
  return createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', body });
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/v1/audit/holder-hash') {
      res.end(JSON.stringify({ holderHash: HASH }));
      return;
    }
    if (url.searchParams.get('from') === 'bad') {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: { code: 'INVALID_REQUEST', message: 'no', traceId: TRACE } }));
      return;
    }
    const page = pages[url.searchParams.get('cursor') ?? ''];
    const limit = Number(url.searchParams.get('limit'));
    res.end(JSON.stringify(page ? { ...page, items: page.items.slice(0, limit) } : { items: [] }));
  });
}

const plain: Paint = { bold: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s };

describe('searchEvents against an auditor API', () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = fakeGateway(seen);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('follows every cursor, empty pages included, to the last page', async () => {
    seen.length = 0;
    const result = await searchEvents([{ province: '310000', url, token: 't' }], {
      identifier: 'x',
      limit: 100,
    });
    expect(result.items.map((e) => e.eventId.slice(-4))).toEqual(['0001', '0002', '0003']);
    expect(result.more).toBe(false);
    expect(seen.map((s) => new URL(s.url, url).searchParams.get('cursor'))).toEqual([null, 'c1', 'c2', 'c3']);
    expect(seen.every((s) => new URL(s.url, url).searchParams.get('identifier') === 'x')).toBe(true);
  });

  it('stops at the limit, asks only for what is left, and says more match', async () => {
    seen.length = 0;
    const result = await searchEvents([{ province: '310000', url, token: 't' }], {
      identifier: 'x',
      limit: 2,
    });
    expect(result.items).toHaveLength(2);
    expect(result.more).toBe(true);
    expect(seen.map((s) => new URL(s.url, url).searchParams.get('limit'))).toEqual(['2', '1', '1']);
  });

  it('sends the holder code only in the POST body, and queries by the hash the province gave', async () => {
    seen.length = 0;
    const code = '11010519491231002X';
    const result = await searchEvents([{ province: '310000', url, token: 't' }], {
      holder: { typeCode: '111', code },
      limit: 100,
    });
    const [hash, ...gets] = seen;
    expect(hash).toEqual({
      method: 'POST',
      url: '/v1/audit/holder-hash',
      body: JSON.stringify({ holderTypeCode: '111', holderCode: code }),
    });
    expect(
      gets.every((s) => s.method === 'GET' && !s.url.includes(code) && s.url.includes(`holderHash=${HASH}`)),
    ).toBe(true);
    expect(result.provinces[0]?.holderHash).toBe(HASH);
  });

  it('merges provinces in time order, reports one that cannot be read, and ends on an invalid query', async () => {
    const result = await searchEvents(
      [
        { province: '310000', url, token: 't' },
        { province: '330000', url: 'http://127.0.0.1:9', token: 't' },
      ],
      { identifier: 'x', limit: 100 },
    );
    expect(result.provinces.map((p) => [p.province, p.items.length, p.error !== undefined])).toEqual([
      ['310000', 3, false],
      ['330000', 0, true],
    ]);
    const table = eventsTable(result, 100, plain);
    const lines = table.split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual([...AUDIT_TABLE_COLUMNS]);
    expect(lines[2]?.split(/\s{2,}/)).toEqual([
      '2026-06-01T08:00:02.000Z',
      '310000 上海',
      'verify',
      'refused',
      'AGREEMENT_REQUIRED',
      '-',
      '330000 浙江',
      TRACE,
    ]);
    // Columns line up although province names are double-width.
    const column = (line: string | undefined, word: string) =>
      displayWidth((line ?? '').slice(0, (line ?? '').indexOf(word)));
    expect(column(lines[1], 'verify')).toBe(column(lines[0], 'ACTION'));
    expect(column(lines[2], '330000')).toBe(column(lines[0], 'PEER'));
    expect(table).toContain('3 events from 1 province (310000 上海: 3)');
    expect(table).toMatch(/330000 浙江 could not be read: no answer from http:\/\/127\.0\.0\.1:9/);

    await expect(
      searchEvents([{ province: '310000', url, token: 't' }], { from: 'bad', limit: 1 }),
    ).rejects.toBeInstanceOf(HttpError);
  });
});
