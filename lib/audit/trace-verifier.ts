import { readReceipt } from '../interop/receipt.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { witnessStatus } from '../witness/quorum.ts';
import { auditOrigin, verifyCheckpoint } from './checkpoint.ts';
import { eventLeafHash } from './log-leaf.ts';
import { equal, verifyConsistency, verifyInclusion } from './merkle.ts';
import type { TraceVerifier } from './trace.ts';

const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/**
 * The checks of a trace against the national trust registry: checkpoints by each province's
 * `audit` key, inclusion proofs recomputed from the events as served, receipts by the callee's
 * `gateway` key, and each checkpoint's cosignatures by the witnesses the registry names for that
 * province's log, with their published witness keys. Nothing the provinces say about themselves is taken on trust.
 */
export function registryTraceVerifier(registry: TrustRegistry): TraceVerifier {
  return {
    async checkpoint(province, note) {
      const keys = registry.province(province)?.jwks.keys.filter((k) => k.purpose === 'audit') ?? [];
      if (keys.length === 0) return { ok: false, reason: `the registry lists no audit key for ${province}` };
      let reason = 'no signature by an audit key of the province';
      for (const key of keys) {
        try {
          const cp = verifyCheckpoint(note, key, auditOrigin(province));
          return { ok: true, treeSize: cp.treeSize, root: cp.rootHash };
        } catch (err) {
          reason = err instanceof Error ? err.message : String(err);
        }
      }
      return { ok: false, reason };
    },
    witnesses(province, note) {
      return witnessStatus(note, {
        policy: registry.witnessPolicy(province),
        witnessKeys: (witness) => registry.witnessKeys(witness),
      });
    },
    inclusion(event, proof, head) {
      let leaf: Uint8Array;
      try {
        leaf = eventLeafHash(event);
      } catch {
        return { ok: false, reason: 'the event does not match the audit event contract' };
      }
      if (!equal(leaf, fromB64(proof.leafHash))) {
        return {
          ok: false,
          reason: 'the event as served does not hash to the proven leaf (changed after logging?)',
        };
      }
      const ok = verifyInclusion(proof.index, head.treeSize, leaf, proof.proof.map(fromB64), head.root);
      return ok
        ? { ok: true }
        : {
            ok: false,
            reason: `the inclusion proof for leaf ${proof.index} does not lead to the signed root`,
          };
    },
    consistency(earlier, later, proof) {
      const ok = verifyConsistency(
        earlier.treeSize,
        later.treeSize,
        proof.map(fromB64),
        earlier.root,
        later.root,
      );
      return ok ? { ok: true } : { ok: false, reason: 'the consistency proof does not verify' };
    },
    registry() {
      const { seq, iat } = registry.status();
      const names = Object.fromEntries(registry.provinces().map((p) => [p.id, p.name] as const));
      return { seq, issuedAt: new Date(iat * 1000).toISOString(), names };
    },
    async receipt(jws, expected) {
      try {
        await readReceipt(jws, { ...expected, registry });
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
