import type { StoredCheckpoint } from '../store/log-records.ts';
import { CheckpointError, verifyCheckpoint } from './checkpoint.ts';
import { consistencyPlan, equal, type Hash, type MemoryTree, nodeKey, verifyConsistency } from './merkle.ts';
import { deriveNodes } from './tiles.ts';
import type { LogFinding, LogSnapshot, LogTrust } from './verify-log.ts';

/** The checkpoint checks of a full log verification (verify-log.ts): signatures, roots, the head. */

/**
 * Each checkpoint's signature, its root against the stored leaves, and its consistency with the
 * previous valid one through a proof from the stored nodes; and whether the roots the events give
 * agree with it (to tell a changed leaf from a changed event).
 */
export function checkCheckpoints(
  checkpoints: readonly StoredCheckpoint[],
  trust: LogTrust,
  log: {
    size: number;
    tree: MemoryTree;
    eventTree: MemoryTree;
    proof: (from: number, to: number) => Hash[] | undefined;
  },
) {
  const findings: LogFinding[] = [];
  const eventsAgree = new Map<number, boolean>();
  let previous: { treeSize: number; root: Hash } | undefined;
  for (const c of checkpoints) {
    const at = { treeSize: c.treeSize };
    let root: Hash;
    try {
      const checked = verifyCheckpoint(c.note, trust.publicKey, trust.origin);
      if (checked.treeSize !== c.treeSize) {
        throw new CheckpointError('CHECKPOINT_MALFORMED', `it is of size ${checked.treeSize}`);
      }
      root = checked.rootHash;
    } catch (err) {
      const why = err instanceof CheckpointError ? `${err.code}: ${err.message}` : String(err);
      findings.push({
        code: 'CHECKPOINT_SIGNATURE_INVALID',
        ...at,
        message: `checkpoint ${c.treeSize}: ${why}`,
      });
      continue;
    }
    // Beyond the head: reported as HEAD_MISMATCH.
    if (c.treeSize > log.size) continue;
    eventsAgree.set(c.treeSize, equal(log.eventTree.root(c.treeSize), root));
    if (!equal(log.tree.root(c.treeSize), root)) {
      findings.push({
        code: 'CHECKPOINT_ROOT_MISMATCH',
        ...at,
        message: `the stored leaves do not hash to the root signed at ${c.treeSize}`,
      });
    }
    if (previous) {
      const proof = log.proof(previous.treeSize, c.treeSize);
      if (!proof || !verifyConsistency(previous.treeSize, c.treeSize, proof, previous.root, root)) {
        findings.push({
          code: 'CHECKPOINTS_INCONSISTENT',
          ...at,
          message: `checkpoint ${c.treeSize} does not extend checkpoint ${previous.treeSize}`,
        });
      }
    }
    previous = { treeSize: c.treeSize, root };
  }
  return { findings, eventsAgree };
}

/** The head is the latest stored checkpoint. */
export function checkHead(s: LogSnapshot): LogFinding[] {
  const latest = s.checkpoints.at(-1);
  if (!s.head || (latest && latest.treeSize === s.head.treeSize && latest.note === s.head.note)) return [];
  return [
    {
      code: 'HEAD_MISMATCH',
      treeSize: s.head.treeSize,
      message: `the head (size ${s.head.treeSize}) is not the latest stored checkpoint`,
    },
  ];
}

/**
 * The consistency proof an auditor would be served, from the stored nodes and leaves (the levels
 * between computed from them, as the store does); undefined when a node it needs is not stored.
 */
export function proofFromStorage(
  nodes: Map<string, Hash>,
  leaves: readonly Hash[],
  tileHeight: number,
  from: number,
  to: number,
) {
  const plan = consistencyPlan(from, to);
  const hashes = deriveNodes(plan.nodes, tileHeight, (level, index) =>
    level === 0 ? leaves[index] : nodes.get(nodeKey({ level, index })),
  );
  if (hashes.some((h) => h === undefined)) return undefined;
  return plan.assemble(hashes as Hash[]);
}
