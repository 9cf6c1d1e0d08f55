import { randomBytes } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditAction, AuditEvent } from '../../../contracts/audit.ts';
import type { AuditedEvent } from '../../../contracts/audit-api.ts';
import type { EventFilter, EventRange, Position } from '../../../lib/audit/search.ts';
import { ulid } from '../../../lib/ids.ts';
import { AuditEventReader } from '../../../lib/store/audit-query.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { LoggedEvents } from '../../../lib/store/logged-events.ts';
import { SEARCH_SHARDS, searchShard, tableNames } from '../../../lib/store/tables.ts';

const DAYS = ['2026-06-01', '2026-06-02', '2026-06-03'];
/** Both actions a search by day finds through byAction (DAY_BY_ACTION), and two it finds in byDay. */
const ACTIONS: AuditAction[] = ['verify', 'interop.outbound', 'interop.verify', 'license.read'];

/** Events over three days, spread over every shard, each with details the indexes do not hold. */
function events(count: number): AuditEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const time = new Date(Date.parse(`${DAYS[i % DAYS.length]}T08:00:00Z`) + i * 1000);
    return {
      eventId: ulid(time),
      province: '310000',
      time: time.toISOString(),
      traceId: randomBytes(16).toString('hex'),
      action: ACTIONS[i % ACTIONS.length] as AuditAction,
      outcome: 'success',
      actor: { sub: `officer-${i}`, roles: ['platform'] },
      method: 'POST',
      path: '/v1/verify',
      identifier: `1.2.156.3005.2.test.${i % 4}`,
      ...(i % 3 !== 0 ? { peer: '330000' } : {}),
      details: { matterCode: `M${i}`, useCause: '办理测试', n: i },
    };
  });
}

