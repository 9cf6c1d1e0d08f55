import type { ConsistencyProof, InclusionProof } from '../../contracts/audit-api.ts';
import { InvalidRequestError } from '../errors.ts';
import { cosignedNote, type StoredCheckpoint } from '../store/log-records.ts';
import type { LogStore } from '../store/log-store.ts';
import type { LoggedEvents } from '../store/logged-events.ts';
import { consistencyPlan, type Hash, inclusionPlan, run } from './merkle.ts';

/** What a reader of the log needs first: the head and the newest witnessed size. */
interface Published {
  head?: StoredCheckpoint;
  witnessedSize?: number;
}

/** A signed checkpoint of the log as readers get it. */
export interface LogCheckpoint {
  /** The cosigned note: the log's signed checkpoint and the witnesses' cosignatures (§19.4). */
  note: string;
  /** Its cosignatures met the log's witness quorum when they were stored. */
  witnessed: boolean;
  treeSize: number;
  /** base64 */
  rootHash: string;
}

/** A tree size the log has not reached. */
export class TreeSizeExceededError extends InvalidRequestError {
  readonly reason = 'TREE_SIZE_EXCEEDED';
  constructor(
    readonly asked: number,
    readonly treeSize: number,
  ) {
    const message = `tree size ${asked} is beyond the log, which holds ${treeSize} events`;
    super(message, [{ path: ['to'], code: 'too_big', message }]);
  }
}

/**
 * The province's Merkle log for readers: the latest and earlier checkpoints, inclusion proofs for
 * integrated events and consistency proofs between tree sizes, each from O(log n) stored nodes.
 * The sequencer (functions/sequencer) is the one writer.
 */
export class AuditLog {
  /** The read of the head and witnessed size in flight, which requests arriving meanwhile share. */
  private publishedRead: Promise<Published> | undefined;
  /** The newest witnessed checkpoint read, kept: its quorum does not go away. */
  private witnessedKept: StoredCheckpoint | undefined;

  constructor(
    private readonly store: LogStore,
    private readonly events: LoggedEvents,
  ) {}

  /** The latest checkpoint; undefined until the first batch is integrated. */
  async checkpoint(): Promise<LogCheckpoint | undefined> {
    const head = await this.head();
    return head && view(head);
  }

  /**
   * The checkpoint this log publishes (docs/protocol.md §19.4): the newest that met its witness
   * quorum, else the latest. The latest may lack cosignatures for good reason: a head that adds
   * only witnessing traffic is not sent to the witnesses again, and one just signed waits for its
   * collection. A log without witnesses, or none witnessed yet, publishes its latest.
   */
  async publishedCheckpoint(): Promise<LogCheckpoint | undefined> {
    const { head, witnessedSize } = await this.published();
    if (!head || head.witnessed) return head && view(head);
    const witnessed = witnessedSize === undefined ? undefined : await this.witnessedAt(witnessedSize);
    return view(witnessed ?? head);
  }

  /**
   * The head and the newest witnessed size, read strongly consistently in one request; requests
   * that arrive while a read is in flight share it instead of sending their own (under load, one
   * read serves every proof of a few milliseconds). The answer may be older than the request by
   * at most that one round trip to storage, which "the latest checkpoint" cannot promise a reader
   * anyway; nothing is kept after.
   */
  private published(): Promise<Published> {
    if (!this.publishedRead) {
      const read = this.store.published().finally(() => {
        if (this.publishedRead === read) this.publishedRead = undefined;
      });
      this.publishedRead = read;
    }
    return this.publishedRead;
  }

  private async head(): Promise<StoredCheckpoint | undefined> {
    return (await this.published()).head;
  }

  /**
   * The checkpoint of a witnessed size. The newest one read is kept: a checkpoint once stored with
   * its quorum keeps it (cosignatures are only added), so each new witnessed size is read once.
   */
  private async witnessedAt(size: number): Promise<StoredCheckpoint | undefined> {
    const kept = this.witnessedKept;
    if (kept?.treeSize === size) return kept;
    const read = await this.store.checkpoint(size);
    if (read && (!this.witnessedKept || this.witnessedKept.treeSize < size)) this.witnessedKept = read;
    return read;
  }

  /** The checkpoint signed when the log reached `treeSize`, if one was. */
  async checkpointAt(treeSize: number): Promise<LogCheckpoint | undefined> {
    if (!Number.isSafeInteger(treeSize) || treeSize < 1) return undefined;
    const stored = await this.store.checkpoint(treeSize);
    return stored && view(stored);
  }

