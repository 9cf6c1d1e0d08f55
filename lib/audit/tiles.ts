import { type Hash, type NodeId, nodeHash, nodeKey } from './merkle.ts';

/**
 * The log's tree stored as tiles, after C2SP tlog-tiles: a tile of height `h` at tile level `L`
 * holds the hashes of up to 2^h consecutive nodes of tree level `L·h` (tile level 0: the leaves),
 * in order; tile `N` of that level starts at node `N·2^h`. The levels between are not stored: a
 * node of level `L·h + r` (0 < r < h) is the hash of 2^r consecutive nodes of level `L·h`, all in
 * one tile, and is computed from them. The tiles of a tree of `size` leaves hold, at tile level
 * `L`, the `floor(size / 2^(L·h))` complete nodes of level `L·h`; every tile is full but the last
 * of each level, which grows as the tree does and only ever grows: what a tile holds never
 * changes, so any copy of a tile (a narrower one too) is good for the nodes it covers.
 *
 * With h = 8 a tile holds 256 hashes (8 KiB) and a tree of 2^32 leaves has 4 tile levels, so an
 * audit path of 32 nodes comes from at most 4 tiles, and integrating an event costs its 32 bytes
 * in a tile instead of an item of its own and one per node above it.
 */
export const DEFAULT_TILE_HEIGHT = 8;
/** Tests use tiles of 2 and 4 hashes, so that a few events span several tiles and levels. */
export const MAX_TILE_HEIGHT = 8;

export interface TileId {
  /** Tile level: the tile holds nodes of tree level `level · height`. */
  level: number;
  index: number;
}

export function assertTileHeight(height: number): void {
  if (!Number.isSafeInteger(height) || height < 1 || height > MAX_TILE_HEIGHT) {
    throw new TypeError(`a tile height is 1 to ${MAX_TILE_HEIGHT}, not ${height}`);
  }
}

/** Hashes a tile holds when full. */
export function tileWidth(height: number): number {
  return 2 ** height;
}

/** Whether tree level `level` is stored (a tile level's base) or computed. */
export function isStoredLevel(level: number, height: number): boolean {
  return level % height === 0;
}

/** Complete nodes of tree level `level` in a tree of `size` leaves. */
export function nodesAt(level: number, size: number): number {
  return Math.floor(size / 2 ** level);
}

/**
 * The stored nodes node `id` is computed from: `count` consecutive nodes of tree level
 * `baseLevel` from `first`, all in tile `tile`.
 */
export function baseOf(id: NodeId, height: number) {
  const r = id.level % height;
  const baseLevel = id.level - r;
  const first = id.index * 2 ** r;
  return {
    tile: { level: baseLevel / height, index: Math.floor(first / tileWidth(height)) },
    baseLevel,
    first,
    count: 2 ** r,
  };
}

/** Hashes of perfect subtrees computed earlier, kept by the caller across calls (a bounded cache). */
export interface DerivedNodes {
  get(key: string): Hash | undefined;
  set(key: string, hash: Hash): void;
}

/**
 * The hashes of `ids` from the stored nodes `stored(level, index)` gives (levels that are
 * multiples of `height`), computing the levels between: undefined for a node whose stored nodes
 * are not all there. Subtrees shared by several ids are hashed once; with `kept`, once across
 * calls too (a perfect subtree's hash never changes, so a computed one is good for good).
 */
export function deriveNodes(
  ids: readonly NodeId[],
  height: number,
  stored: (level: number, index: number) => Hash | undefined,
  kept?: DerivedNodes,
): (Hash | undefined)[] {
  const memo = new Map<string, Hash | undefined>();
  const derive = (level: number, index: number): Hash | undefined => {
    if (isStoredLevel(level, height)) return stored(level, index);
    const key = nodeKey({ level, index });
    if (memo.has(key)) return memo.get(key);
    const known = kept?.get(key);
    if (known) return known;
    const left = derive(level - 1, 2 * index);
    const right = left && derive(level - 1, 2 * index + 1);
    const hash = left && right ? nodeHash(left, right) : undefined;
    memo.set(key, hash);
    if (hash) kept?.set(key, hash);
    return hash;
  };
  return ids.map((id) => derive(id.level, id.index));
}

/**
 * The tiles a batch touches: for each tile level, the tiles holding the new nodes of its base
 * level (`nodes`: every node that became complete, leaves included, as `append` gives them),
 * each with the range of its own hashes that are new. A tile that already held some keeps them:
 * `keep` is how many come before the new ones.
 */
export function touchedTiles(
  nodes: readonly { level: number; index: number }[],
  height: number,
): { tile: TileId; keep: number; from: number; to: number }[] {
  const width = tileWidth(height);
  const ranges = new Map<number, { from: number; to: number }>();
  for (const n of nodes) {
    if (!isStoredLevel(n.level, height)) continue;
    const r = ranges.get(n.level);
    if (!r) ranges.set(n.level, { from: n.index, to: n.index + 1 });
    else {
      if (n.index !== r.to) throw new TypeError(`new nodes of level ${n.level} are not consecutive`);
      r.to = n.index + 1;
    }
  }
  const out: { tile: TileId; keep: number; from: number; to: number }[] = [];
  for (const [level, { from, to }] of [...ranges].sort((a, b) => a[0] - b[0])) {
    for (let t = Math.floor(from / width); t * width < to; t++) {
      const start = t * width;
      out.push({
        tile: { level: level / height, index: t },
        keep: Math.max(0, from - start),
        from: Math.max(from, start),
        to: Math.min(to, start + width),
      });
    }
  }
  return out;
}
