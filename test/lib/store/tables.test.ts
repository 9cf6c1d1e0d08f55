import { describe, expect, it } from 'vitest';
import { EVENT_FILTERS } from '../../../lib/audit/search.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import {
  AUDIT_TABLE,
  AuditIndex,
  attributesOf,
  createTableInput,
  DAY_BY_ACTION,
  NATIONAL_SCALE,
  PENDING_SHARDS,
  projectionOf,
  SEARCH_SHARDS,
  searchShard,
  shardAttributes,
} from '../../../lib/store/tables.ts';

const indexes = AUDIT_TABLE.indexes ?? [];
const searchIndexes = indexes.filter((i) => i.name !== AuditIndex.pending);

/** The largest value of each attribute a search index item can carry (contracts/audit*.ts). */
const MAX_BYTES: Record<string, number> = {
  eventId: 26,
  traceId: 32,
  identifier: 128,
  holderHash: 43,
  peer: 6,
  action: 'agreement.withdraw'.length,
  pendingShard: 2,
  peerShard: 6 + 3,
  actionShard: 'agreement.withdraw'.length + 3,
  dayShard: 10 + 3,
};

/**
 * The hottest partition of an index at the documented rate (docs/protocol.md, audit storage):
 * the events of one side of a verification that can share one key value, times its index writes,
 * in WCU, spread over its shards.
 */
function hottestWcuPerSecond(i: (typeof indexes)[number]): number {
  const c = i.cardinality;
  if (c.class !== 'sharded') return Number.NaN;
  const events = NATIONAL_SCALE.verificationsPerSecond * NATIONAL_SCALE.eventsPerVerificationPerSide;
  return (events * c.hottestShare * i.writesPerEvent * NATIONAL_SCALE.wcuPerIndexItem) / c.shards;
}

