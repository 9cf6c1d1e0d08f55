import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditEventSchema } from '../../../contracts/audit.ts';
import { ConsistencyProofSchema, InclusionProofSchema } from '../../../contracts/audit-api.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { AuditLog, TreeSizeExceededError } from '../../../lib/audit/log.ts';
import { type Hash, verifyConsistency, verifyInclusion } from '../../../lib/audit/merkle.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { LoggedEvents } from '../../../lib/store/logged-events.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';
import { auditItems, issueLicenses } from './log-fixtures.ts';
import { mth, path, proof } from './reference-tree.ts';

const b64 = (h: Hash) => Buffer.from(h).toString('base64');
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** The leaf hashes recomputed here from the stored events, in leaf order: SHA-256(0x00 || JCS). */
async function recomputedLeaves(t: TestGateway): Promise<{ eventId: string; hash: Hash }[]> {
  const events = (await auditItems(t)).filter((e) => typeof e.leafIndex === 'number');
  events.sort((a, b) => Number(a.leafIndex) - Number(b.leafIndex));
  return events.map((item) => {
    const text = canonicalize(AuditEventSchema.parse(item)) ?? '';
    const hash = createHash('sha256').update(Uint8Array.of(0)).update(text, 'utf8').digest();
    return { eventId: String(item.eventId), hash: new Uint8Array(hash) };
  });
}

// Tiles of 2, 4 and 256 hashes: with the small ones 13 events span several tiles and tile levels,
// so proofs take stored and computed levels from several tiles; with the default, one tile.
describe.each([1, 2, 8])('proofs served from the stored log, tiles of height %i', (tileHeight) => {
  let t: TestGateway;
  let log: AuditLog;
  let leaves: { eventId: string; hash: Hash }[];

  beforeAll(async () => {
    t = await testGateway();
    log = new AuditLog(
      new LogStore(t.storage.doc, t.storage.tables.log, { tileHeight }),
      new LoggedEvents(t.storage.doc, t.storage.tables.audit),
    );
    await issueLicenses(t, 13);
    for (const maxBatch of [5, 3, 1, 4]) await integrate(t.gateway, { maxBatch, tileHeight });
    leaves = await recomputedLeaves(t);
  });

  it('signs the root of the events recomputed independently', async () => {
    const head = await log.checkpoint();

    expect(head?.treeSize).toBe(13);
    expect(head?.rootHash).toBe(b64(mth(leaves.map((l) => l.hash))));
    const signed = verifyCheckpoint(head?.note ?? '', t.keys.audit.publicJwk, auditOrigin('310000'));
    expect(b64(signed.rootHash)).toBe(head?.rootHash);
  });

  it('keeps the checkpoint of every batch', async () => {
    const sizes = [5, 8, 9, 13];

    const checkpoints = await Promise.all(sizes.map((s) => log.checkpointAt(s)));

    expect(checkpoints.map((c) => c?.treeSize)).toEqual(sizes);
    expect(checkpoints.map((c) => c?.rootHash)).toEqual(
      sizes.map((s) => b64(mth(leaves.slice(0, s).map((l) => l.hash)))),
    );
    expect(await log.checkpointAt(6)).toBeUndefined();
  });

  it('gives every event the audit path of the literal RFC definition, which verifies', async () => {
    const head = await log.checkpoint();
    const root = fromB64(head?.rootHash ?? '');
    const hashes = leaves.map((l) => l.hash);

    for (const [index, leaf] of leaves.entries()) {
      const got = InclusionProofSchema.parse(await log.inclusionProof(leaf.eventId));
      expect(got).toEqual({
        index,
        treeSize: 13,
        leafHash: b64(leaf.hash),
        proof: path(index, hashes).map(b64),
        checkpoint: head?.note,
        witnessed: false,
      });
      expect(verifyInclusion(index, 13, leaf.hash, got.proof.map(fromB64), root)).toBe(true);
    }
  });

  it('gives every pair of sizes the consistency proof of the literal RFC definition', async () => {
    const hashes = leaves.map((l) => l.hash);

    for (let to = 1; to <= 13; to++) {
      for (let from = 1; from <= to; from++) {
        const got = ConsistencyProofSchema.parse(await log.consistencyProof(from, to));
        expect(got.proof).toEqual(proof(from, hashes.slice(0, to)).map(b64));
        const ok = verifyConsistency(
          from,
          to,
          got.proof.map(fromB64),
          mth(hashes.slice(0, from)),
          mth(hashes.slice(0, to)),
        );
        expect(ok).toBe(true);
      }
    }
  });

  it('attaches the checkpoint of size `to` when one was signed', async () => {
    const toHead = await log.consistencyProof(5, 13);
    const toBatch = await log.consistencyProof(5, 8);
    const between = await log.consistencyProof(5, 7);

    expect(toHead.checkpoint).toBe((await log.checkpoint())?.note);
    expect(toBatch.checkpoint).toBe((await log.checkpointAt(8))?.note);
    expect(between).not.toHaveProperty('checkpoint');
  });

  it('refuses a size beyond the log with TreeSizeExceededError (400 INVALID_REQUEST)', async () => {
    const err = await log.consistencyProof(5, 14).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(TreeSizeExceededError);
    expect(err).toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
      reason: 'TREE_SIZE_EXCEEDED',
      treeSize: 13,
    });
    await expect(log.consistencyProof(6, 5)).rejects.toThrow(RangeError);
  });

  it('has no proof for an event still waiting, nor for an unknown one', async () => {
    const waiting = auditEvent(
      { province: '310000', traceId: 'ab'.repeat(16), action: 'verify', outcome: 'success' },
      t.clock.now(),
    );
    await t.gateway.auditStore.write(waiting);

    expect(await log.inclusionProof(waiting.eventId)).toBeUndefined();
    expect(await log.inclusionProof('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
  });
});

describe('an empty log', () => {
  it('has no checkpoint and no tree to prove anything in', async () => {
    const t = await testGateway();

    expect(await t.gateway.log.checkpoint()).toBeUndefined();
    await expect(t.gateway.log.consistencyProof(1, 1)).rejects.toBeInstanceOf(TreeSizeExceededError);
  });
});
