import type { HolderLicense, HolderUse, HolderUsesPage, UseProof } from '../contracts/holder.ts';
import type { PublicJwk } from '../contracts/keys.ts';
import { auditOrigin, CheckpointError, verifyCheckpoint } from '../lib/audit/checkpoint.ts';
import { displayWidth } from '../lib/audit/display-width.ts';
import { verifyInclusion } from '../lib/audit/merkle.ts';
import { holderWitnessKeys } from '../lib/holder/witnesses.ts';
import { type WitnessStatus, witnessStatus } from '../lib/witness/quorum.ts';
import { fieldLines, type Paint, provinceLabel, statusLabel } from './output.ts';

/**
 * What a holder sees of their licenses and their uses (docs/protocol.md §16), and the check of
 * each use's proof made here, in the CLI, as the holder's page makes it in the browser: the
 * checkpoint against the issuer's `audit` key, then the audit path against the checkpoint's root.
 */

/** The outcome of one use's check: what `--json` marks as `verified`, and what a person reads. */
export type UseCheck =
  /**
   * `witness`: who cosigned the proof's checkpoint against the page's witness policy (§19.5);
   * absent when the gateway served no witnesses to check against.
   */
  | { kind: 'proven'; treeSize: number; witness?: WitnessStatus }
  | { kind: 'failed'; why: string }
  | { kind: 'pending' }
  | { kind: 'sealed'; until: string };

/** Checks one proof against the issuing province's `audit` key and its log's origin. */
export function checkProof(
  proof: UseProof,
  auditKey: PublicJwk,
  province: string,
): { ok: true; treeSize: number } | { ok: false; why: string } {
  let checkpoint: ReturnType<typeof verifyCheckpoint>;
  try {
    checkpoint = verifyCheckpoint(proof.checkpoint, auditKey, auditOrigin(province));
  } catch (err) {
    const why = err instanceof CheckpointError ? `${err.code}: ${err.message}` : String(err);
    return { ok: false, why: `the checkpoint does not verify (${why})` };
  }
  if (proof.treeSize !== checkpoint.treeSize) {
    return {
      ok: false,
      why: `the proof is for a tree of ${proof.treeSize}, the checkpoint of ${checkpoint.treeSize}`,
    };
  }
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
  const included = verifyInclusion(
    proof.index,
    checkpoint.treeSize,
    b64(proof.leafHash),
    proof.proof.map(b64),
    checkpoint.rootHash,
  );
  if (!included) return { ok: false, why: "the audit path does not lead to the checkpoint's root" };
  return { ok: true, treeSize: checkpoint.treeSize };
}

/** Whether a use counts as NOT_WITNESSED: proven, but its log's witnesses' quorum is not met. */
export function notWitnessed(check: UseCheck | undefined): boolean {
  return check?.kind === 'proven' && check.witness?.policy !== undefined && !check.witness.witnessed;
}

/**
 * Each use of a page checked: a sealed use shows no proof, a pending one has none yet; a proven
 * one's checkpoint is checked for its witnesses' quorum when the page carries the witnesses.
 */
export function checkUses(page: HolderUsesPage): UseCheck[] {
  const witnesses = page.witnesses;
  const keysOf = witnesses ? holderWitnessKeys(witnesses) : undefined;
  return page.items.map((use): UseCheck => {
    if ('sealed' in use) return { kind: 'sealed', until: use.until };
    if (use.proof) {
      const checked = checkProof(use.proof, page.auditKey, page.license.province);
      if (!checked.ok) return { kind: 'failed', why: checked.why };
      return {
        kind: 'proven',
        treeSize: checked.treeSize,
        ...(witnesses && keysOf
          ? {
              witness: witnessStatus(use.proof.checkpoint, { policy: witnesses.policy, witnessKeys: keysOf }),
            }
          : {}),
      };
    }
    if (use.pending === true) return { kind: 'pending' };
    // Shown in full, yet neither proven nor waiting: nothing says the log holds it.
    return { kind: 'failed', why: 'the use has no proof and is not pending' };
  });
}

