import { createHash, type KeyObject } from 'node:crypto';
import { AuditAction } from '../../contracts/audit.ts';
import type { WitnessPolicy } from '../../contracts/registry.ts';
import { type EvidenceKind, type EvidenceRecord, WitnessRefusal } from '../../contracts/witness.ts';
import type { CosignedState, WitnessRepository } from '../../functions/witness/ports.ts';
import { type Checkpoint, parseCheckpoint, verifyCheckpoint } from '../audit/checkpoint.ts';
import { auditEvent } from '../audit/events.ts';
import { EMPTY_ROOT, equal, verifyConsistency } from '../audit/merkle.ts';
import type { Clock } from '../clock.ts';
import {
  type AppError,
  CheckpointSignatureInvalidError,
  ConsistencyProofInvalidError,
  InvalidRequestError,
  WitnessConflictError,
  WitnessUnknownLogError,
} from '../errors.ts';
import { type AddCheckpoint, AddCheckpointError, parseAddCheckpoint } from './add-checkpoint.ts';

/**
 * The witness side of C2SP tlog-witness (https://c2sp.org/tlog-witness, docs/protocol.md §19.2):
 * what a province does when another asks it to cosign a checkpoint of a log it witnesses. The
 * checks run in the spec's order, each refusal with its status and stable code, nothing stored on
 * a refusal but split-view evidence (§19.3); the state last cosigned per log changes only by an
 * atomic compare-and-set, so two racing requests can never roll it back.
 */

/** The registry as the witness reads it: who witnesses a log, and the log's audit keys. */
export interface WitnessRegistry {
  witnessPolicy(logProvince: string): WitnessPolicy | undefined;
  /** Every published audit key of an active province. */
  auditKeys(province: string): KeyObject[];
}

/** Signs the cosignature/v1 line over a checkpoint note with this province's witness key. */
export type Cosigner = (checkpointNote: string, timestamp: number) => Promise<string>;

export interface WitnessDeps {
  /** This province: the witness. */
  province: string;
  registry: WitnessRegistry;
  store: WitnessRepository;
  cosign: Cosigner;
  clock: Clock;
  /** Called once per piece of evidence newly kept (the SplitViewEvidence metric). */
  onEvidence?: (record: EvidenceRecord) => void;
}

export interface AddCheckpointCall {
  /** The request body, exactly as signed. */
  body: string;
  /** The province whose signed call this is. */
  caller: string;
  traceId: string;
  method: string;
  path: string;
}

/** What the witness did: the line it answers, or the error it refuses with; both say enough to audit. */
export type WitnessOutcome =
  | {
      ok: true;
      /** The cosignature/v1 signature line, final newline included: the 200 answer's body. */
      line: string;
      origin: string;
      oldSize: number;
      treeSize: number;
    }
  | {
      ok: false;
      error: AppError;
      reason: WitnessRefusal;
      origin?: string;
      oldSize?: number;
      treeSize?: number;
      /** The evidence this refusal kept (or found already kept). */
      evidenceId?: string;
    };

const ORIGIN = /^elg\/(\d{2}0000)\/audit$/;

export class Witness {
  constructor(private readonly deps: WitnessDeps) {}

