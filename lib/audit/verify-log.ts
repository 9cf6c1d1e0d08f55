import type { KeyObject } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PublicJwk } from '../../contracts/keys.ts';
import type { StoredCheckpoint, StoredLeaf } from '../store/log-records.ts';
import { LogStore } from '../store/log-store.ts';
import { LoggedEvents } from '../store/logged-events.ts';
import type { TableNames } from '../store/tables.ts';
import { checkCheckpoints, checkHead, proofFromStorage } from './log-checkpoint-checks.ts';
import { changedLeaf, checkLeaves } from './log-leaf-checks.ts';
import { equal, type Hash, MemoryTree, type Node, nodeKey } from './merkle.ts';
import { isStoredLevel } from './tiles.ts';

/** What a full verification of a log can find; stable codes for auditors and alarms. */
export const LogFindingCode = {
  /** An event no longer hashes to its leaf: changed after it was integrated. */
  eventChanged: 'EVENT_CHANGED',
  /** The event a leaf names is no longer stored. */
  eventDeleted: 'EVENT_DELETED',
  /** A leaf's hash was changed: its event still hashes to what the checkpoints signed. */
  leafChanged: 'LEAF_CHANGED',
  /** A leaf names an event integrated at another index, or one another leaf names too: reordered. */
  leafMisplaced: 'LEAF_MISPLACED',
  /** No leaf is stored for an index inside the tree. */
  leafMissing: 'LEAF_MISSING',
  /** A stored node is not the hash of the stored leaves below it. */
  nodeChanged: 'NODE_CHANGED',
  nodeMissing: 'NODE_MISSING',
  /** A stored checkpoint is malformed, of another log, or its signature does not verify. */
  checkpointSignatureInvalid: 'CHECKPOINT_SIGNATURE_INVALID',
  /** A checkpoint's signed root is not the root of the stored leaves at its size. */
  checkpointRootMismatch: 'CHECKPOINT_ROOT_MISMATCH',
  /** The consistency proof between two consecutive checkpoints, from the stored nodes, fails. */
  checkpointsInconsistent: 'CHECKPOINTS_INCONSISTENT',
  /** The head is not the latest stored checkpoint. */
  headMismatch: 'HEAD_MISMATCH',
} as const;
export type LogFindingCode = (typeof LogFindingCode)[keyof typeof LogFindingCode];

export interface LogFinding {
  code: LogFindingCode;
  message: string;
  leafIndex?: number;
  eventId?: string;
  /** For nodes: the perfect subtree (level, index). */
  level?: number;
  index?: number;
  /** For checkpoints: the tree size. */
  treeSize?: number;
}

export interface LogVerification {
  ok: boolean;
  /** The head's tree size. */
  treeSize: number;
  checkpoints: number;
  /** Events not yet in the log (waiting, or in a batch not committed yet). */
  pending: number;
  findings: LogFinding[];
}

/** Everything a verification reads, as stored. */
export interface LogSnapshot {
  head: StoredCheckpoint | undefined;
  checkpoints: StoredCheckpoint[];
  /** Leaves with index below the head's size. */
  leaves: StoredLeaf[];
  /** Stored nodes above the leaves inside the head's tree: levels that are multiples of the tile height. */
  nodes: Node[];
  /** The levels between are not stored but computed from the stored ones (lib/audit/tiles.ts). */
  tileHeight: number;
  /** Every stored event item. */
  events: Record<string, unknown>[];
}

export interface LogTrust {
  /** `elg/<gateway id>/audit` */
  origin: string;
  /** The province's audit public key. */
  publicKey: PublicJwk | KeyObject;
}

/** Reads a province's whole log and its events and verifies them (see verifySnapshot). */
export async function verifyLog(
  source: { doc: DynamoDBDocumentClient; tables: Pick<TableNames, 'audit' | 'log'>; tileHeight?: number },
  trust: LogTrust,
): Promise<LogVerification> {
  const store = new LogStore(
    source.doc,
    source.tables.log,
    source.tileHeight ? { tileHeight: source.tileHeight } : {},
  );
  return verifySnapshot(await readSnapshot(store, new LoggedEvents(source.doc, source.tables.audit)), trust);
}

export async function readSnapshot(store: LogStore, events: LoggedEvents): Promise<LogSnapshot> {
  const head = await store.head();
  const size = head?.treeSize ?? 0;
  const [checkpoints, items, leaves, nodes] = await Promise.all([
    store.checkpoints(),
    events.all(),
    store.leaves(0, size),
    store.storedNodes(size),
  ]);
  return { head, checkpoints, leaves, nodes, tileHeight: store.tileHeight, events: items };
}

/**
 * Recomputes every leaf from its stored event and the tree from the stored leaves, and checks
 * them against the stored nodes, the signed checkpoints (with the audit key) and each other:
 * every finding names its leaf, node or tree size.
 */
export function verifySnapshot(s: LogSnapshot, trust: LogTrust): LogVerification {
  const size = s.head?.treeSize ?? 0;
  const leaves = checkLeaves(s, size);
  const tree = MemoryTree.of(leaves.stored);
  const storedNodes = new Map(s.nodes.map((n) => [nodeKey(n), n.hash]));
  const checkpoints = checkCheckpoints(s.checkpoints, trust, {
    size,
    tree,
    eventTree: MemoryTree.of(leaves.fromEvents),
    proof: (from, to) => proofFromStorage(storedNodes, leaves.stored, s.tileHeight, from, to),
  });
  const findings = [
    ...leaves.findings,
    ...leaves.mismatched.map((i) => changedLeaf(i, leaves.eventIds[i] ?? '', checkpoints.eventsAgree)),
    ...checkNodes(tree, storedNodes, s.tileHeight),
    ...checkpoints.findings,
    ...checkHead(s),
  ];
  const pending = s.events.filter((e) => typeof e.leafIndex !== 'number' || e.leafIndex >= size).length;
  return { ok: findings.length === 0, treeSize: size, checkpoints: s.checkpoints.length, pending, findings };
}

/** Every stored node above the leaves against the one the stored leaves give. */
function checkNodes(tree: MemoryTree, stored: ReadonlyMap<string, Hash>, tileHeight: number): LogFinding[] {
  const findings: LogFinding[] = [];
  for (const node of tree.allNodes()) {
    if (node.level === 0 || !isStoredLevel(node.level, tileHeight)) continue;
    const got = stored.get(nodeKey(node));
    const at = { level: node.level, index: node.index };
    if (!got) {
      findings.push({ code: 'NODE_MISSING', ...at, message: `node ${nodeKey(node)} is not stored` });
    } else if (!equal(got, node.hash)) {
      findings.push({
        code: 'NODE_CHANGED',
        ...at,
        message: `node ${nodeKey(node)} is not the hash of its leaves`,
      });
    }
  }
  return findings;
}
