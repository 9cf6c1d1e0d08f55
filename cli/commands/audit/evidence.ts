import type { KeyObject } from 'node:crypto';
import { EvidencePageSchema, type EvidenceRecord } from '../../../contracts/witness.ts';
import { auditOrigin, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { verifyConsistency } from '../../../lib/audit/merkle.ts';
import type { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { CliError, HttpError } from '../../errors.ts';
import { call, expectShape } from '../../http.ts';
import type { Paint } from '../../output.ts';
import { provinceLabel } from '../../output.ts';
import type { Target } from '../../target.ts';

/**
 * `elg audit evidence`: the split-view evidence each witness kept (docs/protocol.md §19.3), read
 * from its auditor API, with both signed checkpoints of each record checked here against the log
 * province's audit keys in the registry: that the province signed both histories is then
 * something anyone can check, not the witness's word.
 */

/** Records read from one witness at most (pages of 100). */
const PAGE = 100;
const MAX_PAGES = 100;

/** One signed checkpoint of a record, and whether a published audit key of the log signed it. */
export interface CheckedCheckpoint {
  treeSize: number;
  rootHash: string;
  note: string;
  /** A published audit key of the log's province verifies it, for the record's origin, size and root. */
  verified: boolean;
  /** Why not, when it does not. */
  problem?: string;
}

export interface CheckedEvidence {
  /** The witness that kept it. */
  witness: string;
  evidenceId: string;
  kind: EvidenceRecord['kind'];
  origin: string;
  logProvince: string;
  caller: string;
  traceId: string;
  receivedAt: string;
  cosigned: CheckedCheckpoint;
  submitted: CheckedCheckpoint & { oldSize: number; proof: string[] };
  /**
   * Both checkpoints verify and, read here, are what the kind says: the same size with two roots,
   * a proof from the cosigned checkpoint to the larger one that does not verify, or a smaller size.
   */
  confirmed: boolean;
  /**
   * The pair alone proves that the log's province signed two histories: both verify, at the same
   * size with two roots. A proof that fails (fork) or a smaller checkpoint (rollback) needs the
   * log's own consistency proof to settle it.
   */
  proven: boolean;
}

export interface WitnessEvidence {
  province: string;
  url: string;
  records: number;
  /** More records than were read. */
  more: boolean;
  /** Why the witness could not be read; the others are still shown. */
  error?: string;
}

export interface EvidenceReport {
  witnesses: WitnessEvidence[];
  items: CheckedEvidence[];
  registrySeq: number;
}

/** Reads every target's evidence (as its auditor) and checks each record against the registry. */
export async function collectEvidence(
  targets: readonly Target[],
  registry: Pick<TrustRegistry, 'auditKeys' | 'status'>,
): Promise<EvidenceReport> {
  const witnesses: WitnessEvidence[] = [];
  const items: CheckedEvidence[] = [];
  for (const target of targets) {
    const entry: WitnessEvidence = { province: target.province, url: target.url, records: 0, more: false };
    witnesses.push(entry);
    try {
      const { records, more } = await readAll(target);
      entry.records = records.length;
      entry.more = more;
      for (const r of records) items.push(checkRecord(target.province, r, registry.auditKeys(r.logProvince)));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      entry.error = `${err instanceof HttpError ? `${err.code}: ` : ''}${err.message}`;
    }
  }
  return { witnesses, items, registrySeq: registry.status().seq };
}

async function readAll(target: Target): Promise<{ records: EvidenceRecord[]; more: boolean }> {
  const records: EvidenceRecord[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const qs = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const body = expectShape(
      EvidencePageSchema,
      await call(target, 'GET', `/v1/witness/evidence?${qs}`),
      'witness evidence',
    );
    for (const r of body.items) {
      // A cursor that goes round in circles would list records again: each is listed once.
      if (seen.has(r.evidenceId)) continue;
      seen.add(r.evidenceId);
      records.push(r);
    }
    if (body.cursor === undefined || body.cursor === cursor) return { records, more: false };
    cursor = body.cursor;
  }
  return { records, more: true };
}

/** The record's two checkpoints verified with the log's audit keys, and the contradiction checked. */
export function checkRecord(witness: string, r: EvidenceRecord, keys: readonly KeyObject[]): CheckedEvidence {
  const expected = auditOrigin(r.logProvince);
  const check = (c: { treeSize: number; rootHash: string; note: string }): CheckedCheckpoint => {
    const base = { treeSize: c.treeSize, rootHash: c.rootHash, note: c.note };
    if (r.origin !== expected) {
      return { ...base, verified: false, problem: `the origin ${r.origin} is not ${expected}` };
    }
    if (keys.length === 0) {
      return { ...base, verified: false, problem: `the registry lists no audit key of ${r.logProvince}` };
    }
    let last = 'no audit key verifies it';
    for (const key of keys) {
      try {
        const cp = verifyCheckpoint(c.note, key, expected);
        if (cp.treeSize !== c.treeSize || Buffer.from(cp.rootHash).toString('base64') !== c.rootHash) {
          return {
            ...base,
            verified: false,
            problem: 'the note is not of the size and root the record says',
          };
        }
        return { ...base, verified: true };
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
    }
    return {
      ...base,
      verified: false,
      problem: keys.length === 1 ? last : 'no audit key of the log verifies it',
    };
  };
  const cosigned = check(r.cosigned);
  const submitted = { ...check(r.submitted), oldSize: r.submitted.oldSize, proof: r.submitted.proof };
  return {
    witness,
    evidenceId: r.evidenceId,
    kind: r.kind,
    origin: r.origin,
    logProvince: r.logProvince,
    caller: r.caller,
    traceId: r.traceId,
    receivedAt: r.receivedAt,
    cosigned,
    submitted,
    confirmed: cosigned.verified && submitted.verified && contradicts(r),
    proven:
      cosigned.verified &&
      submitted.verified &&
      r.cosigned.treeSize === r.submitted.treeSize &&
      r.cosigned.rootHash !== r.submitted.rootHash,
  };
}

function contradicts(r: EvidenceRecord): boolean {
  const a = r.cosigned;
  const b = r.submitted;
  switch (r.kind) {
    case 'root-mismatch':
      return a.treeSize === b.treeSize && a.rootHash !== b.rootHash;
    case 'rollback':
      return b.treeSize < a.treeSize;
    case 'fork':
      return (
        b.treeSize > a.treeSize &&
        !verifyConsistency(
          a.treeSize,
          b.treeSize,
          b.proof.map((h) => new Uint8Array(Buffer.from(h, 'base64'))),
          new Uint8Array(Buffer.from(a.rootHash, 'base64')),
          new Uint8Array(Buffer.from(b.rootHash, 'base64')),
        )
      );
  }
}

const CONFIRMED: Record<EvidenceRecord['kind'], string> = {
  fork: 'the proof sent does not verify from the checkpoint cosigned',
  'root-mismatch': 'they have the same size and two roots',
  rollback: 'the one offered is smaller than the one cosigned',
};

const KIND_TEXT: Record<EvidenceRecord['kind'], string> = {
  fork: 'fork: the proof from the checkpoint cosigned to a larger one does not verify',
  'root-mismatch': 'root mismatch: the same size with another root hash',
  rollback: 'rollback: the log itself offered a checkpoint smaller than the one cosigned',
};

/** The report as people read it: per witness its records, each with both notes verbatim. */
export function renderEvidence(report: EvidenceReport, paint: Paint): string {
  const lines: string[] = [];
  const total = report.items.length;
  lines.push(
    total === 0 ? 'no split-view evidence' : `${total} piece${total === 1 ? '' : 's'} of split-view evidence`,
  );
  for (const w of report.witnesses) {
    const held = w.error
      ? paint.red(`unreachable or refused: ${w.error}`)
      : `${w.records} record${w.records === 1 ? '' : 's'}${w.more ? ' (more not read)' : ''}`;
    lines.push(`  witness ${provinceLabel(w.province)}  ${held}`);
  }
  const mark = (ok: boolean) => (ok ? paint.green('✓') : paint.red('✗'));
  for (const e of report.items) {
    lines.push(
      '',
      paint.bold(`evidence ${e.evidenceId} kept by ${provinceLabel(e.witness)}`),
      `  log       ${e.origin} (${provinceLabel(e.logProvince)})`,
      `  kind      ${KIND_TEXT[e.kind]}`,
      `  received  ${e.receivedAt} on a call of ${e.caller}, trace ${e.traceId}`,
      `  checked   ${mark(e.confirmed)} ${e.confirmed ? `both signed by ${e.logProvince}, and ${CONFIRMED[e.kind]}` : 'not as the witness says'}`,
      `  proof     ${e.proven ? `${mark(true)} ${e.logProvince} signed two histories: the same size with two roots` : `${paint.yellow('?')} not by this pair alone: ask ${e.logProvince} for the consistency proof between the two`}`,
    );
    const block = (label: string, c: CheckedCheckpoint, extra = '') => {
      const verdict = c.verified
        ? `${mark(true)} verifies with ${e.logProvince}'s audit key in the registry`
        : `${mark(false)} does not verify: ${c.problem ?? 'unknown'}`;
      lines.push('', `  ${label} checkpoint, size ${c.treeSize}${extra}: ${verdict}`);
      // Verbatim: the signed note exactly as the witness holds it, to check with any tool.
      lines.push(c.note.replace(/\n$/, ''));
    };
    block('cosigned', e.cosigned);
    block(
      'submitted',
      e.submitted,
      ` (old size ${e.submitted.oldSize}, ${e.submitted.proof.length} proof line${e.submitted.proof.length === 1 ? '' : 's'})`,
    );
  }
  lines.push('', `checked against registry seq ${report.registrySeq}`);
  return `${lines.join('\n')}\n`;
}
