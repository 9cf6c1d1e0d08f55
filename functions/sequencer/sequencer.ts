import { randomUUID } from 'node:crypto';
import { AuditAction } from '../../contracts/audit.ts';
import { WITNESS_ADD_CHECKPOINT } from '../../contracts/witness.ts';
import { auditOrigin, signCheckpoint } from '../../lib/audit/checkpoint.ts';
import { eventLeafHash } from '../../lib/audit/log-leaf.ts';
import { append, edgeOf, rootOfEdge } from '../../lib/audit/merkle.ts';
import type { Clock } from '../../lib/clock.ts';
import { startIntervalLoop } from '../../lib/interval-loop.ts';
import { log as logger } from '../../lib/log/logger.ts';
import type { Signer } from '../../lib/signing/signer.ts';
import type { BatchIntent } from '../../lib/store/log-records.ts';
import type { LogStore } from '../../lib/store/log-store.ts';
import type { LoggedEvents } from '../../lib/store/logged-events.ts';
import { type CollectDeps, type Collection, collectCosignatures } from '../../lib/witness/collect.ts';

export interface SequencerDeps {
  province: string;
  /** Signs checkpoints with the `audit` key. */
  signer(purpose: 'audit'): Signer;
  clock: Clock;
  /** The log's table: leaves, nodes, batches, the head and the lease. */
  logStore(options?: { tileHeight?: number }): LogStore;
  /** Audit events waiting in the pending index, marked once integrated. */
  loggedEvents: LoggedEvents;
  /**
   * Collecting the witnesses' cosignatures of the newest checkpoint (docs/protocol.md §19.4):
   * the registry, the signed text calls and the bound. Absent: checkpoints are not sent to witnesses.
   */
  witnessing?: Omit<CollectDeps, 'log'>;
}

export interface IntegrateOptions {
  /** Events per batch (one signed checkpoint each). */
  maxBatch?: number;
  /** Batches in one call at most; it stops sooner once no full batch is waiting. */
  maxBatches?: number;
  /**
   * Time after which no further batch is started (the one running completes), in real
   * milliseconds from the call. A scheduled run stays shorter than its schedule period this way,
   * so the next tick never finds the single instance still busy.
   */
  budgetMs?: number;
  /** How long the lease holds without renewal; renewed before each batch. */
  leaseMs?: number;
  /** Height of the log's tiles (lib/audit/tiles.ts); tests use small tiles. A log keeps one. */
  tileHeight?: number;
  /**
   * Who holds the lease: one id per loop or per Lambda instance, so a round can take back the
   * lease an earlier round of its own could not give back (storage down) at once, instead of
   * waiting for it to expire. Never share one between runs that may overlap. A fresh id per call
   * when absent.
   */
  owner?: string;
}

export interface IntegratedBatch {
  /** Leaf index of the first event. */
  start: number;
  count: number;
  treeSize: number;
  /** A batch a previous run left half-done, finished as recorded. */
  resumed: boolean;
}

export interface IntegrateReport {
  /** `busy`: another sequencer holds the log (or took it over meanwhile). */
  outcome: 'integrated' | 'idle' | 'busy';
  batches: IntegratedBatch[];
  /** Events added to the log by this call. */
  integrated: number;
  treeSize: number;
  /**
   * The newest checkpoint's witnessing, when the registry names witnesses for the log: whether
   * it has its quorum, and this run's collection when one was made (the head lacked its quorum).
   */
  witness?: WitnessReport;
}

export interface WitnessReport {
  /**
   * The checkpoint the report is of: the head, or the newest witnessed checkpoint when all the
   * head adds to it are this sequencer's own calls to the witnesses (see witnessHead).
   */
  treeSize: number;
  quorumMet: boolean;
  /** Cosignatures this run stored. */
  collected: number;
  /** Answers refused as not a cosignature of the checkpoint by the witness's key. */
  invalid: number;
  collection?: Collection;
}

export const DEFAULT_MAX_BATCH = 500;
const DEFAULT_LEASE_MS = 30_000;

