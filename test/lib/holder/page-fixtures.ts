import type { AuditEvent } from '../../../contracts/audit.ts';
import type { OpenUse, UseProof } from '../../../contracts/holder.ts';
import { auditOrigin, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { eventLeafHash } from '../../../lib/audit/log-leaf.ts';
import { MemoryTree } from '../../../lib/audit/merkle.ts';
import { LocalSigner } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import type { Signer } from '../../../lib/signing/signer.ts';

/**
 * Real logs for the holder page's tests: canonical audit events (lib/audit/events.ts), their RFC
 * 9162 leaves in a MemoryTree, a C2SP checkpoint signed by an audit key, and each event's
 * inclusion proof, in the shape of contracts/holder.ts.
 */

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A fresh audit key (never crypto.generateKeyPair: see lib/signing/public-jwk.ts). */
export function newAuditSigner(): Promise<LocalSigner> {
  return LocalSigner.create(generateP256PrivateKey(), 'audit');
}

let traceCounter = 0;
const traceId = () => (++traceCounter).toString(16).padStart(32, 'a');

export interface UseInput {
  identifier: string;
  time: string;
  /** The verifying province; another than the log's makes it an `interop.verify` event. */
  by?: string;
  platform?: string;
  matterCode?: string;
  useCause?: string;
  dataLevel?: number;
  outcome?: 'success' | 'refused' | 'error';
  sealUntil?: string;
}

/** The audit event a use of a license writes at its issuing province (`verify` or `interop.verify`). */
export function useEvent(province: string, use: UseInput): AuditEvent {
  const inbound = use.by !== undefined && use.by !== province;
  return auditEvent(
    {
      province,
      traceId: traceId(),
      action: inbound ? 'interop.verify' : 'verify',
      outcome: use.outcome ?? 'success',
      method: 'POST',
      path: inbound ? '/v1/interop/verify' : '/v1/verify',
      identifier: use.identifier,
      holderHash: '_dx48V2M_pqmZpgO388oTryoTopCDAxhpzOKalHtAdY',
      ...(inbound ? { peer: use.by } : {}),
      details: {
        matterCode: use.matterCode ?? `${province}-JS-0012`,
        useCause: use.useCause ?? '办理建筑施工特种作业人员从业登记',
        ...(inbound
          ? {
              requester: use.platform ?? '浙江省政务服务平台',
              direction: 'inbound',
              dataLevel: use.dataLevel ?? 2,
            }
          : { platform: use.platform ?? '上海市一网通办' }),
        ...(use.sealUntil ? { sealUntil: use.sealUntil, sealBasis: '依法调查' } : {}),
      },
    },
    new Date(use.time),
  );
}

/** Other events of the log (issues), so uses sit at various leaves of a tree of odd size. */
export function issueEvent(province: string, identifier: string, time: string): AuditEvent {
  return auditEvent(
    {
      province,
      traceId: traceId(),
      action: 'license.issue',
      outcome: 'success',
      method: 'POST',
      path: '/v1/licenses',
      identifier,
      details: { version: '001' },
    },
    new Date(time),
  );
}

export interface Log {
  province: string;
  events: AuditEvent[];
  tree: MemoryTree;
  /** The checkpoint of the whole tree, signed by the log's audit key. */
  checkpoint: string;
  /** An event's inclusion proof against that checkpoint (or the `checkpoint` given). */
  proofOf(eventId: string, checkpoint?: string): UseProof;
}

/** The events in a tree, in order, and its checkpoint signed by `signer`. */
export async function logOf(province: string, events: AuditEvent[], signer: Signer): Promise<Log> {
  const tree = MemoryTree.of(events.map((e) => eventLeafHash(e)));
  const checkpoint = await signCheckpoint(signer, auditOrigin(province), tree.size, tree.root());
  const proofOf = (eventId: string, note = checkpoint): UseProof => {
    const index = events.findIndex((e) => e.eventId === eventId);
    if (index < 0) throw new Error(`event ${eventId} is not in the log`);
    return {
      index,
      treeSize: tree.size,
      leafHash: b64(tree.node({ level: 0, index }) ?? new Uint8Array()),
      proof: tree.inclusionProof(index).map(b64),
      checkpoint: note,
    };
  };
  return { province, events, tree, checkpoint, proofOf };
}

/** A checkpoint of the same tree signed by another key, under the same origin. */
export function checkpointSignedBy(log: Log, signer: Signer): Promise<string> {
  return signCheckpoint(signer, auditOrigin(log.province), log.tree.size, log.tree.root());
}

/** The use a holder sees of an event (as lib/holder/service.ts makes it), with the proof given or pending. */
export function openUseOf(province: string, e: AuditEvent, proof: UseProof | undefined): OpenUse {
  const d = e.details;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const where = e.action === 'interop.verify' ? (e.peer ?? province) : province;
  return {
    time: e.time,
    province: where,
    platform: text(d.requester) || text(d.platform),
    matterCode: text(d.matterCode),
    useCause: text(d.useCause),
    ...(typeof d.dataLevel === 'number' ? { dataLevel: d.dataLevel } : {}),
    outcome: e.outcome,
    identifier: e.identifier ?? '',
    eventId: e.eventId,
    ...(proof ? { proof } : { pending: true as const }),
  };
}

/** One proof hash changed (a bit flipped in sibling `which`). */
export function alteredProof(proof: UseProof, which = 0): UseProof {
  const hashes = [...proof.proof];
  const bytes = Buffer.from(hashes[which] ?? '', 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  hashes[which] = bytes.toString('base64');
  return { ...proof, proof: hashes };
}