  /** The add-checkpoint call: never throws for a refusal, only for storage or signing failing. */
  async addCheckpoint(call: AddCheckpointCall): Promise<WitnessOutcome> {
    const { deps } = this;
    // 1. The body, strictly (400). The old size is compared with the checkpoint's after its
    // signature, so that a log's own signed rollback is seen first.
    let request: AddCheckpoint;
    try {
      request = parseAddCheckpoint(call.body, { oldAboveSize: 'allow' });
    } catch (err) {
      if (!(err instanceof AddCheckpointError)) throw err;
      return refused(new InvalidRequestError(err.message), WitnessRefusal.malformed);
    }
    const origin = originOf(request.checkpoint);
    const sizes = { origin, oldSize: request.oldSize };

    // 2. A log this province witnesses (404).
    const logProvince = ORIGIN.exec(origin)?.[1];
    if (
      logProvince === undefined ||
      logProvince === deps.province ||
      !deps.registry.witnessPolicy(logProvince)?.witnesses.includes(deps.province)
    ) {
      return refused(
        new WitnessUnknownLogError(`${origin.slice(0, 80)} is no log province ${deps.province} witnesses`),
        WitnessRefusal.unknownLog,
        sizes,
      );
    }

    // 3. Signed with one of the log's published audit keys (403); other signatures are ignored.
    const checkpoint = verifiedCheckpoint(request.checkpoint, deps.registry.auditKeys(logProvince), origin);
    if (!checkpoint) {
      return refused(
        new CheckpointSignatureInvalidError(
          `no published audit key of ${logProvince} signed this checkpoint`,
        ),
        WitnessRefusal.badSignature,
        sizes,
      );
    }
    const at = { ...sizes, treeSize: checkpoint.treeSize };
    const rootHash = b64(checkpoint.rootHash);
    const stored = await deps.store.state(origin);

    // Split views (§19.3): a signed checkpoint that contradicts the one cosigned, kept as evidence
    // whatever the answer below.
    const contradiction = stored ? contradictionOf(stored, checkpoint, call.caller, logProvince) : undefined;
    const evidenceId =
      stored && contradiction
        ? await this.keep(contradiction, stored, request, checkpoint, logProvince, call)
        : undefined;
    const withEvidence = evidenceId ? { ...at, evidenceId } : at;

    // 4. The old size is at most the checkpoint's (400).
    if (request.oldSize > checkpoint.treeSize) {
      return refused(
        new InvalidRequestError(
          `old size ${request.oldSize} is above the checkpoint size ${checkpoint.treeSize}`,
        ),
        WitnessRefusal.malformed,
        withEvidence,
      );
    }

    // 5. The old size is the size last cosigned, 0 if never (409, the size in text/x.tlog.size).
    const cosignedSize = stored?.treeSize ?? 0;
    if (request.oldSize !== cosignedSize) {
      return refused(
        new WitnessConflictError(
          'WITNESS_SIZE_MISMATCH',
          cosignedSize,
          `the size last cosigned for ${origin} is ${cosignedSize}, not ${request.oldSize}`,
        ),
        WitnessRefusal.sizeMismatch,
        withEvidence,
      );
    }

    // 6. At the same size, the same root (409).
    if (stored && checkpoint.treeSize === stored.treeSize && rootHash !== stored.rootHash) {
      return refused(
        new WitnessConflictError(
          'WITNESS_ROOT_MISMATCH',
          cosignedSize,
          `${origin} at size ${stored.treeSize} was cosigned with another root hash`,
        ),
        WitnessRefusal.rootMismatch,
        withEvidence,
      );
    }

    // 7. The consistency proof from what was cosigned (422): empty from 0 and at the same size.
    const fromRoot = stored ? Buffer.from(stored.rootHash, 'base64') : EMPTY_ROOT;
    const consistent =
      verifyConsistency(request.oldSize, checkpoint.treeSize, request.proof, fromRoot, checkpoint.rootHash) &&
      (checkpoint.treeSize > 0 || equal(checkpoint.rootHash, EMPTY_ROOT));
    if (!consistent) {
      // A failing proof is the log's word only when the log itself sent it: any other province
      // could pair a genuine checkpoint with garbage and raise the alarm at will.
      const forked =
        evidenceId ??
        (stored && checkpoint.treeSize > stored.treeSize && call.caller === logProvince
          ? await this.keep('fork', stored, request, checkpoint, logProvince, call)
          : undefined);
      return refused(
        new ConsistencyProofInvalidError(
          `the consistency proof from size ${request.oldSize} to ${checkpoint.treeSize} does not verify`,
        ),
        WitnessRefusal.badProof,
        forked ? { ...at, evidenceId: forked } : at,
      );
    }

    // 8. Compare-and-set, atomic: the stored state must still be the one checked against.
    const now = deps.clock.now();
    const next: CosignedState = {
      origin,
      treeSize: checkpoint.treeSize,
      rootHash,
      note: request.checkpoint,
      cosignedAt: now.toISOString(),
      caller: call.caller,
      traceId: call.traceId,
    };
    const expected = stored ? { treeSize: stored.treeSize, rootHash: stored.rootHash } : undefined;
    if ((await deps.store.compareAndSet(next, expected)) === 'conflict') {
      const winner = (await deps.store.state(origin))?.treeSize ?? 0;
      return refused(
        new WitnessConflictError(
          'WITNESS_SIZE_MISMATCH',
          winner,
          `another request cosigned ${origin} first, at size ${winner}`,
        ),
        WitnessRefusal.sizeMismatch,
        at,
      );
    }

    // 9. The cosignature/v1 line, timestamped now in POSIX seconds.
    const line = await deps.cosign(request.checkpoint, Math.floor(now.getTime() / 1000));
    return { ok: true, line, origin, oldSize: request.oldSize, treeSize: checkpoint.treeSize };
  }