/** An event of a recorded batch that is gone or integrated elsewhere: the log needs a person. */
export class SequencerIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SequencerIntegrityError';
  }
}

/**
 * Integrates waiting audit events into the province's Merkle log, one batch at a time, under a
 * lease so that a single sequencer runs. A batch:
 *
 * 1. is recorded first (`BATCH` item: start index and event ids in order), only while the head
 *    is at its start;
 * 2. writes the tiles its leaves and the nodes they complete go in, and its events' ids (each
 *    tile put whole, and only over a narrower one: same content whenever written);
 * 3. marks each event with its `leafIndex`, which takes it out of the pending index (the items as
 *    read, put back in BatchWriteItems: see `apply` for why that is safe);
 * 4. signs a checkpoint with the audit key and, in one transaction, moves the head from the start
 *    to the new size, stores the checkpoint and deletes the record.
 *
 * A crash anywhere leaves the record behind; the next run finishes that batch with the same events
 * at the same indexes before it picks new ones. Events are picked from the pending index only
 * after a strongly consistent read shows them unmarked, so none enters the log twice.
 */
export async function integrate(g: SequencerDeps, options: IntegrateOptions = {}): Promise<IntegrateReport> {
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  const maxBatches = options.maxBatches ?? 1;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1 || maxBatch > 5000) {
    throw new TypeError('maxBatch must be 1 to 5000');
  }
  const log = g.logStore(options.tileHeight ? { tileHeight: options.tileHeight } : {});
  const events = g.loggedEvents;
  const owner = options.owner ?? randomUUID();
  const report: IntegrateReport = { outcome: 'idle', batches: [], integrated: 0, treeSize: 0 };

  if (!(await log.acquireLease(owner, g.clock.now(), leaseMs))) {
    report.outcome = 'busy';
    report.treeSize = (await log.head())?.treeSize ?? 0;
    return report;
  }
  try {
    const startedAt = performance.now();
    for (let round = 0; round < maxBatches; round++) {
      if (round > 0 && options.budgetMs !== undefined && performance.now() - startedAt >= options.budgetMs)
        break;
      if (round > 0 && !(await log.acquireLease(owner, g.clock.now(), leaseMs))) {
        report.outcome = 'busy';
        break;
      }
      const head = await log.head();
      report.treeSize = head?.treeSize ?? 0;
      const step = await oneBatch(g, log, events, report.treeSize, maxBatch);
      if (step === 'lost') {
        report.outcome = 'busy';
        break;
      }
      if (!step) break;
      report.outcome = 'integrated';
      report.batches.push(step);
      report.integrated += step.count;
      report.treeSize = step.treeSize;
      if (!step.resumed && step.count < maxBatch) break;
    }
    if (g.witnessing && report.outcome !== 'busy') {
      const witness = await witnessHead(g, g.witnessing, log);
      if (witness) report.witness = witness;
    }
  } finally {
    // A lease that cannot be given back expires by itself; the round's own error matters more.
    await log.releaseLease(owner).catch(() => undefined);
  }
  return report;
}

/**
 * After the run's batches, under the same lease: the newest checkpoint's cosignatures are
 * collected once (one bounded collection per run, lib/witness/collect.ts) unless it has its
 * quorum already, or all it adds to the newest witnessed checkpoint are the sequencer's own calls
 * to the witnesses (witnessedBut). A head without its quorum is asked again on every later run, idle ones
 * included. A collection that fails (storage) is logged: the integration stands, the next run
 * collects again.
 */
async function witnessHead(
  g: SequencerDeps,
  deps: Omit<CollectDeps, 'log'>,
  log: LogStore,
): Promise<WitnessReport | undefined> {
  try {
    const head = await log.head();
    if (!head || head.treeSize === 0) return undefined;
    if (head.witnessed) return { treeSize: head.treeSize, quorumMet: true, collected: 0, invalid: 0 };
    const covered = await witnessedBut(g, log, head.treeSize);
    if (covered !== undefined) return { treeSize: covered, quorumMet: true, collected: 0, invalid: 0 };
    const collection = await collectCosignatures({ ...deps, log }, head);
    if (!collection) return undefined;
    return {
      treeSize: collection.treeSize,
      quorumMet: collection.quorumMet,
      collected: collection.collected,
      invalid: collection.invalid,
      collection,
    };
  } catch (error) {
    logger.error('collecting the cosignatures of the newest checkpoint failed', {
      province: g.province,
      error: error instanceof Error ? error : String(error),
    });
    return undefined;
  }
}

