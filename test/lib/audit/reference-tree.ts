import { type Hash, leafHash, nodeHash, sha256 } from '../../../lib/audit/merkle.ts';

/**
 * RFC 9162 section 2.1 written out literally over the list of leaf hashes: MTH, PATH and PROOF by
 * their recursive definitions. Slow and obviously right; the reference the node-based tree and
 * the stored log are compared with.
 */
export function mth(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0] ?? sha256();
  const k = split(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

export function path(m: number, leaves: readonly Hash[]): Hash[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

export function proof(m: number, leaves: readonly Hash[]): Hash[] {
  return m === 0 || m === leaves.length ? [] : subproof(m, leaves, true);
}

function subproof(m: number, leaves: readonly Hash[], complete: boolean): Hash[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [mth(leaves)];
  const k = split(n);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), complete), mth(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

export function leavesOf(data: readonly Uint8Array[]): Hash[] {
  return data.map((d) => leafHash(d));
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
