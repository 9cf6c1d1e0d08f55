import type { AuditEvent } from '../../contracts/audit.ts';
import type { EvidenceRecord } from '../../contracts/witness.ts';

/** What this witness last cosigned for one log (the `LOG#<origin>` item, docs/protocol.md §19.2). */
export interface CosignedState {
  origin: string;
  treeSize: number;
  /** Base64 root hash of the checkpoint cosigned. */
  rootHash: string;
  /** The signed checkpoint note as received, verbatim. */
  note: string;
  cosignedAt: string;
  /** The province whose signed call it was cosigned on. */
  caller: string;
  traceId: string;
}

/** A page of a listing: `next` is where the following page starts (absent on the last page). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/**
 * The witness table (lib/store/witness-store.ts, §19): per log the state last cosigned, changed
 * only by an atomic compare-and-set, and the split-view evidence, each record once.
 */
export interface WitnessRepository {
  /** The state last cosigned for `origin`, read consistently; undefined when never cosigned. */
  state(origin: string): Promise<CosignedState | undefined>;
  /**
   * Compare-and-set: stores `next` only while the stored state is still `expected` (its size and
   * root hash; undefined: no state stored yet). `conflict` when another write came first.
   */
  compareAndSet(
    next: CosignedState,
    expected: { treeSize: number; rootHash: string } | undefined,
  ): Promise<'stored' | 'conflict'>;
  /**
   * Keeps a piece of evidence with its `witness.evidence` event, in one transaction: `kept`, or
   * `known` when the same pair of checkpoints is already kept (nothing written then).
   */
  keepEvidence(record: EvidenceRecord, audit: AuditEvent): Promise<'kept' | 'known'>;
  evidence(evidenceId: string): Promise<EvidenceRecord | undefined>;
  /** Evidence newest first. */
  evidenceList(page: { limit: number; after?: string }): Promise<Page<EvidenceRecord>>;
}