/** Gaps larger than this are collected for without looking at what they hold. */
const OWN_CALLS_GAP = 64;

/**
 * The newest witnessed size when every event after it up to `size` is witnessing traffic: this
 * sequencer's own add-checkpoint calls (their interop.outbound events) and the cosignatures this
 * province made as a witness of other logs (witness.cosign). Such a head needs no cosignatures
 * of its own, or each collection would make the next checkpoint that needs one, here and at every
 * witness, without end. Those events are not left unwitnessed for good: the next checkpoint that
 * adds anything else is witnessed from the last witnessed size, its consistency proof covering
 * them. Refusals and evidence are not such traffic. Undefined when the head adds anything else
 * (or too much to look at).
 */
async function witnessedBut(g: SequencerDeps, log: LogStore, size: number): Promise<number | undefined> {
  const witnessed = await log.witnessedSize();
  if (witnessed === undefined || witnessed >= size || size - witnessed > OWN_CALLS_GAP) return undefined;
  const leaves = await log.leaves(witnessed, size);
  if (leaves.length !== size - witnessed) return undefined;
  const items = await g.loggedEvents.get(leaves.map((l) => l.eventId));
  const own = leaves.every((l) => {
    const e = items.get(l.eventId);
    if (e?.province !== g.province) return false;
    // Another province's collection, cosigned here as its witness: witnessing it in turn would
    // make that province's next checkpoint need witnessing, and so on between the two for ever.
    if (e.action === AuditAction.witnessCosign) return true;
    return (
      e.action === AuditAction.interopOutbound &&
      e.method === WITNESS_ADD_CHECKPOINT.method &&
      e.path === WITNESS_ADD_CHECKPOINT.path
    );
  });
  return own ? witnessed : undefined;
}

async function oneBatch(
  g: SequencerDeps,
  log: LogStore,
  events: LoggedEvents,
  start: number,
  maxBatch: number,
): Promise<IntegratedBatch | 'lost' | undefined> {
  let batch = await log.batch(start);
  const resumed = batch !== undefined;
  let items: Map<string, Record<string, unknown>>;
  if (batch) {
    items = await events.get(batch.eventIds);
  } else {
    const candidates = await events.pending(maxBatch);
    if (candidates.length === 0) return undefined;
    items = await events.get(candidates);
    // The pending index lags: an event it still lists may be integrated already.
    const waiting = candidates.filter((id) => {
      const item = items.get(id);
      return item !== undefined && item.leafIndex === undefined;
    });
    if (waiting.length === 0) return undefined;
    batch = { start, eventIds: waiting, createdAt: g.clock.now().toISOString() };
    if (!(await log.beginBatch(batch))) return 'lost';
  }
  const grown = await apply(log, events, batch, items);
  if (!(await commit(g, log, batch, grown.size, grown.root))) return 'lost';
  return { start, count: batch.eventIds.length, treeSize: grown.size, resumed };
}

