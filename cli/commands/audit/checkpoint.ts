import { auditOrigin, keyIdOf, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import type { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { type WitnessStatus, witnessStatus } from '../../../lib/witness/quorum.ts';
import { provinceLabel } from '../../output.ts';

/**
 * What `elg audit checkpoint` found: a province's latest checkpoint as its auditor API serves it,
 * its log signature checked with the province's audit keys in the registry, and who cosigned it
 * against the witness policy the registry names for that log (docs/protocol.md §19.5).
 */
export interface CheckpointReport {
  province: string;
  /**
   * WITNESSED: signed, and the quorum cosigned. NOT_WITNESSED: signed, the registry names
   * witnesses and their quorum is not met. NO_WITNESS_POLICY: signed, the registry names no
   * witnesses for the log. CHECKPOINT_INVALID: not signed by an audit key of the province.
   */
  status: 'WITNESSED' | 'NOT_WITNESSED' | 'NO_WITNESS_POLICY' | 'CHECKPOINT_INVALID';
  treeSize?: number;
  root?: string;
  signature: { verified: true; keyId: string } | { verified: false; reason: string };
  witness?: WitnessStatus;
  registry: { seq: number };
  /** The signed note as served. */
  note: string;
}

export function checkCheckpoint(province: string, note: string, registry: TrustRegistry): CheckpointReport {
  const base = { province, note, registry: { seq: registry.status().seq } };
  const keys = registry.auditKeys(province);
  let reason = keys.length === 0 ? `the registry lists no audit key of an active province ${province}` : '';
  for (const key of keys) {
    try {
      const checkpoint = verifyCheckpoint(note, key, auditOrigin(province));
      const witness = witnessStatus(note, {
        policy: registry.witnessPolicy(province),
        witnessKeys: (w) => registry.witnessKeys(w),
      });
      return {
        ...base,
        status: !witness.policy ? 'NO_WITNESS_POLICY' : witness.witnessed ? 'WITNESSED' : 'NOT_WITNESSED',
        treeSize: checkpoint.treeSize,
        root: Buffer.from(checkpoint.rootHash).toString('base64'),
        signature: { verified: true, keyId: Buffer.from(keyIdOf(key)).toString('hex') },
        witness,
      };
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
  }
  return { ...base, status: 'CHECKPOINT_INVALID', signature: { verified: false, reason } };
}

export function renderCheckpoint(r: CheckpointReport): string {
  const lines = [`checkpoint of ${provinceLabel(r.province)}: ${r.status}`];
  if (!r.signature.verified) {
    lines.push(`  signature  ✗ ${r.signature.reason}`);
  } else {
    lines.push(
      `  tree       ${r.treeSize}, root ${r.root}`,
      `  signature  ✓ by the province's audit key (key ID ${r.signature.keyId})`,
    );
    const w = r.witness;
    if (!w?.policy) lines.push('  witnesses  none: the registry names no witnesses for this log');
    else {
      const { witnesses, quorum } = w.policy;
      lines.push(
        `  witnesses  ${w.cosigners.length} of ${witnesses.length} cosigned, quorum ${quorum}: ${w.witnessed ? 'met' : 'NOT met'}`,
      );
      const at = new Map(w.cosigners.map((c) => [c.province, c] as const));
      for (const id of witnesses) {
        const c = at.get(id);
        lines.push(
          c
            ? `    ✓ ${provinceLabel(id)}  ${c.name}  cosigned ${new Date(c.timestamp * 1000).toISOString()}`
            : `    ✗ ${provinceLabel(id)}  no valid cosignature`,
        );
      }
    }
    for (const x of w?.rejected ?? []) {
      const by = x.name ? ` ${x.name}${x.keyId ? `+${x.keyId}` : ''}` : '';
      lines.push(`  not counted  ${x.reason}${by}: ${x.message}`);
    }
  }
  lines.push('', `checked against registry seq ${r.registry.seq}`);
  return `${lines.join('\n')}\n`;
}
