import type { WitnessPolicy } from '../../contracts/registry.ts';
import {
  parseTlogSize,
  TLOG_SIZE_CONTENT_TYPE,
  WITNESS_ADD_CHECKPOINT,
  WITNESS_TEXT_CONTENT_TYPE,
} from '../../contracts/witness.ts';
import { consistencyPlan, type NodeReader, run } from '../audit/merkle.ts';
import type { AuditSink } from '../audit/sink.ts';
import type { Clock } from '../clock.ts';
import { newTraceId } from '../ids.ts';
import {
  type OutboundRecord,
  outboundEvent,
  outboundOf,
  type PeerTextResult,
  type TextPeerClient,
} from '../interop/peer-client.ts';
import { cosignedNote, type StoredCheckpoint, type WitnessLine } from '../store/log-records.ts';
import type { LogStore } from '../store/log-store.ts';
import { formatAddCheckpoint } from './add-checkpoint.ts';
import { CosignatureError, parseCosignatureLine, verifyCosignature } from './cosignature.ts';
import { type WitnessKey, witnessStatus } from './quorum.ts';

/*
 * The log side of witnessing (docs/protocol.md §19.4): for the newest checkpoint of this
 * province's log, every witness the registry names for it is asked at once (C2SP tlog-witness
 * add-checkpoint, a signed call), all within one bound; each cosignature that comes back is
 * verified with the witness's published key before it is kept with the checkpoint.
 */

/** The default of ELG_WITNESS_TIMEOUT_MS: how long a collection waits for its witnesses. */
export const DEFAULT_WITNESS_TIMEOUT_MS = 2000;
/** More than any witness's answer needs: a few signature lines. */
const MAX_ANSWER_CHARS = 4096;

/** The registry as collection reads it (lib/registry/trust-registry.ts). */
export interface WitnessDirectory {
  /** Who witnesses `logProvince`'s log, and the quorum; undefined when nobody does. */
  witnessPolicy(logProvince: string): WitnessPolicy | undefined;
  /** Every published witness key of a province, with the name it cosigns under. */
  witnessKeys(witnessProvince: string): readonly WitnessKey[];
}

export type CollectLog = NodeReader &
  Pick<LogStore, 'head' | 'witnessSizes' | 'setWitnessSize' | 'addCosignatures' | 'markWitnessed'>;

export interface CollectDeps {
  /** This province: the log's. */
  province: string;
  registry: WitnessDirectory;
  /** Signed calls with text bodies; each call is one `interop.outbound` event, written here. */
  peers: TextPeerClient;
  auditStore: AuditSink;
  log: CollectLog;
  clock: Clock;
  /** ELG_WITNESS_TIMEOUT_MS: the one bound of a collection, every witness and retry within it. */
  timeoutMs: number;
}

/** What became of one witness in one collection. */
export type WitnessOutcome =
  /** Its cosignature verified and is kept (`already`: it was kept before; it was not asked). */
  | { witness: string; outcome: 'cosigned'; oldSize: number; retried: boolean; already?: boolean }
  /** It answered with a refusal (404, 403, 400, 409, 422...). */
  | { witness: string; outcome: 'refused'; status: number; oldSize: number; retried: boolean }
  /** Unreachable, too slow for the bound, 5xx, or its answer unproven by a receipt. */
  | { witness: string; outcome: 'unavailable'; error: string }
  /** It answered, but not with a cosignature of this checkpoint by its key: refused, not kept. */
  | { witness: string; outcome: 'invalid'; error: string };

export interface Collection {
  treeSize: number;
  policy: WitnessPolicy;
  /** One per witness of the policy, in its order. */
  witnesses: WitnessOutcome[];
  /** Cosignatures this collection added. */
  collected: number;
  /** Answers refused as not being a cosignature of this checkpoint by the witness's key. */
  invalid: number;
  /** The witnesses whose verified cosignature the checkpoint now carries, in the policy's order. */
  cosigners: string[];
  quorumMet: boolean;
  /** Milliseconds from the start of the collection to the quorum stored, when this one stored it. */
  quorumAfterMs?: number;
}

type Asked = { outcome: WitnessOutcome; line?: string };

/**
 * Collects cosignatures of `checkpoint` (the head when absent) from every witness of the
 * province's policy, in parallel, and resolves once all have answered or the bound has passed
 * (a witness still silent then is unavailable: nothing it says later is kept). Undefined when
 * the registry names no witnesses for the log or the log is empty: nothing to collect.
 *
 * Per witness: the request is from the size it last cosigned (0 at first) with the consistency
 * proof from there; a 409 gives the size it holds (`text/x.tlog.size`, read strictly), and the
 * request is made once more from that size if the log has it; a witness claiming a size beyond
 * the checkpoint's is recorded as invalid and skipped. A 200 answer is kept only if one of its
 * lines is a cosignature/v1 of exactly this checkpoint by one of the witness's published keys.
 * The lines are kept with the checkpoint (LogStore.addCosignatures), then each witness's new
 * size; the checkpoint is marked witnessed once the stored lines meet the quorum.
 */
