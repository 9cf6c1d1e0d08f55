import { createHash } from 'node:crypto';

/*
 * Longer than 300 lines on purpose: this is one algorithm, RFC 9162's tree, whose plans, append,
 * verification and in-memory reference all lean on the same private helpers (split point, fold,
 * perfect cover); split, each part would have to export what is the tree's own inside.
 */

/**
 * RFC 9162 Merkle trees (section 2.1): leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left ||
 * right), the tree over n leaves split at the largest power of two below n.
 *
 * Storage is by perfect subtrees: node (level, index) is the hash of the 2^level leaves starting at
 * leaf index * 2^level (level 0 is a leaf hash). Such a node never changes once its last leaf is
 * appended, so it can be written once and read by key. Every hash a tree head or a proof needs is
 * a fold of O(log n) of them: a plan names the nodes to read, and assembles the answer from them.
 */

export type Hash = Uint8Array;
export const HASH_BYTES = 32;

export function sha256(...parts: Uint8Array[]): Hash {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = sha256();

export function leafHash(data: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, data);
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

/** A perfect subtree: 2^level leaves from leaf index * 2^level. */
export interface NodeId {
  level: number;
  index: number;
}
export interface Node extends NodeId {
  hash: Hash;
}

/** What to read, and how to turn the hashes read (in the order of `nodes`) into the answer. */
export interface Plan<T> {
  nodes: readonly NodeId[];
  assemble(hashes: readonly Hash[]): T;
}

/** Reads perfect-subtree hashes; every node asked for lies within the tree it serves. */
export interface NodeReader {
  read(ids: readonly NodeId[]): Promise<Hash[]>;
}

export function run<T>(reader: NodeReader, plan: Plan<T>): Promise<T> {
  return reader.read(plan.nodes).then((hashes) => plan.assemble(hashes));
}

export const nodeKey = (id: NodeId) => `${id.level}/${id.index}`;

/** The tree head over the first `size` leaves. */
export function rootPlan(size: number): Plan<Hash> {
  assertSize(size, 'size');
  if (size === 0) return { nodes: [], assemble: () => EMPTY_ROOT };
  const plan = rangesPlan([[0, size]]);
  return { nodes: plan.nodes, assemble: (hashes) => plan.assemble(hashes)[0] ?? EMPTY_ROOT };
}

/** RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves, leaf to root. */
export function inclusionPlan(index: number, size: number): Plan<Hash[]> {
  assertSize(size, 'size');
  assertSize(index, 'index');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  return rangesPlan(pathRanges(index, 0, size));
}

/** RFC 9162 2.1.4.1: the consistency proof from the tree of `from` leaves to the tree of `to`. */
export function consistencyPlan(from: number, to: number): Plan<Hash[]> {
  assertSize(from, 'from');
  assertSize(to, 'to');
  if (from > to) throw new RangeError(`from (${from}) is larger than to (${to})`);
  if (from === 0 || from === to) return rangesPlan([]);
  return rangesPlan(subproofRanges(from, 0, to, true));
}

type Range = readonly [start: number, end: number];

function pathRanges(m: number, start: number, end: number): Range[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = splitPoint(n);
  return m < k
    ? [...pathRanges(m, start, start + k), [start + k, end]]
    : [...pathRanges(m - k, start + k, end), [start, start + k]];
}

function subproofRanges(m: number, start: number, end: number, complete: boolean): Range[] {
  const n = end - start;
  if (m === n) return complete ? [] : [[start, end]];
  const k = splitPoint(n);
  return m <= k
    ? [...subproofRanges(m, start, start + k, complete), [start + k, end]]
    : [...subproofRanges(m - k, start + k, end, false), [start, start + k]];
}

/**
 * The hashes of tree ranges that occur in RFC 9162's recursion: each starts at a multiple of the
 * smallest power of two not below its length, so it is a run of perfect subtrees of decreasing size
 * whose right fold is its hash.
 */
function rangesPlan(ranges: readonly Range[]): Plan<Hash[]> {
  const parts = ranges.map(([start, end]) => perfectCover(start, end));
  const nodes: NodeId[] = [];
  const at = new Map<string, number>();
  for (const id of parts.flat()) {
    const key = nodeKey(id);
    if (!at.has(key)) {
      at.set(key, nodes.length);
      nodes.push(id);
    }
  }
  return {
    nodes,
    assemble(hashes) {
      if (hashes.length !== nodes.length) throw new TypeError('one hash per planned node is required');
      return parts.map((ids) => foldRight(ids.map((id) => hashes[at.get(nodeKey(id)) ?? -1] ?? missing(id))));
    },
  };
}

/** The perfect subtrees covering [start, end), left to right, greedily largest first. */
export function perfectCover(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= end) level++;
    out.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return out;
}

/** The compact range of a tree: the perfect subtrees the first `size` leaves form, largest first. */
export function edgeOf(size: number): NodeId[] {
  return perfectCover(0, size);
}

/** The root of a tree from its compact range (the hashes of `edgeOf(size)`). */
export function rootOfEdge(edge: readonly Hash[]): Hash {
  return edge.length === 0 ? EMPTY_ROOT : foldRight(edge);
}

/**
 * Appends leaves to a tree of `size` leaves whose compact range is `edge`: every node that becomes
 * complete (the leaves themselves included), and the compact range after.
 */
