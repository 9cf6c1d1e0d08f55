import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  consistencyPlan,
  EMPTY_ROOT,
  type Hash,
  inclusionPlan,
  leafHash,
  MemoryTree,
  nodeHash,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
} from '../../../lib/audit/merkle.ts';
import { mth, path, proof } from './reference-tree.ts';

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const VectorsSchema = z.object({
  leaves: z.array(hex),
  roots: z.array(z.object({ treeSize: z.number(), root: hex })),
  inclusion: z.array(
    z.object({ leafIndex: z.number(), treeSize: z.number(), leafHash: hex, proof: z.array(hex) }),
  ),
  consistency: z.array(z.object({ fromSize: z.number(), toSize: z.number(), proof: z.array(hex) })),
});

// The shared folder lives beside the repository, not inside it.
const vectorsUrl = new URL('../../vectors/merkle.json', import.meta.url);
const vectors = VectorsSchema.parse(JSON.parse(readFileSync(vectorsUrl, 'utf8')));

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (h: Hash) => Buffer.from(h).toString('hex');
const tree = MemoryTree.of(vectors.leaves.map((l) => leafHash(fromHex(l))));

describe('RFC 9162 tree hashing against the known-answer vectors', () => {
  it.each(vectors.roots)('has the root of the first $treeSize leaves', ({ treeSize, root }) => {
    expect(toHex(tree.root(treeSize))).toBe(root);
  });

  it('gives the empty tree the SHA-256 of nothing', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it.each(vectors.inclusion)(
    'proves leaf $leafIndex in the tree of $treeSize',
    ({ leafIndex, treeSize, leafHash: leaf, proof: expected }) => {
      const got = tree.inclusionProof(leafIndex, treeSize);

      expect(got.map(toHex)).toEqual(expected);
      expect(toHex(tree.node({ level: 0, index: leafIndex }) ?? new Uint8Array())).toBe(leaf);
      expect(verifyInclusion(leafIndex, treeSize, fromHex(leaf), got, tree.root(treeSize))).toBe(true);
    },
  );

  it.each(vectors.consistency)(
    'proves the tree of $fromSize a prefix of the tree of $toSize',
    ({ fromSize, toSize, proof: expected }) => {
      const got = tree.consistencyProof(fromSize, toSize);

      expect(got.map(toHex)).toEqual(expected);
      expect(verifyConsistency(fromSize, toSize, got, tree.root(fromSize), tree.root(toSize))).toBe(true);
    },
  );
});

describe('proof plans', () => {
  it('read a logarithmic number of stored nodes', () => {
    const size = 1_000_003;

    const reads = [
      rootPlan(size).nodes.length,
      inclusionPlan(0, size).nodes.length,
      inclusionPlan(size - 1, size).nodes.length,
      inclusionPlan(654_321, size).nodes.length,
      consistencyPlan(1, size).nodes.length,
      consistencyPlan(777_777, size).nodes.length,
      consistencyPlan(size - 1, size).nodes.length,
    ];

    for (const n of reads) expect(n).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)));
  });

  it('refuse a leaf outside the tree and a consistency proof backwards', () => {
    expect(() => inclusionPlan(5, 5)).toThrow(RangeError);
    expect(() => consistencyPlan(6, 5)).toThrow(RangeError);
    expect(() => rootPlan(-1)).toThrow(TypeError);
  });
});

const leafData = fc.uint8Array({ maxLength: 16 });
/** A tree of 1-70 random leaves (sizes around powers of two are the interesting ones). */
const leaves = fc
  .array(leafData, { minLength: 1, maxLength: 70 })
  .map((data) => data.map((d) => leafHash(d)));
/** One bit flipped in one of the hashes. */
function flip(hashes: readonly Hash[], which: number, bit: number): Hash[] {
  return hashes.map((h, i) => {
    if (i !== which % hashes.length) return h;
    const copy = Uint8Array.from(h);
    const at = bit % (copy.length * 8);
    copy[at >> 3] = (copy[at >> 3] ?? 0) ^ (1 << (at & 7));
    return copy;
  });
}