export async function collectCosignatures(
  deps: CollectDeps,
  checkpoint?: StoredCheckpoint,
): Promise<Collection | undefined> {
  const policy = deps.registry.witnessPolicy(deps.province);
  if (!policy) return undefined;
  const head = checkpoint ?? (await deps.log.head());
  if (!head || head.treeSize === 0) return undefined;
  const traceId = newTraceId();
  const sizes = await deps.log.witnessSizes(policy.witnesses);

  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deps.timeoutMs);
  });
  const started = performance.now();
  const remaining = () => Math.max(0, deps.timeoutMs - (performance.now() - started));
  const results = new Map<string, Asked>();
  // Resolved once as many witnesses have cosigned as the quorum asks: what they sent is stored
  // then, so the checkpoint is witnessed as soon as it can be, not when the slowest answers.
  let quorumReached: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    quorumReached = resolve;
  });
  const arrived = (witness: string, asked: Asked) => {
    results.set(witness, asked);
    const cosigned = [...results.values()].filter((a) => a.outcome.outcome === 'cosigned').length;
    if (cosigned >= policy.quorum) quorumReached();
  };
  const tasks = policy.witnesses.map((witness) =>
    ask(deps, witness, head, sizes.get(witness) ?? 0, traceId, remaining).then(
      (asked) => arrived(witness, asked),
      (err: unknown) =>
        arrived(witness, {
          outcome: {
            witness,
            outcome: 'unavailable',
            error: err instanceof Error ? err.message : String(err),
          },
        }),
    ),
  );
  const all = Promise.all(tasks);
  const kept = new Set<string>();
  let quorumAfterMs: number | undefined;
  let stored: StoredCheckpoint | undefined = head;
  /** Stores the lines of `from` not stored yet; marks the checkpoint witnessed at its quorum. */
  const keep = async (from: ReadonlyMap<string, Asked>) => {
    const lines: WitnessLine[] = policy.witnesses.flatMap((witness) => {
      const line = from.get(witness)?.line;
      return line && !kept.has(witness) ? [{ witness, line }] : [];
    });
    for (const l of lines) kept.add(l.witness);
    if (lines.length > 0) stored = (await deps.log.addCosignatures(head.treeSize, lines)) ?? stored;
    const now = deps.clock.now();
    await Promise.all(lines.map((l) => deps.log.setWitnessSize(l.witness, head.treeSize, now)));
    const status = witnessStatus(cosignedNote(stored ?? head), {
      policy,
      witnessKeys: (w) => deps.registry.witnessKeys(w),
    });
    if (status.witnessed && (lines.length > 0 || !stored?.witnessed)) {
      await deps.log.markWitnessed(head.treeSize);
      if (stored) stored = { ...stored, witnessed: true };
      quorumAfterMs ??= performance.now() - started;
    }
    return status;
  };
  try {
    const first = await Promise.race([
      all.then(() => 'all' as const),
      bound.then(() => 'bound' as const),
      reached,
    ]);
    if (first === undefined) {
      // The quorum is in before every witness answered: kept now, the others waited for after.
      await keep(new Map(results));
      await Promise.race([all, bound]);
    }
  } finally {
    clearTimeout(timer);
  }
  // What arrives after the bound is not waited for, nor kept.
  const answered = new Map(results);
  const outcomes = policy.witnesses.map(
    (witness) =>
      answered.get(witness)?.outcome ??
      ({ witness, outcome: 'unavailable', error: `no answer within ${deps.timeoutMs} ms` } as const),
  );
  const status = await keep(answered);
  const lines = policy.witnesses.flatMap((witness) => {
    const line = answered.get(witness)?.line;
    return line ? [{ witness, line }] : [];
  });
  return {
    treeSize: head.treeSize,
    policy,
    witnesses: outcomes,
    collected: lines.filter((l) => stored?.cosignatures?.[l.witness] === l.line).length,
    invalid: outcomes.filter((o) => o.outcome === 'invalid').length,
    cosigners: status.cosigners.map((c) => c.province),
    quorumMet: status.witnessed,
    ...(quorumAfterMs === undefined ? {} : { quorumAfterMs }),
  };
}