/** `2026-06-01 16:05:07`: a timestamp in Beijing time (UTC+8, no daylight saving). */
export function beijingTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const shifted = new Date(t + 8 * 3600_000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}`;
}

const OUTCOMES: Record<string, string> = { success: '成功', refused: '被拒绝', error: '出错' };

function validity(l: HolderLicense): string {
  return `${l.validFrom} to ${l.validUntil ?? 'no end date'}`;
}

/** One license: its type name as the heading, then number, identifier, status and validity. */
export function holderLicenseLines(l: HolderLicense, paint: Paint): string {
  return `${paint.bold(l.typeName)}\n${fieldLines(
    [
      ['number', l.number],
      ['identifier', l.identifier],
      ['status', statusLabel(l.status)],
      ['valid', validity(l)],
      ['holder', l.holderName],
      ['issuer', `${l.issuer.name} (${provinceLabel(l.province)})`],
      ['version', l.version],
    ],
    '  ',
  )}`;
}

const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

const COLUMNS = [
  'TIME (北京时间)',
  'PROVINCE',
  'PLATFORM',
  'MATTER',
  'USE CAUSE',
  'DATA LEVEL',
  'OUTCOME',
  'PROOF',
] as const;

function proofText(check: UseCheck, province: string, paint: Paint): string {
  switch (check.kind) {
    case 'proven': {
      const proven = paint.green(`proven in ${provinceLabel(province)}'s log (tree size ${check.treeSize})`);
      const w = check.witness;
      if (!w?.policy) return proven;
      const count = `${w.cosigners.length} of ${w.policy.witnesses.length}, quorum ${w.policy.quorum}`;
      return w.witnessed
        ? `${proven}${paint.green(`, witnessed ${count}`)}`
        : `${proven}${paint.red(`, NOT_WITNESSED ${count}`)}`;
    }
    case 'failed':
      return paint.red(`PROOF FAILED: ${check.why}`);
    case 'pending':
      return paint.yellow('pending (not in the log yet)');
    case 'sealed':
      return paint.dim(`sealed until ${check.until}`);
  }
}

function cells(use: HolderUse): string[] {
  const where = [beijingTime(use.time), provinceLabel(use.province)];
  if ('sealed' in use) return [...where, '-', '-', '-', '-', '-'];
  return [
    ...where,
    use.platform || '-',
    use.matterCode || '-',
    use.useCause || '-',
    use.dataLevel === undefined ? '- (本省)' : String(use.dataLevel),
    `${use.outcome} ${OUTCOMES[use.outcome] ?? ''}`.trim(),
  ];
}

/** The uses as a table, one line each, newest first as the gateway answers them, and a tally. */
export function usesTable(page: HolderUsesPage, checks: readonly UseCheck[], paint: Paint): string {
  const rows = page.items.map(cells);
  const widths = COLUMNS.slice(0, -1).map((title, i) =>
    Math.max(displayWidth(title), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (r: readonly string[]) => r.map((c, i) => (i < widths.length ? pad(c, widths[i] ?? 0) : c));
  const out: string[] = [];
  if (rows.length === 0) {
    out.push('no uses');
  } else {
    out.push(paint.bold(line(COLUMNS).join('  ')));
    rows.forEach((r, k) => {
      const check = checks[k];
      const proof = check ? proofText(check, page.license.province, paint) : '';
      out.push([...line(r), proof].join('  '));
    });
  }
  const count = (kind: UseCheck['kind']) => checks.filter((c) => c.kind === kind).length;
  const tally = [
    `${count('proven')} proven`,
    ...(count('failed') ? [`${count('failed')} PROOF FAILED`] : []),
    ...(checks.some(notWitnessed) ? [`${checks.filter(notWitnessed).length} NOT_WITNESSED`] : []),
    ...(count('pending') ? [`${count('pending')} pending`] : []),
    ...(count('sealed') ? [`${count('sealed')} sealed`] : []),
  ];
  out.push('', `${rows.length} use${rows.length === 1 ? '' : 's'} on this page: ${tally.join(', ')}`);
  return `${out.join('\n')}\n`;
}