  /**
   * The event's audit path against the newest checkpoint that has its witness quorum and covers
   * it, else against the latest (unwitnessed) one; undefined until it is integrated.
   */
  async inclusionProof(eventId: string): Promise<InclusionProof | undefined> {
    // Read together: two round trips to storage per proof, not three.
    const [index, { head, witnessedSize }] = await Promise.all([
      this.events.leafIndexOf(eventId),
      this.published(),
    ]);
    if (index === undefined) return undefined;
    // Marked but its batch not yet committed: the head does not cover it yet.
    if (!head || index >= head.treeSize) return undefined;
    const [proof] = (await this.proofsAt(head, witnessedSize, [{ eventId, index }])).values();
    return proof;
  }

  /**
   * Audit paths of several integrated events, each against the newest witnessed checkpoint that
   * covers it (else the latest): one read of the head (and of the newest witnessed checkpoint
   * when the head lacks its quorum) and one of the tiles they all need. Events not covered by the
   * head yet are left out.
   */
  async inclusionProofsAt(
    leaves: readonly { eventId: string; leafIndex?: number | undefined }[],
  ): Promise<Map<string, InclusionProof>> {
    const { head, witnessedSize } = await this.published();
    if (!head) return new Map();
    const covered = leaves.flatMap((l) =>
      l.leafIndex !== undefined && l.leafIndex < head.treeSize
        ? [{ eventId: l.eventId, index: l.leafIndex }]
        : [],
    );
    return this.proofsAt(head, witnessedSize, covered);
  }

  private async proofsAt(
    head: StoredCheckpoint,
    witnessedSize: number | undefined,
    leaves: readonly { eventId: string; index: number }[],
  ): Promise<Map<string, InclusionProof>> {
    const out = new Map<string, InclusionProof>();
    if (leaves.length === 0) return out;
    let witnessed: StoredCheckpoint | undefined = head.witnessed ? head : undefined;
    if (!witnessed && witnessedSize !== undefined && leaves.some((l) => l.index < witnessedSize))
      witnessed = await this.witnessedAt(witnessedSize);
    const planned = leaves.map((l) => {
      const at = witnessed && l.index < witnessed.treeSize ? witnessed : head;
      return { ...l, at, plan: inclusionPlan(l.index, at.treeSize) };
    });
    const ids = planned.flatMap((c) => [{ level: 0, index: c.index }, ...c.plan.nodes]);
    const hashes = await this.store.read(ids);
    let at = 0;
    for (const c of planned) {
      const [leaf, ...path] = hashes.slice(at, at + 1 + c.plan.nodes.length);
      at += 1 + c.plan.nodes.length;
      out.set(c.eventId, {
        index: c.index,
        treeSize: c.at.treeSize,
        leafHash: b64(leaf ?? new Uint8Array()),
        proof: c.plan.assemble(path).map(b64),
        checkpoint: cosignedNote(c.at),
        witnessed: c.at.witnessed === true,
      });
    }
    return out;
  }

  /**
   * RFC 9162 consistency proof between two tree sizes (0 < from <= to), with the checkpoint of
   * size `to` when one was signed. TreeSizeExceededError when `to` is beyond the latest checkpoint.
   */
  async consistencyProof(from: number, to: number): Promise<ConsistencyProof> {
    if (!Number.isSafeInteger(from) || from < 1 || !Number.isSafeInteger(to) || from > to) {
      throw new RangeError(`a consistency proof needs 0 < from <= to, got ${from} and ${to}`);
    }
    const head = await this.store.head();
    const size = head?.treeSize ?? 0;
    if (!head || to > size) throw new TreeSizeExceededError(to, size);
    const [proof, at] = await Promise.all([
      run(this.store, consistencyPlan(from, to)),
      to === size ? head : this.store.checkpoint(to),
    ]);
    return { from, to, proof: proof.map(b64), ...(at ? { checkpoint: cosignedNote(at) } : {}) };
  }
}

function view(c: StoredCheckpoint): LogCheckpoint {
  return {
    note: cosignedNote(c),
    witnessed: c.witnessed === true,
    treeSize: c.treeSize,
    rootHash: c.rootHash,
  };
}

function b64(h: Hash): string {
  return Buffer.from(h).toString('base64');
}