  /** Keeps one piece of evidence with its event (once per pair of checkpoints); its id. */
  private async keep(
    kind: EvidenceKind,
    stored: CosignedState,
    request: AddCheckpoint,
    checkpoint: Checkpoint,
    logProvince: string,
    call: AddCheckpointCall,
  ): Promise<string> {
    const { deps } = this;
    const now = deps.clock.now();
    const record: EvidenceRecord = {
      evidenceId: evidenceIdOf(stored.note, request.checkpoint),
      kind,
      origin: stored.origin,
      logProvince,
      cosigned: { treeSize: stored.treeSize, rootHash: stored.rootHash, note: stored.note },
      submitted: {
        treeSize: checkpoint.treeSize,
        rootHash: b64(checkpoint.rootHash),
        note: request.checkpoint,
        oldSize: request.oldSize,
        proof: request.proof.map(b64),
      },
      caller: call.caller,
      traceId: call.traceId,
      receivedAt: now.toISOString(),
    };
    const event = auditEvent(
      {
        province: deps.province,
        traceId: call.traceId,
        action: AuditAction.witnessEvidence,
        outcome: 'success',
        method: call.method,
        path: call.path,
        peer: call.caller,
        details: {
          evidenceId: record.evidenceId,
          kind,
          origin: record.origin,
          logProvince,
          cosignedSize: stored.treeSize,
          submittedSize: checkpoint.treeSize,
        },
      },
      now,
    );
    if ((await deps.store.keepEvidence(record, event)) === 'kept') deps.onEvidence?.(record);
    return record.evidenceId;
  }
}

/**
 * Which contradiction of what was cosigned a verified checkpoint is, if any, before the proof is
 * looked at: the same size with another root (whoever sends it), or a smaller checkpoint sent by
 * the log's own province (a third province may forward a stale one in good faith).
 */
function contradictionOf(
  stored: CosignedState,
  checkpoint: Checkpoint,
  caller: string,
  logProvince: string,
): EvidenceKind | undefined {
  if (checkpoint.treeSize === stored.treeSize && b64(checkpoint.rootHash) !== stored.rootHash) {
    return 'root-mismatch';
  }
  if (checkpoint.treeSize < stored.treeSize && caller === logProvince) {
    return 'rollback';
  }
  return undefined;
}

/**
 * The first 16 bytes of SHA-256 over the two checkpoints' note texts (the cosigned one, 0x00, the
 * other; signature lines left out, so the same two checkpoints signed again or cosigned by others
 * are the same evidence), in hex.
 */
export function evidenceIdOf(cosignedNote: string, submittedNote: string): string {
  return createHash('sha256')
    .update(parseCheckpoint(cosignedNote).text, 'utf8')
    .update(Uint8Array.of(0))
    .update(parseCheckpoint(submittedNote).text, 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('hex');
}

/** The checkpoint verified with one of the keys, or undefined when none verifies it. */
function verifiedCheckpoint(
  note: string,
  keys: readonly KeyObject[],
  origin: string,
): Checkpoint | undefined {
  for (const key of keys) {
    try {
      return verifyCheckpoint(note, key, origin);
    } catch {
      // Another key may have signed it.
    }
  }
  return undefined;
}

/** The origin line of a checkpoint already parsed once (parseAddCheckpoint). */
function originOf(note: string): string {
  return note.slice(0, note.indexOf('\n'));
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function refused(
  error: AppError,
  reason: WitnessRefusal,
  at: { origin?: string; oldSize?: number; treeSize?: number; evidenceId?: string } = {},
): WitnessOutcome {
  return { ok: false, error, reason, ...at };
}
