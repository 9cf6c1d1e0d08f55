import type { KeyObject } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PublicJwk } from '../../contracts/keys.ts';
import type { StoredCheckpoint, StoredLeaf } from '../store/log-records.ts';
import { LogStore } from '../store/log-store.ts';
import { LoggedEvents } from '../store/logged-events.ts';
import type { TableNames } from '../store/tables.ts';
import { CheckpointError, verifyCheckpoint } from './checkpoint.ts';
import { eventLeafHash } from './log-leaf.ts';
import {
  consistencyPlan,
  equal,
  HASH_BYTES,
  type Hash,
  MemoryTree,
  type Node,
  nodeKey,
  verifyConsistency,
} from './merkle.ts';

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
  /** Stored nodes (level >= 1) inside the head's tree. */
  nodes: Node[];
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
  source: { doc: DynamoDBDocumentClient; tables: Pick<TableNames, 'audit' | 'log'>; chunkSize?: number },
  trust: LogTrust,
): Promise<LogVerification> {
  const store = new LogStore(
    source.doc,
    source.tables.log,
    source.chunkSize ? { chunkSize: source.chunkSize } : {},
  );
  return verifySnapshot(await readSnapshot(store, new LoggedEvents(source.doc, source.tables.audit)), trust);
}

export async function readSnapshot(store: LogStore, events: LoggedEvents): Promise<LogSnapshot> {
  const head = await store.head();
  const size = head?.treeSize ?? 0;
  const [checkpoints, items, leaves, ...levels] = await Promise.all([
    store.checkpoints(),
    events.all(),
    store.leaves(0, size),
    ...Array.from({ length: heightOf(size) }, (_, i) =>
      store.nodes(i + 1, 0, Math.floor(size / 2 ** (i + 1))),
    ),
  ]);
  return { head, checkpoints, leaves, nodes: levels.flat(), events: items };
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
    proof: (from, to) => proofFromStorage(storedNodes, leaves.stored, from, to),
  });
  const findings = [
    ...leaves.findings,
    ...leaves.mismatched.map((i) => changedLeaf(i, leaves.eventIds[i] ?? '', checkpoints.eventsAgree)),
    ...checkNodes(tree, storedNodes),
    ...checkpoints.findings,
    ...checkHead(s),
  ];
  const pending = s.events.filter((e) => typeof e.leafIndex !== 'number' || e.leafIndex >= size).length;
  return { ok: findings.length === 0, treeSize: size, checkpoints: s.checkpoints.length, pending, findings };
}

/** Each leaf against the event it names, and each integrated event against its leaf. */
function checkLeaves(s: LogSnapshot, size: number) {
  const findings: LogFinding[] = [];
  const leafAt = new Map(s.leaves.map((l) => [l.index, l]));
  const eventById = new Map(s.events.map((e) => [String(e.eventId), e]));
  /** Stored leaf hashes, and the hashes the events give, in leaf order (zeros where none). */
  const stored: Hash[] = [];
  const fromEvents: Hash[] = [];
  const eventIds: string[] = [];
  /** Leaves whose event does not hash to them. */
  const mismatched: number[] = [];
  const misplaced = new Set<number>();
  const seen = new Map<string, number>();
  for (let i = 0; i < size; i++) {
    const leaf = leafAt.get(i);
    if (!leaf) {
      findings.push({ code: 'LEAF_MISSING', leafIndex: i, message: `no leaf is stored at ${i}` });
      stored.push(new Uint8Array(HASH_BYTES));
      fromEvents.push(new Uint8Array(HASH_BYTES));
      eventIds.push('');
      continue;
    }
    const at = { leafIndex: i, eventId: leaf.eventId };
    stored.push(leaf.hash);
    eventIds.push(leaf.eventId);
    const event = eventById.get(leaf.eventId);
    const earlier = seen.get(leaf.eventId);
    seen.set(leaf.eventId, i);
    if (earlier !== undefined) {
      misplaced.add(i);
      findings.push({
        code: 'LEAF_MISPLACED',
        ...at,
        message: `leaf ${i} names the event of leaf ${earlier}`,
      });
    }
    if (!event) {
      findings.push({
        code: 'EVENT_DELETED',
        ...at,
        message: `event ${leaf.eventId} of leaf ${i} is not stored`,
      });
      fromEvents.push(leaf.hash);
      continue;
    }
    if (event.leafIndex !== i && earlier === undefined) {
      misplaced.add(i);
      findings.push({
        code: 'LEAF_MISPLACED',
        ...at,
        message: `leaf ${i} names event ${leaf.eventId}, which was integrated at ${String(event.leafIndex)}`,
      });
    }
    const hash = hashOf(event);
    fromEvents.push(hash ?? leaf.hash);
    if (!hash || !equal(hash, leaf.hash)) mismatched.push(i);
  }
  for (const e of s.events) {
    const claimed = e.leafIndex;
    if (typeof claimed !== 'number' || claimed >= size || misplaced.has(claimed)) continue;
    const leaf = leafAt.get(claimed);
    if (leaf && leaf.eventId !== e.eventId) {
      misplaced.add(claimed);
      findings.push({
        code: 'LEAF_MISPLACED',
        leafIndex: claimed,
        eventId: String(e.eventId),
        message: `event ${String(e.eventId)} was integrated at ${claimed}, but that leaf names another event`,
      });
    }
  }
  return { findings, stored, fromEvents, eventIds, mismatched };
}

/** A leaf and its event disagree: the leaf changed if the events still give every signed root over it. */
function changedLeaf(i: number, eventId: string, eventsAgree: ReadonlyMap<number, boolean>): LogFinding {
  const covering = [...eventsAgree].filter(([treeSize]) => treeSize > i);
  return covering.length > 0 && covering.every(([, agree]) => agree)
    ? { code: 'LEAF_CHANGED', leafIndex: i, eventId, message: `leaf ${i} was changed; its event was not` }
    : {
        code: 'EVENT_CHANGED',
        leafIndex: i,
        eventId,
        message: `event ${eventId} no longer hashes to leaf ${i}`,
      };
}

/** Every stored node above the leaves against the one the stored leaves give. */
function checkNodes(tree: MemoryTree, stored: ReadonlyMap<string, Hash>): LogFinding[] {
  const findings: LogFinding[] = [];
  for (const node of tree.allNodes()) {
    if (node.level === 0) continue;
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

/**
 * Each checkpoint's signature, its root against the stored leaves, and its consistency with the
 * previous valid one through a proof from the stored nodes; and whether the roots the events give
 * agree with it (to tell a changed leaf from a changed event).
 */
function checkCheckpoints(
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
function checkHead(s: LogSnapshot): LogFinding[] {
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
 * The consistency proof an auditor would be served, from the stored nodes and leaves; undefined
 * when a node it needs is not stored.
 */
function proofFromStorage(nodes: Map<string, Hash>, leaves: readonly Hash[], from: number, to: number) {
  const plan = consistencyPlan(from, to);
  const hashes: Hash[] = [];
  for (const id of plan.nodes) {
    const hash = id.level === 0 ? leaves[id.index] : nodes.get(nodeKey(id));
    if (!hash) return undefined;
    hashes.push(hash);
  }
  return plan.assemble(hashes);
}

function hashOf(event: Record<string, unknown>): Hash | undefined {
  try {
    return eventLeafHash(event);
  } catch {
    return undefined;
  }
}

/** Levels above the leaves in a tree of `size` leaves. */
function heightOf(size: number): number {
  let height = 0;
  while (2 ** (height + 1) <= size) height++;
  return height;
}