export function append(
  size: number,
  edge: readonly Hash[],
  leaves: readonly Hash[],
): { nodes: Node[]; edge: Hash[]; size: number } {
  const ids = edgeOf(size);
  if (ids.length !== edge.length)
    throw new TypeError(`a tree of ${size} leaves has ${ids.length} edge nodes`);
  const stack: Node[] = ids.map((id, i) => ({ ...id, hash: edge[i] ?? missing(id) }));
  const nodes: Node[] = [];
  leaves.forEach((hash, i) => {
    let top: Node = { level: 0, index: size + i, hash };
    nodes.push(top);
    for (let left = stack.at(-1); left && left.level === top.level; left = stack.at(-1)) {
      stack.pop();
      top = { level: top.level + 1, index: left.index / 2, hash: nodeHash(left.hash, top.hash) };
      nodes.push(top);
    }
    stack.push(top);
  });
  return { nodes, edge: stack.map((n) => n.hash), size: size + leaves.length };
}

/** RFC 9162 2.1.3.2. False for any proof that does not lead from the leaf to `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!isSize(index) || !isSize(size) || index >= size || !allHashes([leaf, root, ...proof])) return false;
  const at = new Walk(index, size - 1);
  let r = leaf;
  for (const p of proof) {
    if (at.sn === 0) return false;
    if (at.fromLeft) {
      r = nodeHash(p, r);
      at.shiftToSetBit();
    } else {
      r = nodeHash(r, p);
    }
    at.shift();
  }
  return at.sn === 0 && equal(r, root);
}

/**
 * RFC 9162 2.1.4.2, with the two cases its algorithm leaves out: equal sizes (empty proof, equal
 * roots) and the empty tree (empty proof, consistent with every tree).
 */
export function verifyConsistency(
  from: number,
  to: number,
  proof: readonly Hash[],
  fromRoot: Hash,
  toRoot: Hash,
): boolean {
  if (!isSize(from) || !isSize(to) || from > to || !allHashes([fromRoot, toRoot, ...proof])) return false;
  if (from === 0) return proof.length === 0 && equal(fromRoot, EMPTY_ROOT);
  if (from === to) return proof.length === 0 && equal(fromRoot, toRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  const at = new Walk(from - 1, to - 1);
  while (at.fn % 2 === 1) at.shift();
  const [first, ...rest] = path;
  if (!first) return false;
  let fr = first;
  let sr = first;
  for (const c of rest) {
    if (at.sn === 0) return false;
    if (at.fromLeft) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      at.shiftToSetBit();
    } else {
      sr = nodeHash(sr, c);
    }
    at.shift();
  }
  return at.sn === 0 && equal(fr, fromRoot) && equal(sr, toRoot);
}

/** The node indices `fn` and `sn` of RFC 9162's verification loops (2.1.3.2, 2.1.4.2), shifted together. */
class Walk {
  constructor(
    public fn: number,
    public sn: number,
  ) {}

  /** Whether the next proof hash is a left sibling: fn is odd, or on the tree's right edge. */
  get fromLeft(): boolean {
    return this.fn % 2 === 1 || this.fn === this.sn;
  }

  /** Right-shift both by one. */
  shift() {
    this.fn = Math.floor(this.fn / 2);
    this.sn = Math.floor(this.sn / 2);
  }

  /** Right-shift both until fn's lowest bit is set or fn is 0. */
  shiftToSetBit() {
    while (this.fn % 2 === 0 && this.fn !== 0) this.shift();
  }
}

/**
 * A tree held in memory: appends leaves, keeps every complete node, answers plans at once. For
 * tests, and as the reference the stored log is compared with.
 */
export class MemoryTree implements NodeReader {
  private readonly nodes = new Map<string, Hash>();
  private edge: Hash[] = [];
  private count = 0;

  static of(leafHashes: readonly Hash[]): MemoryTree {
    const tree = new MemoryTree();
    tree.append(leafHashes);
    return tree;
  }

  get size(): number {
    return this.count;
  }

  append(leafHashes: readonly Hash[]): Node[] {
    const out = append(this.count, this.edge, leafHashes);
    for (const n of out.nodes) this.nodes.set(nodeKey(n), n.hash);
    this.edge = out.edge;
    this.count = out.size;
    return out.nodes;
  }

  node(id: NodeId): Hash | undefined {
    return this.nodes.get(nodeKey(id));
  }

  /** Every complete node, leaves included. */
  allNodes(): Node[] {
    return [...this.nodes].map(([key, hash]) => {
      const [level = 0, index = 0] = key.split('/').map(Number);
      return { level, index, hash };
    });
  }

  answer<T>(plan: Plan<T>): T {
    return plan.assemble(plan.nodes.map((id) => this.node(id) ?? missing(id)));
  }

  async read(ids: readonly NodeId[]): Promise<Hash[]> {
    return ids.map((id) => this.node(id) ?? missing(id));
  }

  root(size = this.count): Hash {
    this.within(size);
    return this.answer(rootPlan(size));
  }

  inclusionProof(index: number, size = this.count): Hash[] {
    this.within(size);
    return this.answer(inclusionPlan(index, size));
  }

  consistencyProof(from: number, to = this.count): Hash[] {
    this.within(to);
    return this.answer(consistencyPlan(from, to));
  }

  private within(size: number) {
    if (size > this.count) throw new RangeError(`the tree has ${this.count} leaves, not ${size}`);
  }
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The largest power of two below n (n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function foldRight(hashes: readonly Hash[]): Hash {
  const [first, ...rest] = hashes;
  if (!first) throw new TypeError('nothing to fold');
  return rest.length === 0 ? first : nodeHash(first, foldRight(rest));
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function isSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function allHashes(hashes: readonly Hash[]): boolean {
  return hashes.every((h) => h instanceof Uint8Array && h.length === HASH_BYTES);
}

function assertSize(n: number, name: string) {
  if (!isSize(n)) throw new TypeError(`${name} must be a non-negative safe integer, got ${n}`);
}

function missing(id: NodeId): never {
  throw new Error(`node ${nodeKey(id)} is not available`);
}
