import { describe, expect, it } from 'vitest';
import { append, edgeOf, type Hash, leafHash, MemoryTree } from '../../../lib/audit/merkle.ts';
import {
  assertTileHeight,
  baseOf,
  deriveNodes,
  isStoredLevel,
  touchedTiles,
} from '../../../lib/audit/tiles.ts';

const leaves = (n: number, from = 0): Hash[] =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${from + i}`)));

describe('tiles of the stored tree', () => {
  it.each([1, 2, 3, 4, 8])(
    'give every node of a tree of 37 leaves from the stored levels alone (height %i)',
    (height) => {
      // Prepare: only the levels a store of this height keeps.
      const tree = MemoryTree.of(leaves(37));
      const all = tree.allNodes();
      const stored = new Map(
        all.filter((n) => isStoredLevel(n.level, height)).map((n) => [`${n.level}/${n.index}`, n.hash]),
      );

      // Act
      const derived = deriveNodes(all, height, (level, index) => stored.get(`${level}/${index}`));

      // Assess
      expect(derived).toEqual(all.map((n) => n.hash));
    },
  );

  it('compute a subtree once across calls when its hashes are kept, and keep no missing one', () => {
    const tree = MemoryTree.of(leaves(37));
    const all = tree.allNodes();
    const stored = new Map(
      all.filter((n) => n.level % 8 === 0).map((n) => [`${n.level}/${n.index}`, n.hash]),
    );
    let reads = 0;
    const read = (level: number, index: number) => {
      reads++;
      return stored.get(`${level}/${index}`);
    };
    const kept = new Map<string, Hash>();
    const ids = all.filter((n) => n.level > 0 && n.level < 8);

    const first = deriveNodes(ids, 8, read, kept);
    const firstReads = reads;
    reads = 0;
    const again = deriveNodes(ids, 8, read, kept);

    expect(first).toEqual(ids.map((n) => n.hash));
    expect(again).toEqual(first);
    expect(firstReads).toBeGreaterThan(30);
    expect(reads).toBe(0);
    // A node whose leaves are not all stored is not kept as anything.
    stored.delete('0/36');
    const fresh = new Map<string, Hash>();
    expect(deriveNodes([{ level: 1, index: 18 }], 8, read, fresh)).toEqual([undefined]);
    expect(fresh.size).toBe(0);
  });

  it('give no node whose stored nodes are not all there', () => {
    const tree = MemoryTree.of(leaves(16));
    const stored = new Map(
      tree
        .allNodes()
        .filter((n) => n.level % 2 === 0 && !(n.level === 0 && n.index === 5))
        .map((n) => [`${n.level}/${n.index}`, n.hash]),
    );

    const [covering, besides, above] = deriveNodes(
      [
        { level: 1, index: 2 },
        { level: 1, index: 3 },
        { level: 3, index: 0 },
      ],
      2,
      (level, index) => stored.get(`${level}/${index}`),
    );

    expect(covering).toBeUndefined();
    expect(besides).toEqual(tree.node({ level: 1, index: 3 }));
    // Level 3 is computed from level 2, which is stored whole.
    expect(above).toEqual(tree.node({ level: 3, index: 0 }));
  });

  it('place a node in the tile of the stored nodes it is computed from', () => {
    expect(baseOf({ level: 0, index: 9 }, 2)).toEqual({
      tile: { level: 0, index: 2 },
      baseLevel: 0,
      first: 9,
      count: 1,
    });
    expect(baseOf({ level: 3, index: 5 }, 2)).toEqual({
      tile: { level: 1, index: 2 },
      baseLevel: 2,
      first: 10,
      count: 2,
    });
    expect(baseOf({ level: 7, index: 1 }, 8)).toEqual({
      tile: { level: 0, index: 0 },
      baseLevel: 0,
      first: 128,
      count: 128,
    });
  });

  it('name the tiles a batch adds to, with the hashes each held before', async () => {
    // A tree of 5 leaves grows to 14: leaves 5-13 and the level-2 nodes 1 and 2 become complete.
    const before = MemoryTree.of(leaves(5));
    const grown = append(5, await before.read(edgeOf(5)), leaves(9, 5));

    expect(touchedTiles(grown.nodes, 2)).toEqual([
      { tile: { level: 0, index: 1 }, keep: 1, from: 5, to: 8 },
      { tile: { level: 0, index: 2 }, keep: 0, from: 8, to: 12 },
      { tile: { level: 0, index: 3 }, keep: 0, from: 12, to: 14 },
      { tile: { level: 1, index: 0 }, keep: 1, from: 1, to: 3 },
    ]);
  });

  it('refuse a height outside 1 to 8', () => {
    for (const bad of [0, 9, 1.5, -1, Number.NaN]) expect(() => assertTileHeight(bad)).toThrow(TypeError);
    expect(() => assertTileHeight(8)).not.toThrow();
  });
});