describe('the audit indexes at national scale', () => {
  it('keys no index on fewer than thousands of values a day without write sharding', () => {
    const highCardinality = ['per-event', 'per-license', 'per-holder'];
    for (const i of indexes) {
      const c = i.cardinality;
      if (c.class === 'sharded') {
        expect(c.shards, i.name).toBeGreaterThanOrEqual(2);
        expect(hottestWcuPerSecond(i), i.name).toBeLessThan(NATIONAL_SCALE.partitionWcuPerSecond);
      } else {
        expect(highCardinality, i.name).toContain(c.class);
        // A key of many values is the attribute itself, never a sharded form of it.
        expect(['traceId', 'identifier', 'holderHash'], i.name).toContain(i.partitionKey);
      }
    }
    // The attributes of few values a day are keyed only through their shards.
    for (const few of ['peer', 'action', 'day']) {
      expect(indexes.map((i) => i.partitionKey)).not.toContain(few);
      expect(
        indexes.filter((i) => i.cardinality.class === 'sharded' && i.cardinality.of === few),
      ).toHaveLength(1);
    }
  });

  it('holds the rates docs/protocol.md documents', () => {
    const rates = Object.fromEntries(
      indexes.filter((i) => i.cardinality.class === 'sharded').map((i) => [i.name, hottestWcuPerSecond(i)]),
    );
    expect(rates).toEqual({ pending: 250, byPeer: 62.5, byAction: 62.5, byDay: 62.5 });
    expect(SEARCH_SHARDS).toBe(16);
    expect(PENDING_SHARDS).toBe(8);
  });

  it('keeps a search index item under 1 KB, so it costs 1 WCU', () => {
    for (const i of searchIndexes) {
      const attrs = attributesOf(AUDIT_TABLE, i);
      expect(attrs, i.name).not.toBe('ALL');
      const bytes = (attrs as string[]).reduce((sum, a) => {
        expect(MAX_BYTES[a], `${i.name}: ${a}`).toBeDefined();
        return sum + a.length + (MAX_BYTES[a] ?? 0);
      }, 0);
      expect(bytes, i.name).toBeLessThan(1024);
    }
  });

  it('projects into every search index each attribute a FilterExpression of the search can name', () => {
    for (const i of searchIndexes) {
      const attrs = attributesOf(AUDIT_TABLE, i);
      for (const name of EVENT_FILTERS) expect(attrs, `${i.name} lacks ${name}`).toContain(name);
      // Nothing a search does not read: the keys and the filter attributes.
      expect(new Set(attrs)).toEqual(new Set(['eventId', i.partitionKey, ...EVENT_FILTERS]));
      expect(attrs).not.toContain('leafIndex');
    }
  });

  it('keeps only the keys in the pending index: the sequencer reads the items themselves', () => {
    const pending = indexes.find((i) => i.name === AuditIndex.pending);
    expect(pending?.projection).toEqual({ type: 'KEYS_ONLY' });
    expect(pending && projectionOf(AUDIT_TABLE, pending)).toEqual({ ProjectionType: 'KEYS_ONLY' });
  });

  it('creates each index with its definition: keys and projection, key attributes left out of INCLUDE', () => {
    const input = createTableInput(AUDIT_TABLE, 't-audit');
    expect(
      input.GlobalSecondaryIndexes?.map((g) => [
        g.IndexName,
        g.KeySchema?.map((k) => k.AttributeName).join('/'),
        g.Projection?.ProjectionType,
        g.Projection?.NonKeyAttributes?.join(','),
      ]),
    ).toEqual([
      ['pending', 'pendingShard/eventId', 'KEYS_ONLY', undefined],
      ['byTrace', 'traceId/eventId', 'INCLUDE', 'identifier,holderHash,peer,action'],
      ['byIdentifier', 'identifier/eventId', 'INCLUDE', 'traceId,holderHash,peer,action'],
      ['byHolder', 'holderHash/eventId', 'INCLUDE', 'traceId,identifier,peer,action'],
      ['byPeer', 'peerShard/eventId', 'INCLUDE', 'traceId,identifier,holderHash,peer,action'],
      ['byAction', 'actionShard/eventId', 'INCLUDE', 'traceId,identifier,holderHash,peer,action'],
      ['byDay', 'dayShard/eventId', 'INCLUDE', 'traceId,identifier,holderHash,peer,action'],
    ]);
  });

  it('writes the sharded keys of an event, its shard derived from its id', () => {
    const event = {
      eventId: '01M8RJ8ZRZH1562D8NE6RTMSPY',
      province: '330000',
      time: '2026-12-01T10:26:45.151Z',
      traceId: '4bf92f3577b34da6a3ce929d0e0736aa',
      action: 'verify' as const,
      outcome: 'success' as const,
      actor: {},
      peer: '310000',
      details: {},
    };
    const n = searchShard(event.eventId);
    const item = new AuditStore({} as never, 't-audit').putItem(event).Item;

    expect(item).toMatchObject({ peerShard: `310000#${n}`, actionShard: `verify#${n}` });
    expect(item).not.toHaveProperty('day');
    expect(shardAttributes({ ...event, peer: undefined })).not.toHaveProperty('peerShard');
    // A verification's events are found by day through byAction: they take no byDay write.
    expect(item).not.toHaveProperty('dayShard');
    expect(shardAttributes({ ...event, action: 'interop.verify' })).not.toHaveProperty('dayShard');
    expect(DAY_BY_ACTION).toEqual(['verify', 'interop.verify']);
    // Every other action keeps its day key.
    expect(shardAttributes({ ...event, action: 'interop.outbound' })).toMatchObject({
      actionShard: `interop.outbound#${n}`,
      dayShard: `2026-12-01#${n}`,
    });
  });

  it('spreads event ids evenly over the shards', () => {
    const counts = new Array(SEARCH_SHARDS).fill(0);
    const base = Date.parse('2026-06-01T00:00:00Z');
    for (let i = 0; i < 16_000; i++) {
      const id = `${(base + i).toString(32).toUpperCase().padStart(10, '0')}${i.toString(32).toUpperCase().padStart(16, '0')}`;
      counts[searchShard(id)]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
    for (const c of counts) expect(c).toBeLessThan(1200);
  });
});
