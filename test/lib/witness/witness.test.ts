import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { witnessName } from '../../../contracts/registry.ts';
import type { EvidenceRecord } from '../../../contracts/witness.ts';
import type { CosignedState, Page, WitnessRepository } from '../../../functions/witness/ports.ts';
import { auditOrigin, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { leafHash, MemoryTree } from '../../../lib/audit/merkle.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { WitnessConflictError } from '../../../lib/errors.ts';
import { LocalSigner } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import { formatAddCheckpoint } from '../../../lib/witness/add-checkpoint.ts';
import { cosign, verifyCosignature } from '../../../lib/witness/cosignature.ts';
import { Witness, type WitnessOutcome } from '../../../lib/witness/witness.ts';

/**
 * The witness's checks (docs/protocol.md §19.2) in the spec's order, over a store in memory: each
 * refusal's status and code, nothing stored on a refusal but evidence, the compare-and-set, and
 * split-view evidence (§19.3) for a fork, a root mismatch and a rollback, each kept once.
 */

const SELF = '320000';
const LOG = '310000';
const OTHER = '330000';
const ORIGIN = auditOrigin(LOG);
const clock = fixedClock('2026-06-01T08:00:00Z');
const NOW_SECONDS = Math.floor(clock.now().getTime() / 1000);

const auditKey = await LocalSigner.create(generateP256PrivateKey(), 'audit');
const strangerKey = await LocalSigner.create(generateP256PrivateKey(), 'audit');
const witnessKey = generateKeyPairSync('ed25519');
const auditPublic = createPublicKey({ key: auditKey.publicJwk, format: 'jwk' });

/** A store in memory with DynamoDB's conditional semantics; `beforeCas` runs just before a CAS. */
class MemoryWitnessStore implements WitnessRepository {
  logs = new Map<string, CosignedState>();
  evidenceById = new Map<string, EvidenceRecord>();
  events: AuditEvent[] = [];
  beforeCas: (() => Promise<void>) | undefined;

  async state(origin: string) {
    const s = this.logs.get(origin);
    return s ? { ...s } : undefined;
  }
  async compareAndSet(next: CosignedState, expected: { treeSize: number; rootHash: string } | undefined) {
    const step = this.beforeCas;
    this.beforeCas = undefined;
    await step?.();
    const now = this.logs.get(next.origin);
    const holds = expected
      ? now?.treeSize === expected.treeSize && now.rootHash === expected.rootHash
      : now === undefined;
    if (!holds) return 'conflict' as const;
    this.logs.set(next.origin, { ...next });
    return 'stored' as const;
  }
  async keepEvidence(record: EvidenceRecord, audit: AuditEvent) {
    if (this.evidenceById.has(record.evidenceId)) return 'known' as const;
    this.evidenceById.set(record.evidenceId, record);
    this.events.push(audit);
    return 'kept' as const;
  }
  async evidence(id: string) {
    return this.evidenceById.get(id);
  }
  async evidenceList(): Promise<Page<EvidenceRecord>> {
    return { items: [...this.evidenceById.values()] };
  }
}

let store: MemoryWitnessStore;
let witness: Witness;
let evidenceSeen: EvidenceRecord[];
let policy: Record<string, { witnesses: string[]; quorum: number }>;

beforeEach(() => {
  store = new MemoryWitnessStore();
  evidenceSeen = [];
  policy = { [LOG]: { witnesses: [SELF, OTHER], quorum: 1 }, [OTHER]: { witnesses: [LOG], quorum: 1 } };
  witness = new Witness({
    province: SELF,
    registry: {
      witnessPolicy: (p) => policy[p],
      auditKeys: (p): KeyObject[] => (p === LOG ? [auditPublic] : []),
    },
    store,
    cosign: async (note, ts) => cosign(note, witnessName(SELF), witnessKey.privateKey, ts),
    clock,
    onEvidence: (r) => evidenceSeen.push(r),
  });
});

/** A tree of `n` leaves named by `seed`: two seeds give two different histories. */
function tree(n: number, seed = 'a'): MemoryTree {
  return MemoryTree.of(
    Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}${i}`))),
  );
}

async function note(t: MemoryTree, size = t.size, key = auditKey, origin = ORIGIN): Promise<string> {
  return signCheckpoint(key, origin, size, t.root(size));
}

function call(body: string, caller = LOG) {
  return witness.addCheckpoint({
    body,
    caller,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    method: 'POST',
    path: '/v1/witness/add-checkpoint',
  });
}

/** Cosigns `size` of `t` from what is stored, as a log would. */
async function advance(t: MemoryTree, from: number, to: number, caller = LOG): Promise<WitnessOutcome> {
  const checkpoint = await note(t, to);
  return call(
    formatAddCheckpoint({ oldSize: from, proof: from === 0 ? [] : t.consistencyProof(from, to), checkpoint }),
    caller,
  );
}

function refusal(o: WitnessOutcome) {
  if (o.ok) throw new Error('cosigned, expected a refusal');
  return { status: o.error.status, code: o.error.code, reason: o.reason };
}

describe('add-checkpoint checks (C2SP tlog-witness)', () => {
  it('cosigns a first checkpoint from old size 0 and stores it: the line verifies with the witness key', async () => {
    const t = tree(5);
    const checkpoint = await note(t);
    const o = await call(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint }));
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    expect(o.line).toMatch(/^\u2014 elg\/320000\/witness [A-Za-z0-9+/]{102}==\n$/);
    const cs = verifyCosignature(checkpoint, o.line, witnessName(SELF), witnessKey.publicKey);
    expect(cs.timestamp).toBe(NOW_SECONDS);
    expect(store.logs.get(ORIGIN)).toMatchObject({ treeSize: 5, note: checkpoint, caller: LOG });
  });

  it('cosigns an extension with a valid consistency proof, and the same checkpoint again', async () => {
    const t = tree(12);
    expect((await advance(t, 0, 5)).ok).toBe(true);
    expect((await advance(t, 5, 12, OTHER)).ok).toBe(true);
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(12);
    expect(store.logs.get(ORIGIN)?.caller).toBe(OTHER);
    expect((await advance(t, 12, 12)).ok).toBe(true);
  });

  it('refuses a malformed body 400 INVALID_REQUEST (malformed), nothing stored', async () => {
    for (const body of ['', 'old 01\n\nx', 'old 0\n\nnot a checkpoint\n', `old 0\n${await note(tree(1))}`]) {
      expect(refusal(await call(body))).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
        reason: 'malformed',
      });
    }
    expect(store.logs.size).toBe(0);
  });

  it("answers the spec's example request 404: example.com/behind-the-sofa is no log witnessed here", async () => {
    const body =
      'old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n' +
      '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n' +
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
      '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
      '\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n';
    expect(refusal(await call(body))).toEqual({
      status: 404,
      code: 'WITNESS_UNKNOWN_LOG',
      reason: 'unknown-log',
    });
  });

  it('refuses 404 a log whose policy does not name this province, its own log, and an unlisted one', async () => {
    const t = tree(3);
    for (const origin of [
      auditOrigin(OTHER),
      auditOrigin(SELF),
      auditOrigin('650000'),
      'elg/310000/audit2',
    ]) {
      const body = formatAddCheckpoint({
        oldSize: 0,
        proof: [],
        checkpoint: await note(t, 3, auditKey, origin),
      });
      expect(refusal(await call(body))).toEqual({
        status: 404,
        code: 'WITNESS_UNKNOWN_LOG',
        reason: 'unknown-log',
      });
    }
    expect(store.logs.size).toBe(0);
  });

  it('refuses 403 a checkpoint no published audit key of the log signed', async () => {
    const body = formatAddCheckpoint({
      oldSize: 0,
      proof: [],
      checkpoint: await note(tree(3), 3, strangerKey),
    });
    expect(refusal(await call(body))).toEqual({
      status: 403,
      code: 'CHECKPOINT_SIGNATURE_INVALID',
      reason: 'bad-signature',
    });
    expect(store.logs.size).toBe(0);
  });

  it('refuses 400 an old size above the checkpoint size (after its signature verified)', async () => {
    const body = `old 9\n${'A'.repeat(43)}=\n\n${await note(tree(3))}`;
    expect(refusal(await call(body))).toEqual({ status: 400, code: 'INVALID_REQUEST', reason: 'malformed' });
    expect(store.logs.size).toBe(0);
  });

  it('refuses 409 an old size other than the size last cosigned, with that size (0 if never)', async () => {
    const t = tree(9);
    const o = await advance(t, 4, 9);
    expect(refusal(o)).toEqual({ status: 409, code: 'WITNESS_SIZE_MISMATCH', reason: 'size-mismatch' });
    expect(!o.ok && o.error instanceof WitnessConflictError && o.error.cosignedSize).toBe(0);
    expect((await advance(t, 0, 6)).ok).toBe(true);
    const again = await advance(t, 4, 9);
    expect(!again.ok && again.error instanceof WitnessConflictError && again.error.cosignedSize).toBe(6);
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(6);
  });

  it('refuses 422 a consistency proof that does not verify, and a proof at the same size', async () => {
    const t = tree(9);
    await advance(t, 0, 4);
    const sameSize = formatAddCheckpoint({
      oldSize: 4,
      proof: t.consistencyProof(2, 4),
      checkpoint: await note(t, 4),
    });
    expect(refusal(await call(sameSize))).toEqual({
      status: 422,
      code: 'CONSISTENCY_PROOF_INVALID',
      reason: 'bad-proof',
    });
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(4);
  });
});

describe('the compare-and-set', () => {
  it('two requests racing from the same old size: exactly one wins, the other gets 409 with its size', async () => {
    const t = tree(20);
    await advance(t, 0, 5);
    // Request A reads the state, then B runs whole before A's conditional write.
    let b: WitnessOutcome | undefined;
    store.beforeCas = async () => {
      b = await advance(t, 5, 20);
    };
    const a = await advance(t, 5, 12);
    expect(b?.ok).toBe(true);
    expect(refusal(a)).toEqual({ status: 409, code: 'WITNESS_SIZE_MISMATCH', reason: 'size-mismatch' });
    expect(!a.ok && a.error instanceof WitnessConflictError && a.error.cosignedSize).toBe(20);
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(20);
  });

  it('two first checkpoints racing: one is stored, the other learns its size', async () => {
    const t = tree(8);
    let b: WitnessOutcome | undefined;
    store.beforeCas = async () => {
      b = await advance(t, 0, 8);
    };
    const a = await advance(t, 0, 3);
    expect(b?.ok).toBe(true);
    expect(!a.ok && a.error instanceof WitnessConflictError && a.error.cosignedSize).toBe(8);
  });
});

describe('split-view evidence', () => {
  it('a fork: a different tree re-signed with the log key is refused 422 and kept once, both notes verbatim', async () => {
    const honest = tree(10);
    const forked = tree(16, 'b');
    await advance(honest, 0, 10);
    const cosignedNote = store.logs.get(ORIGIN)?.note;
    // The forked log sends a proof from 10 in its own tree: it cannot link to the cosigned root.
    const forkedNote = await note(forked, 16);
    const body = formatAddCheckpoint({
      oldSize: 10,
      proof: forked.consistencyProof(10, 16),
      checkpoint: forkedNote,
    });
    const first = await call(body);
    expect(refusal(first)).toEqual({ status: 422, code: 'CONSISTENCY_PROOF_INVALID', reason: 'bad-proof' });
    const second = await call(body, OTHER);
    expect(refusal(second).status).toBe(422);
    // Signed again (ECDSA signatures differ each time): the same two checkpoints, the same evidence.
    const resigned = formatAddCheckpoint({
      oldSize: 10,
      proof: forked.consistencyProof(10, 16),
      checkpoint: await note(forked, 16),
    });
    expect(refusal(await call(resigned)).status).toBe(422);
    expect(store.evidenceById.size).toBe(1);
    expect(evidenceSeen).toHaveLength(1);
    const [record] = [...store.evidenceById.values()];
    expect(record).toMatchObject({
      kind: 'fork',
      origin: ORIGIN,
      logProvince: LOG,
      caller: LOG,
      cosigned: { treeSize: 10, note: cosignedNote },
      submitted: { treeSize: 16, oldSize: 10, note: forkedNote },
    });
    expect(record?.submitted.proof).toEqual(
      forked.consistencyProof(10, 16).map((h) => Buffer.from(h).toString('base64')),
    );
    expect(!first.ok && first.evidenceId).toBe(record?.evidenceId);
    expect(store.events.map((e) => [e.action, e.details.evidenceId])).toEqual([
      ['witness.evidence', record?.evidenceId],
    ]);
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(10);
  });

  it('a failing proof forwarded by another province is refused 422 and kept as no evidence: only the log speaks for its proofs', async () => {
    const honest = tree(16);
    await advance(honest, 0, 10);
    // A genuine checkpoint of the log, paired by a third province with a proof of another tree.
    const garbage = formatAddCheckpoint({
      oldSize: 10,
      proof: tree(16, 'b').consistencyProof(10, 16),
      checkpoint: await note(honest, 16),
    });

    const forwarded = await call(garbage, OTHER);

    expect(refusal(forwarded)).toEqual({
      status: 422,
      code: 'CONSISTENCY_PROOF_INVALID',
      reason: 'bad-proof',
    });
    expect(!forwarded.ok && forwarded.evidenceId).toBeFalsy();
    expect(store.evidenceById.size).toBe(0);
    expect(evidenceSeen).toHaveLength(0);
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(10);
  });

  it('the same size with another root: 409 and evidence, whoever forwards it, whatever the old size', async () => {
    await advance(tree(7), 0, 7);
    const other = await note(tree(7, 'b'));
    const o = await call(formatAddCheckpoint({ oldSize: 7, proof: [], checkpoint: other }), OTHER);
    expect(refusal(o)).toEqual({ status: 409, code: 'WITNESS_ROOT_MISMATCH', reason: 'root-mismatch' });
    expect(!o.ok && o.error instanceof WitnessConflictError && o.error.cosignedSize).toBe(7);
    const stale = await call(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: other }));
    expect(refusal(stale).code).toBe('WITNESS_SIZE_MISMATCH');
    expect([...store.evidenceById.values()].map((r) => [r.kind, r.caller])).toEqual([
      ['root-mismatch', OTHER],
    ]);
  });

  it("a rollback: the log's own province offers a checkpoint below the one cosigned", async () => {
    const t = tree(10);
    await advance(t, 0, 10);
    const smaller = await note(t, 6);
    // Old size 10 and a checkpoint of 6: 400, and kept as evidence.
    const o = await call(`old 10\n\n${smaller}`);
    expect(refusal(o)).toEqual({ status: 400, code: 'INVALID_REQUEST', reason: 'malformed' });
    // Its own old size 6: 409 with 10; the same pair, kept once.
    const p = await call(formatAddCheckpoint({ oldSize: 6, proof: [], checkpoint: smaller }));
    expect(refusal(p).status).toBe(409);
    expect([...store.evidenceById.values()].map((r) => r.kind)).toEqual(['rollback']);
    expect(store.logs.get(ORIGIN)?.treeSize).toBe(10);
  });

  it('a stale checkpoint forwarded by a third province is no evidence', async () => {
    const t = tree(10);
    await advance(t, 0, 10);
    const o = await call(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: await note(t, 6) }), OTHER);
    expect(refusal(o).status).toBe(409);
    expect(store.evidenceById.size).toBe(0);
  });
});