/**
 * Steps 2 and 3 of a recorded batch; every write in them may be repeated.
 *
 * The marks are plain BatchWriteItem puts of each event's item as read here, plus `leafIndex` and
 * minus `pendingShard`, with no condition; the checks a condition used to make (the event is gone,
 * or integrated at another index) are made on that read instead, which is strongly consistent and
 * taken in this very run (a resumed batch reads its events again). This cannot put an event in the
 * log twice, nor lose or change one:
 * - only the lease holder marks, and it marks only the events of the batch recorded at the head,
 *   whose record fixes which event goes at which index; a new batch is recorded only while the
 *   head is at its start, which the previous batch reaches only once all its events are marked,
 *   and only with events a strongly consistent read shows unmarked: an event is in one record;
 * - an event item is written once (`attribute_not_exists`) and never deleted, and the mark is the
 *   only change ever made to it; so the item put back is the item stored, and whoever writes it
 *   (this run, a run that finishes the batch after this one stalled, this run again on a retry)
 *   writes the same content: the event as written, at the index the record gives it;
 * - a sequencer that stalled past its lease and wakes up writes only that same content again, and
 *   its commit fails since the head has moved on.
 * An event that is missing, or marked at another index than the record's, means the tables were
 * changed behind the sequencer's back: SequencerIntegrityError, nothing written, as before.
 */
async function apply(
  log: LogStore,
  events: LoggedEvents,
  batch: BatchIntent,
  items: Map<string, Record<string, unknown>>,
) {
  const leaves = batch.eventIds.map((eventId, i) => {
    const index = batch.start + i;
    const item = items.get(eventId);
    if (!item) {
      throw new SequencerIntegrityError(
        `event ${eventId} of leaf ${index} (the batch at ${batch.start}) is gone: no longer stored in ${events.tableName}`,
      );
    }
    if (item.leafIndex !== undefined && item.leafIndex !== index) {
      throw new SequencerIntegrityError(
        `event ${eventId} of leaf ${index} is integrated at another index (${String(item.leafIndex)})`,
      );
    }
    return { index, eventId, hash: eventLeafHash(item), item };
  });
  const edge = await log.read(edgeOf(batch.start));
  const grown = append(
    batch.start,
    edge,
    leaves.map((l) => l.hash),
  );
  await log.extend(leaves, grown.nodes);
  await events.markAll(
    // Those a run before this one marked already are left as they are.
    leaves
      .filter((l) => l.item.leafIndex === undefined || l.item.pendingShard !== undefined)
      .map((l) => ({ item: l.item, leafIndex: l.index })),
  );
  return { size: grown.size, root: rootOfEdge(grown.edge) };
}

/** Step 4: sign, then move the head, store the checkpoint and close the batch at once. */
async function commit(g: SequencerDeps, log: LogStore, batch: BatchIntent, size: number, root: Uint8Array) {
  const note = await signCheckpoint(g.signer('audit'), auditOrigin(g.province), size, root);
  return log.commitBatch(batch.start, {
    treeSize: size,
    rootHash: Buffer.from(root).toString('base64'),
    note,
    signedAt: g.clock.now().toISOString(),
  });
}

/**
 * Runs integrate every `intervalMs` (never two rounds at once in this process; the lease keeps
 * other processes out) until the returned function is called, which resolves once a round in
 * flight has finished. Every round holds the lease as the same owner, since they never overlap: a
 * round that failed with storage down leaves the lease behind, and the next one goes on at once.
 * While rounds find nothing to integrate the wait doubles, up to `maxIntervalMs` (30 s when
 * absent; lib/interval-loop.ts). While the newest checkpoint lacks its witness quorum a round
 * counts as work, so the wait stays at `intervalMs` and the head is asked again each round. The
 * timer does not keep the process alive.
 */
export function startSequencerLoop(
  g: SequencerDeps,
  intervalMs: number,
  options: IntegrateOptions & { maxIntervalMs?: number } = {},
): () => Promise<void> {
  const { maxIntervalMs, ...integrateOptions } = options;
  const owned = { maxBatches: 20, ...integrateOptions, owner: options.owner ?? randomUUID() };
  // A round that finds nothing to integrate, or the log held by another sequencer, is idle: the
  // loop backs off (up to `maxIntervalMs`) and is back at `intervalMs` once a round integrates.
  const round = async () => {
    const report = await integrate(g, owned);
    return report.outcome === 'integrated' || report.witness?.quorumMet === false;
  };
  return startIntervalLoop(round, intervalMs, {
    message: 'audit log sequencer round failed',
    context: { province: g.province },
    ...(maxIntervalMs === undefined ? {} : { maxIntervalMs }),
  });
}
