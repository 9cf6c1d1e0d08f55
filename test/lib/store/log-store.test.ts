import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { append, edgeOf, type Hash, leafHash, MemoryTree } from '../../../lib/audit/merkle.ts';
import type { StoredLeaf } from '../../../lib/store/log-records.ts';
import { LogStorageError } from '../../../lib/store/log-storage-error.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';

const hashes = (n: number, from = 0, tag = 'leaf'): Hash[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${tag} ${from + i}`)));

/** Adds leaves `from`..`from + n` to a store whose tree holds `from` leaves. */
async function grow(store: LogStore, from: number, n: number, tag = 'leaf'): Promise<void> {
  const added = hashes(n, from, tag);
  const grown = append(from, await store.read(edgeOf(from)), added);
  const leaves: StoredLeaf[] = added.map((hash, i) => ({ index: from + i, eventId: `e${from + i}`, hash }));
  await store.extend(leaves, grown.nodes);
}

/** Counts the requests a store sends, by command. */
function counting(t: TestGateway) {
  const sent: string[] = [];
  const doc = new Proxy(t.storage.doc, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  return { doc, sent };
}

describe('the log store: a tree in tiles', () => {
  let t: TestGateway;
  beforeEach(async () => {
    t = await testGateway();
  });

  it('holds what the batches add, leaves, their events and every node, across tiles and levels', async () => {
    const store = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 2 });
    await grow(store, 0, 5);
    await grow(store, 5, 9);
    await grow(store, 14, 3);

    // A store that has kept nothing reads it all back from the table.
    const fresh = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 2 });
    const tree = MemoryTree.of(hashes(17));
    const nodes = tree.allNodes();
    expect(await fresh.read(nodes)).toEqual(nodes.map((n) => n.hash));
    expect(await fresh.leaves(3, 15)).toEqual(
      hashes(12, 3).map((hash, i) => ({ index: 3 + i, eventId: `e${3 + i}`, hash })),
    );
    expect((await fresh.storedNodes(17)).map((n) => `${n.level}/${n.index}`)).toEqual([
      '2/0',
      '2/1',
      '2/2',
      '2/3',
      '4/0',
    ]);
  });

  it('never narrows a tile: a batch written again by a late sequencer leaves the wider tile as it is', async () => {
    const store = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    await grow(store, 0, 3);
    await grow(store, 3, 4);

    // A sequencer that stalled after the first batch writes it again.
    const late = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    const again = append(0, [], hashes(3));
    await late.extend(
      hashes(3).map((hash, i) => ({ index: i, eventId: `e${i}`, hash })),
      again.nodes,
    );

    const tile = await t.storage.doc.send(
      new GetCommand({ TableName: t.storage.tables.log, Key: { pk: 'TILE#0#0', sk: 'TILE' } }),
    );
    expect(tile.Item?.width).toBe(7);
    expect(
      (await new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 }).leaves(0, 7)).length,
    ).toBe(7);
  });

  it('refuses to write a batch over a tile that holds other hashes', async () => {
    const store = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    await grow(store, 0, 4);

    const other = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    const forged = append(0, [], hashes(2, 0, 'forged'));
    const write = other.extend(
      hashes(2, 0, 'forged').map((hash, i) => ({ index: i, eventId: `e${i}`, hash })),
      forged.nodes,
    );

    await expect(write).rejects.toThrow(LogStorageError);
    await expect(write).rejects.toThrow(/TILE#0#0 is stored with other content/);
  });

  it('reads a tile once for the nodes it held, and again only for nodes it did not hold yet', async () => {
    const writer = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    await grow(writer, 0, 5);
    const { doc, sent } = counting(t);
    const reader = new LogStore(doc, t.storage.tables.log, { tileHeight: 3 });

    await reader.read([
      { level: 0, index: 1 },
      { level: 2, index: 0 },
    ]);
    await reader.read([
      { level: 0, index: 4 },
      { level: 1, index: 1 },
    ]);
    const kept = sent.length;
    await grow(writer, 5, 2);
    await reader.read([{ level: 0, index: 6 }]);

    expect(kept).toBe(1);
    expect(sent).toEqual(['BatchGetCommand', 'BatchGetCommand']);
  });

  it.each([
    ['of another height', { height: 2 }],
    ['with fewer bytes than its width says', { hashes: new Uint8Array(32 * 3) }],
    ['wider than a tile', { width: 9, hashes: new Uint8Array(32 * 9) }],
    ['without its hashes', { hashes: 'not binary' }],
  ])('refuses a tile %s (LogStorageError)', async (_, change) => {
    const writer = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    await grow(writer, 0, 4);
    const key = { pk: 'TILE#0#0', sk: 'TILE' };
    const stored = await t.storage.doc.send(new GetCommand({ TableName: t.storage.tables.log, Key: key }));
    await t.storage.doc.send(
      new PutCommand({ TableName: t.storage.tables.log, Item: { ...stored.Item, ...change } }),
    );

    const reader = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });

    await expect(reader.read([{ level: 0, index: 1 }])).rejects.toThrow(LogStorageError);
  });

  it('says which node it does not hold', async () => {
    const store = new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight: 3 });
    await grow(store, 0, 4);

    await expect(store.read([{ level: 0, index: 4 }])).rejects.toThrow('the log holds no node 0/4');
    await expect(store.read([{ level: 3, index: 0 }])).rejects.toThrow('the log holds no node 3/0');
  });
});