/** One witness: the request, a retry on 409, and the answer checked. Never throws for the witness's faults. */
async function ask(
  deps: CollectDeps,
  witness: string,
  checkpoint: StoredCheckpoint,
  lastSize: number,
  traceId: string,
  remaining: () => number,
): Promise<Asked> {
  const size = checkpoint.treeSize;
  if (checkpoint.cosignatures?.[witness]) {
    return { outcome: { witness, outcome: 'cosigned', oldSize: lastSize, retried: false, already: true } };
  }
  const keys = deps.registry.witnessKeys(witness);
  if (keys.length === 0) {
    return {
      outcome: { witness, outcome: 'unavailable', error: 'the registry publishes no witness key of it' },
    };
  }
  // A size above the checkpoint's cannot have been cosigned for this log: start again from 0.
  let oldSize = lastSize <= size ? lastSize : 0;
  let retried = false;
  for (;;) {
    const sent = await send(deps, witness, checkpoint, oldSize, traceId, remaining());
    if ('outcome' in sent) return sent;
    const { answer, record } = sent;
    if (answer.status === 200) {
      const checked = checkAnswer(answer.text, checkpoint.note, keys);
      if ('line' in checked) {
        await deps.auditStore.write(outboundEvent(deps.province, traceId, record));
        return { outcome: { witness, outcome: 'cosigned', oldSize, retried }, line: checked.line };
      }
      await deps.auditStore.write(
        outboundEvent(deps.province, traceId, refusedAnswer(record, checked.error)),
      );
      return { outcome: { witness, outcome: 'invalid', error: checked.error } };
    }
    if (answer.status === 409 && !retried) {
      const held = tlogSize(answer);
      if (held === undefined || held > size) {
        const error =
          held === undefined
            ? 'a 409 answer without a text/x.tlog.size body'
            : `it holds size ${held}, beyond the log's checkpoint of size ${size}`;
        await deps.auditStore.write(outboundEvent(deps.province, traceId, refusedAnswer(record, error)));
        return { outcome: { witness, outcome: 'invalid', error } };
      }
      await deps.auditStore.write(outboundEvent(deps.province, traceId, record));
      if (held !== oldSize) {
        oldSize = held;
        retried = true;
        continue;
      }
      return { outcome: { witness, outcome: 'refused', status: 409, oldSize, retried } };
    }
    await deps.auditStore.write(outboundEvent(deps.province, traceId, record));
    return { outcome: { witness, outcome: 'refused', status: answer.status, oldSize, retried } };
  }
}

/** One add-checkpoint call; the caller writes its outbound event once it has judged the answer. */
async function send(
  deps: CollectDeps,
  witness: string,
  checkpoint: StoredCheckpoint,
  oldSize: number,
  traceId: string,
  timeoutMs: number,
): Promise<{ answer: PeerTextResult; record: OutboundRecord } | Asked> {
  const proof = oldSize === 0 ? [] : await run(deps.log, consistencyPlan(oldSize, checkpoint.treeSize));
  const text = formatAddCheckpoint({ oldSize, proof, checkpoint: checkpoint.note });
  try {
    const answer = await deps.peers.callText(
      witness,
      WITNESS_ADD_CHECKPOINT.method,
      WITNESS_ADD_CHECKPOINT.path,
      { text, contentType: WITNESS_TEXT_CONTENT_TYPE, timeoutMs },
      { traceId, recordedBy: 'caller' },
    );
    if (!answer.outbound) throw new TypeError('the peer client handed back no record of the call');
    return { answer, record: answer.outbound };
  } catch (err) {
    const record = outboundOf(err);
    if (record) await deps.auditStore.write(outboundEvent(deps.province, traceId, record));
    else if (err instanceof TypeError) throw err;
    return {
      outcome: { witness, outcome: 'unavailable', error: err instanceof Error ? err.message : String(err) },
    };
  }
}

/** An answer that was delivered but is refused here: the event says why. */
function refusedAnswer(record: OutboundRecord, error: string): OutboundRecord {
  return { ...record, outcome: 'error', details: { ...record.details, error: error.slice(0, 200) } };
}

/** The size of a 409 answer: `text/x.tlog.size`, decimal without leading zeroes, one newline. */
function tlogSize(answer: PeerTextResult): number | undefined {
  const type = answer.contentType?.split(';')[0]?.trim().toLowerCase();
  return type === TLOG_SIZE_CONTENT_TYPE ? parseTlogSize(answer.text) : undefined;
}

/**
 * A witness's 200 answer: one or more signature lines, each well-formed; the one kept is a
 * cosignature/v1 of this very checkpoint by one of the witness's published keys.
 */
function checkAnswer(
  text: string,
  note: string,
  keys: readonly WitnessKey[],
): { line: string } | { error: string } {
  if (text.length === 0 || text.length > MAX_ANSWER_CHARS || !text.endsWith('\n')) {
    return { error: 'the answer is not signature lines' };
  }
  const lines = text
    .slice(0, -1)
    .split('\n')
    .map((l) => `${l}\n`);
  let why = 'no line is a cosignature by a published key of the witness';
  for (const line of lines) {
    try {
      parseCosignatureLine(line);
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }
  for (const line of lines) {
    for (const key of keys) {
      try {
        verifyCosignature(note, line, key.name, key.key);
        return { line };
      } catch (err) {
        if (!(err instanceof CosignatureError)) throw err;
        if (err.code !== 'COSIGNATURE_OTHER_KEY') why = err.message;
      }
    }
  }
  return { error: why };
}