describe('random trees', () => {
  it('agree with the literal RFC definitions for roots and every proof', () => {
    fc.assert(
      fc.property(leaves, fc.nat(), fc.nat(), (hashes, a, b) => {
        const t = MemoryTree.of(hashes);
        const n = hashes.length;
        const size = 1 + (a % n);
        const m = b % (size + 1);
        expect(t.root(size)).toEqual(mth(hashes.slice(0, size)));
        expect(t.inclusionProof(b % size, size)).toEqual(path(b % size, hashes.slice(0, size)));
        expect(t.consistencyProof(m, size)).toEqual(proof(m, hashes.slice(0, size)));
      }),
    );
  });

  it('verify every inclusion proof against the root', () => {
    fc.assert(
      fc.property(leaves, (hashes) => {
        const t = MemoryTree.of(hashes);
        const root = t.root();
        hashes.forEach((h, i) => {
          expect(verifyInclusion(i, hashes.length, h, t.inclusionProof(i), root)).toBe(true);
        });
      }),
    );
  });

  it('verify every consistency proof between random sizes', () => {
    fc.assert(
      fc.property(leaves, fc.nat(), fc.nat(), (hashes, a, b) => {
        const t = MemoryTree.of(hashes);
        const [from, to] = [a % (hashes.length + 1), b % (hashes.length + 1)].sort((x, y) => x - y) as [
          number,
          number,
        ];
        expect(verifyConsistency(from, to, t.consistencyProof(from, to), t.root(from), t.root(to))).toBe(
          true,
        );
      }),
    );
  });

  it('fail an inclusion proof with a bit flipped in the leaf, the proof or the root', () => {
    fc.assert(
      fc.property(leaves, fc.nat(), fc.nat(), fc.nat(), (hashes, i, which, bit) => {
        const t = MemoryTree.of(hashes);
        const index = i % hashes.length;
        const leaf = hashes[index] ?? EMPTY_ROOT;
        const parts = [leaf, t.root(), ...t.inclusionProof(index)];
        const [badLeaf, badRoot, ...badProof] = flip(parts, which, bit) as [Hash, Hash, ...Hash[]];
        expect(verifyInclusion(index, hashes.length, badLeaf, badProof, badRoot)).toBe(false);
      }),
    );
  });

  it('fail an inclusion proof for another leaf, or with a hash added or dropped', () => {
    fc.assert(
      fc.property(leaves, fc.nat(), fc.nat(), (hashes, i, j) => {
        const t = MemoryTree.of(hashes);
        const n = hashes.length;
        const index = i % n;
        const leaf = hashes[index] ?? EMPTY_ROOT;
        const p = t.inclusionProof(index);
        const root = t.root();
        const other = j % n;
        if (other !== index && !sameHash(hashes[other], leaf)) {
          expect(verifyInclusion(other, n, leaf, p, root)).toBe(false);
        }
        expect(verifyInclusion(index, n, leaf, [...p, root], root)).toBe(false);
        if (p.length > 0) expect(verifyInclusion(index, n, leaf, p.slice(1), root)).toBe(false);
      }),
    );
  });

  it('fail a consistency proof with a bit flipped in either root or the proof', () => {
    fc.assert(
      fc.property(leaves, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (hashes, a, b, which, bit) => {
        const t = MemoryTree.of(hashes);
        const n = hashes.length;
        const from = 1 + (a % n);
        const to = from + (b % (n - from + 1));
        const parts = [t.root(from), t.root(to), ...t.consistencyProof(from, to)];
        const [r1, r2, ...p] = flip(parts, which, bit) as [Hash, Hash, ...Hash[]];
        expect(verifyConsistency(from, to, p, r1, r2)).toBe(false);
      }),
    );
  });

  it('fail a consistency proof claimed for other sizes', () => {
    fc.assert(
      fc.property(leaves, fc.nat(), fc.nat(), (hashes, a, b) => {
        const n = hashes.length;
        fc.pre(n >= 3);
        const t = MemoryTree.of(hashes);
        const from = 1 + (a % (n - 2));
        const to = from + 1 + (b % (n - from - 1));
        const p = t.consistencyProof(from, to);
        expect(verifyConsistency(from, to, p, t.root(from), t.root(to))).toBe(true);
        expect(verifyConsistency(from, to, p, t.root(from), t.root(to + 1))).toBe(false);
        expect(verifyConsistency(from, to, [...p, t.root(to)], t.root(from), t.root(to))).toBe(false);
        expect(verifyConsistency(to, from, p, t.root(to), t.root(from))).toBe(false);
      }),
    );
  });

  it('append in batches to the same nodes as one leaf at a time', () => {
    fc.assert(
      fc.property(leaves, fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 12 }), (hashes, cuts) => {
        const whole = MemoryTree.of(hashes);
        const batched = new MemoryTree();
        let at = 0;
        for (const c of [...cuts, hashes.length]) {
          batched.append(hashes.slice(at, at + c));
          at = Math.min(hashes.length, at + c);
        }
        expect(batched.size).toBe(hashes.length);
        expect(sorted(batched)).toEqual(sorted(whole));
      }),
    );
  });
});

describe('verification of malformed input', () => {
  const t = MemoryTree.of([1, 2, 3, 4, 5].map((b) => leafHash(Uint8Array.of(b))));

  it('refuses sizes that are not counts and hashes that are not 32 bytes', () => {
    const leaf = t.node({ level: 0, index: 1 }) ?? EMPTY_ROOT;
    const p = t.inclusionProof(1);

    expect(verifyInclusion(1, 5, leaf, p, t.root())).toBe(true);
    expect(verifyInclusion(1.5, 5, leaf, p, t.root())).toBe(false);
    expect(verifyInclusion(-1, 5, leaf, p, t.root())).toBe(false);
    expect(verifyInclusion(1, 5, leaf.subarray(1), p, t.root())).toBe(false);
    expect(verifyInclusion(1, 5, leaf, [...p.slice(0, -1), new Uint8Array(31)], t.root())).toBe(false);
  });

  it('accepts the empty tree before any tree, and equal sizes only with an empty proof', () => {
    expect(verifyConsistency(0, 5, [], EMPTY_ROOT, t.root())).toBe(true);
    expect(verifyConsistency(0, 5, [t.root()], EMPTY_ROOT, t.root())).toBe(false);
    expect(verifyConsistency(5, 5, [], t.root(), t.root())).toBe(true);
    expect(verifyConsistency(5, 5, [], t.root(), t.root(4))).toBe(false);
    expect(verifyConsistency(3, 5, [], t.root(3), t.root())).toBe(false);
  });

  it('hashes a node as SHA-256 over 0x01 and both children', () => {
    const [a, b] = [leafHash(Uint8Array.of(1)), leafHash(Uint8Array.of(2))];
    expect(nodeHash(a, b)).toEqual(mth([a, b]));
  });
});

function sameHash(a: Hash | undefined, b: Hash): boolean {
  return a !== undefined && Buffer.from(a).equals(b);
}

function sorted(t: MemoryTree) {
  return t
    .allNodes()
    .map((n) => `${n.level}/${n.index}/${Buffer.from(n.hash).toString('hex')}`)
    .sort();
}