describe('searching the sharded audit indexes', () => {
  const doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
  const names = tableNames(`srch${randomBytes(3).toString('hex')}`);
  let stored: AuditEvent[];

  beforeAll(async () => {
    await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
    const store = new AuditStore(doc, names.audit);
    stored = events(96);
    for (let i = 0; i < stored.length; i += 25) {
      await Promise.all(stored.slice(i, i + 25).map((e) => store.write(e)));
    }
    stored.sort((a, b) => a.eventId.localeCompare(b.eventId));
  });

  const ids = (items: readonly { eventId: string }[]) => items.map((e) => e.eventId);

  /** Every page of a search, following its positions; each page no larger than asked. */
  async function walk(reader: AuditEventReader, filter: EventFilter, range: EventRange, limit: number) {
    const items: AuditedEvent[] = [];
    let position: Position | undefined;
    let pages = 0;
    do {
      const page = await reader.search({ filter, range, limit, position });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      position = page.next;
      pages++;
    } while (position && pages < 500);
    expect(position).toBeUndefined();
    return { items, pages };
  }

  it('spreads the events of one action, peer and day over every shard', () => {
    const shards = new Set(stored.filter((e) => e.action === 'verify').map((e) => searchShard(e.eventId)));
    expect(shards.size).toBeGreaterThan(SEARCH_SHARDS / 2);
  });

  const searches: [string, EventFilter, EventRange][] = [
    ['an action', { action: 'verify' }, {}],
    ['a peer', { peer: '330000' }, {}],
    ['a peer and an action', { peer: '330000', action: 'interop.outbound' }, {}],
    [
      'a day-by-day walk',
      {},
      { from: new Date('2026-05-31T00:00:00Z'), to: new Date('2026-06-03T23:59:59.999Z') },
    ],
    [
      'an action within part of a day',
      { action: 'license.read' },
      { from: new Date('2026-06-02T08:00:30Z'), to: new Date('2026-06-03T08:01:30Z') },
    ],
  ];

  it.each(searches)('pages %s across its shards exactly, in id order', async (_, filter, range) => {
    const match = (e: AuditEvent) =>
      Object.entries(filter).every(([k, v]) => e[k as keyof AuditEvent] === v) &&
      (!range.from || e.time >= range.from.toISOString()) &&
      (!range.to || e.time <= range.to.toISOString());
    const expected = ids(stored.filter(match));
    expect(expected.length).toBeGreaterThan(5);
    const reader = new AuditEventReader(doc, names.audit);

    const whole = await reader.search({ filter, range, limit: 200 });
    expect(whole.next).toBeUndefined();
    expect(ids(whole.items)).toEqual(expected);
    for (const limit of [2, 9, 50]) {
      const { items, pages } = await walk(reader, filter, range, limit);

      expect(ids(items)).toEqual(expected);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected.length / limit));
    }
  });

  it('pages exactly when the read budget cuts a page in the middle of its shards', async () => {
    // One query per shard a page: each page is one round, and most end before the page is full.
    const reader = new AuditEventReader(doc, names.audit, 1);
    const filter = { action: 'verify' } as const;
    const expected = ids(stored.filter((e) => e.action === 'verify'));

    const { items, pages } = await walk(reader, filter, {}, 10);

    expect(ids(items)).toEqual(expected);
    expect(pages).toBeGreaterThan(Math.ceil(expected.length / 10));
  });

  it('walks days over byDay and the verification actions’ byAction shards, within the read budget', async () => {
    // One query per stream a page: 16 byDay shards and 32 of byAction each round.
    const reader = new AuditEventReader(doc, names.audit, 1);
    const range = { from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-06-03T23:59:59.999Z') };
    const expected = ids(stored);
    expect(new Set(stored.map((e) => e.action))).toEqual(new Set(ACTIONS));

    const { items } = await walk(reader, {}, range, 7);

    expect(ids(items)).toEqual(expected);
  });

  it('lists once a verification event written with a day key, as before byAction served its day', async () => {
    const local = tableNames(`srchold${randomBytes(3).toString('hex')}`);
    await ensureTables({ endpoint: inject('dynamodbEndpoint') }, local);
    const store = new AuditStore(doc, local.audit);
    const old = events(12);
    for (const e of old) {
      const put = store.putItem(e);
      const n = searchShard(e.eventId);
      await doc.send(
        new PutCommand({ ...put, Item: { ...put.Item, dayShard: `${e.time.slice(0, 10)}#${n}` } }),
      );
    }
    const reader = new AuditEventReader(doc, local.audit);
    const range = { from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-06-03T23:59:59.999Z') };

    const { items } = await walk(reader, {}, range, 5);

    expect(ids(items)).toEqual(ids([...old].sort((a, b) => a.eventId.localeCompare(b.eventId))));
  });

  it('reads each event of a page in full from the table, leaf index included', async () => {
    const target = stored.find((e) => e.action === 'verify') as AuditEvent;
    const events = new LoggedEvents(doc, names.audit);
    const item = (await events.get([target.eventId])).get(target.eventId);
    if (!item) throw new Error('the target event is not stored');
    await events.markAll([{ item, leafIndex: 7 }]);
    expect(await events.leafIndexOf(target.eventId)).toBe(7);
    const reader = new AuditEventReader(doc, names.audit);

    const page = await reader.search({ filter: { action: 'verify' }, range: {}, limit: 1 });

    expect(page.items).toEqual([{ ...target, leafIndex: 7 }]);
    expect(Object.keys(page.items[0] ?? {})).not.toContain('actionShard');
  });

  it('retries the keys BatchGetItem leaves unprocessed and skips an id the table does not hold', async () => {
    const phantom = `${stored[0]?.eventId.slice(0, 10)}ZZZZZZZZZZZZZZZZ`;
    const { doc: flaky, batchGets } = flakyReads(doc, phantom);
    const reader = new AuditEventReader(flaky, names.audit);
    const expected = ids(stored.filter((e) => e.peer === '330000'));

    const whole = await reader.search({ filter: { peer: '330000' }, range: {}, limit: 200 });

    expect(ids(whole.items)).toEqual(expected);
    expect(whole.items.every((e) => e.details.useCause === '办理测试')).toBe(true);
    expect(batchGets()).toBeGreaterThanOrEqual(2);
  });
});

/**
 * A client whose index queries also list `phantom` (an id the table does not hold) and whose
 * first BatchGetItem of every page leaves half its keys unprocessed.
 */
function flakyReads(doc: DynamoDBDocumentClient, phantom: string) {
  let batchGets = 0;
  let phantomListed = false;
  const send = doc.send.bind(doc) as (command: unknown, options?: unknown) => Promise<unknown>;
  const flaky = Object.create(doc) as DynamoDBDocumentClient;
  flaky.send = (async (command: unknown, options?: unknown) => {
    if (command instanceof QueryCommand) {
      const out = (await send(command, options)) as { Items?: Record<string, unknown>[] };
      if (!phantomListed && command.input.IndexName === 'byPeer') {
        phantomListed = true;
        out.Items = [...(out.Items ?? []), { eventId: phantom }].sort((a, b) =>
          String(a.eventId).localeCompare(String(b.eventId)),
        );
      }
      return out;
    }
    if (command instanceof BatchGetCommand) {
      batchGets++;
      const request = command.input.RequestItems ?? {};
      if (batchGets > 1) return send(command, options);
      const [table, { Keys = [], ...rest } = {}] = Object.entries(request)[0] ?? [];
      const half = Math.ceil(Keys.length / 2);
      const out = (await send(
        new BatchGetCommand({ RequestItems: { [table as string]: { ...rest, Keys: Keys.slice(0, half) } } }),
        options,
      )) as Record<string, unknown>;
      return { ...out, UnprocessedKeys: { [table as string]: { ...rest, Keys: Keys.slice(half) } } };
    }
    return send(command, options);
  }) as DynamoDBDocumentClient['send'];
  return { doc: flaky, batchGets: () => batchGets };
}
