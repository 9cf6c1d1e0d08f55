import { createHash, createPublicKey, type KeyObject, randomBytes, verify } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { JwksSchema } from '../../contracts/keys.ts';
import {
  EvidencePageSchema,
  type EvidenceRecord,
  EvidenceRecordSchema,
  WitnessedLogsSchema,
} from '../../contracts/witness.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { auditOrigin, signCheckpoint, verifyCheckpoint } from '../../lib/audit/checkpoint.ts';
import { leafHash, MemoryTree } from '../../lib/audit/merkle.ts';
import { newTraceId } from '../../lib/ids.ts';
import { signRequest } from '../../lib/interop/request-signature.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing, Signer } from '../../lib/signing/signer.ts';
import { formatAddCheckpoint } from '../../lib/witness/add-checkpoint.ts';
import type { TestFederation } from '../support/federation.ts';
import { scanAll } from '../support/scan.ts';
import { expectReceiptTo, forgeJws, requestClaims, requestHeader } from './forge.ts';
import {
  attackFederation,
  bearer,
  expectOnlyRefusal,
  newEvents,
  type ProvinceSnapshot,
  type RawAnswer,
  send,
  snapshot,
} from './harness.ts';

/**
 * The witness (docs/protocol.md §19.2-19.3) over real HTTP and DynamoDB Local, through the
 * signed-call layer: C2SP tlog-witness add-checkpoint from the log's own province and from others,
 * every refusal the spec gives with nothing stored, split views kept as evidence at each witness
 * of the log, and the auditors' routes over it.
 *
 * The federation's registry: 310000, 320000, 330000 each witnessed by the other two of them (340000
 * is not started), 510000 by 310000 and 320000. Its scheduled loops do not run, so nothing but
 * these tests submits checkpoints: the logs witnessed here are trees built in the test and signed
 * with the log province's real audit key, which is all a witness sees of a log.
 */

const SH = '310000';
const JS = '320000';
const ZJ = '330000';
const SC = '510000';
const PATH = '/v1/witness/add-checkpoint';
const TEXT = 'text/plain; charset=utf-8';

/** Each log's one honest history, long enough for every test to extend what was cosigned. */
const HONEST_LEAVES = 512;

describe('the witness under attack', () => {
  let f: TestFederation;
  let stranger: KeyRing;
  const honest = new Map<string, MemoryTree>();

  beforeAll(async () => {
    f = await attackFederation([SH, JS, ZJ, SC], 'wit', { scheduled: false, witnessed: true });
    stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-witness-stranger-')));
    for (const id of [SH, JS, ZJ, SC]) honest.set(id, tree(`${id}-honest`, HONEST_LEAVES));
  });
  afterAll(async () => {
    await f?.stop();
  });

  const p = (id: string): RunningProvince => f.province(id);
  const auditKey = (id: string): Signer => p(id).gateway.keys.audit;
  const auditPublic = (id: string): KeyObject =>
    createPublicKey({ key: p(id).gateway.keys.audit.publicJwk, format: 'jwk' });
  const honestOf = (log: string): MemoryTree => {
    const t = honest.get(log);
    if (!t) throw new Error(`no honest tree of ${log}`);
    return t;
  };

  /** A checkpoint of `t` at `size` signed as `log`'s (its real audit key unless `key`). */
  const note = (log: string, t: MemoryTree, size = t.size, key: Signer = auditKey(log)) =>
    signCheckpoint(key, auditOrigin(log), size, t.root(size));

  /** The add-checkpoint body from `from` to `to` of `t`, with the proof `t` gives. */
  const advanceBody = async (log: string, from: number, to: number, t = honestOf(log)) =>
    formatAddCheckpoint({
      oldSize: from,
      proof: from === 0 || from === to ? [] : t.consistencyProof(from, to),
      checkpoint: await note(log, t, to),
    });

  interface Submitted {
    res: RawAnswer;
    jti: string;
    traceId: string;
  }

  /** A correct signed call of `caller` to `witness`'s add-checkpoint with `body`. */
  async function submit(witness: string, caller: string, body: string): Promise<Submitted> {
    const traceId = newTraceId();
    const { header, jti } = await signRequest(p(caller).gateway.keys.gateway, {
      iss: caller,
      aud: witness,
      method: 'POST',
      pathWithQuery: PATH,
      body,
      traceId,
      now: new Date(),
    });
    const res = await send(p(witness).url, PATH, {
      method: 'POST',
      headers: { 'content-type': TEXT, [SIGNATURE_HEADER]: header },
      body,
    });
    return { res, jti, traceId };
  }

  /** What `witness` last cosigned for `log`, as stored. */
  const stateOf = (witness: string, log: string) => p(witness).gateway.witnessStore.state(auditOrigin(log));

  /**
   * Brings `witness` to at least `min` of `log`'s honest history (one cosignature), and gives the
   * size it holds: every test works from there, whatever ran before it.
   */
  async function cosignedAtLeast(witness: string, log: string, min = 1): Promise<number> {
    const held = (await stateOf(witness, log))?.treeSize ?? 0;
    if (held >= min) return held;
    const { res } = await submit(witness, log, await advanceBody(log, held, min));
    expect(res.status, res.text).toBe(200);
    return min;
  }

  /** Every item of the witness table, for "nothing stored". */
  const witnessItems = async (id: string) =>
    (await scanAll(p(id).storage.doc, p(id).storage.tables.witness))
      .map((i) => JSON.stringify(i, Object.keys(i).sort()))
      .sort();

  interface Before {
    province: ProvinceSnapshot;
    witness: string[];
  }
  const witnessSnapshot = async (id: string): Promise<Before> => ({
    province: await snapshot(p(id)),
    witness: await witnessItems(id),
  });

  /** Nothing stored at the witness but the one refusal's event; the event. */
  async function expectRefusedOnce(id: string, was: Before, options: { nonceRecorded?: boolean } = {}) {
    expect(await witnessItems(id)).toEqual(was.witness);
    const events = await expectOnlyRefusal(p(id), was.province, options);
    expect(events).toHaveLength(1);
    return events[0] as Record<string, unknown> & { details: Record<string, unknown> };
  }

  /** The one evidence record at `witness` whose submitted checkpoint is `submittedNote`. */
  async function evidenceAt(witness: string, submittedNote: string): Promise<EvidenceRecord> {
    const page = EvidencePageSchema.parse(
      (
        await send(p(witness).url, '/v1/witness/evidence?limit=100', {
          headers: bearer(p(witness), 'auditor'),
        })
      ).json,
    );
    const found = page.items.filter((r) => r.submitted.note === submittedNote);
    expect(found, `evidence at ${witness}`).toHaveLength(1);
    return found[0] as EvidenceRecord;
  }

  describe('calls refused as every signed call is', () => {
    const body = async () => advanceBody(SC, 0, 3);

    it('refuses an unsigned call: 401 SIGNATURE_INVALID, no receipt, nothing stored, one event', async () => {
      const was = await witnessSnapshot(SH);

      const res = await send(p(SH).url, PATH, {
        method: 'POST',
        headers: { 'content-type': TEXT },
        body: await body(),
      });

      expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeNull();
      const event = await expectRefusedOnce(SH, was);
      expect(event.details).toMatchObject({ callerVerified: false });
    });

    it('refuses a call signed by a key the registry does not list: 401, no receipt, nothing stored', async () => {
      const text = await body();
      const { header } = await signRequest(stranger.gateway, {
        iss: SC,
        aud: SH,
        method: 'POST',
        pathWithQuery: PATH,
        body: text,
        traceId: newTraceId(),
        now: new Date(),
      });
      const was = await witnessSnapshot(SH);

      const res = await send(p(SH).url, PATH, {
        method: 'POST',
        headers: { 'content-type': TEXT, [SIGNATURE_HEADER]: header },
        body: text,
      });

      expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
      expect(res.receipt).toBeNull();
      const event = await expectRefusedOnce(SH, was);
      expect(event.details).toMatchObject({ callerVerified: false });
      expect(event.peer).toBeUndefined();
    });

    it.each([
      ['a body the signature does not cover', { aud: SH }, true],
      ['another audience (320000, also a witness of 510000)', { aud: JS }, false],
      ['the caller itself as audience', { aud: SC }, false],
    ])(
      'refuses %s: 401 SIGNATURE_INVALID with a receipt to 510000, nothing stored',
      async (_name, claims, swap) => {
        const signedText = await body();
        const sent = swap ? await advanceBody(SC, 0, 4) : signedText;
        const c = requestClaims({ iss: SC, aud: SH, path: PATH, body: signedText, now: new Date() }, claims);
        const signature = await forgeJws(
          p(SC).gateway.keys.gateway,
          requestHeader(p(SC).gateway.keys.gateway.kid),
          c,
        );
        const was = await witnessSnapshot(SH);

        const res = await send(p(SH).url, PATH, {
          method: 'POST',
          headers: { 'content-type': TEXT, [SIGNATURE_HEADER]: signature },
          body: sent,
        });

        expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 'SIGNATURE_INVALID' });
        await expectReceiptTo(res, { callee: SH, caller: SC, jti: c.jti, registry: p(SC).gateway.registry });
        await expectRefusedOnce(SH, was);
      },
    );

    it('refuses the same signed call the second time: 409 REPLAYED in the JSON shape, nothing stored', async () => {
      const held = await cosignedAtLeast(SH, SC);
      const text = await advanceBody(SC, held, held + 1);
      const traceId = newTraceId();
      const { header } = await signRequest(p(SC).gateway.keys.gateway, {
        iss: SC,
        aud: SH,
        method: 'POST',
        pathWithQuery: PATH,
        body: text,
        traceId,
        now: new Date(),
      });
      const once = () =>
        send(p(SH).url, PATH, {
          method: 'POST',
          headers: { 'content-type': TEXT, [SIGNATURE_HEADER]: header },
          body: text,
        });
      expect((await once()).status).toBe(200);
      const was = await witnessSnapshot(SH);

      const again = await once();

      expect({ status: again.status, code: again.code }).toEqual({ status: 409, code: 'REPLAYED' });
      expect(again.headers.get('content-type')).toMatch(/^application\/json/);
      await expectRefusedOnce(SH, was);
      expect((await stateOf(SH, SC))?.treeSize).toBe(held + 1);
    });
  });

  describe('cosigning', () => {
    it("answers 200 with one cosignature/v1 line that verifies with the witness's published key, under the spec's key ID", async () => {
      const held = await cosignedAtLeast(SH, SC);
      const size = held + 5;
      const checkpoint = await note(SC, honestOf(SC), size);
      const body = formatAddCheckpoint({
        oldSize: held,
        proof: honestOf(SC).consistencyProof(held, size),
        checkpoint,
      });
      const was = await witnessSnapshot(SH);
      const from = Math.floor(Date.now() / 1000);

      const { res, jti } = await submit(SH, SC, body);

      const until = Math.floor(Date.now() / 1000);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toBe(TEXT);
      await expectReceiptTo(res, { callee: SH, caller: SC, jti, registry: p(SC).gateway.registry });

      // The line, read by hand: em dash, the witness name, base64 of key ID, timestamp, signature.
      const m = /^\u2014 elg\/310000\/witness ([A-Za-z0-9+/]+={0,2})\n$/.exec(res.text);
      expect(m, res.text).not.toBeNull();
      const bytes = Buffer.from(m?.[1] ?? '', 'base64');
      expect(bytes).toHaveLength(4 + 8 + 64);
      const keyId = bytes.subarray(0, 4);
      const timestamp = Number(bytes.readBigUInt64BE(4));
      const signature = bytes.subarray(12);
      expect(timestamp).toBeGreaterThanOrEqual(from);
      expect(timestamp).toBeLessThanOrEqual(until);

      // The witness key as 310000 publishes it, and the key ID C2SP tlog-cosignature defines.
      const jwks = JwksSchema.parse((await send(p(SH).url, '/.well-known/jwks.json')).json);
      const published = jwks.keys.filter((k) => k.purpose === 'witness');
      expect(published).toHaveLength(1);
      const jwk = published[0] as { kty: string; crv: string; x: string };
      expect({ kty: jwk.kty, crv: jwk.crv }).toEqual({ kty: 'OKP', crv: 'Ed25519' });
      const raw = Buffer.from(jwk.x, 'base64url');
      const specKeyId = createHash('sha256')
        .update(Buffer.concat([Buffer.from('elg/310000/witness', 'utf8'), Buffer.from([0x0a, 0x04]), raw]))
        .digest()
        .subarray(0, 4);
      expect(keyId.toString('hex')).toBe(specKeyId.toString('hex'));

      // cosignature/v1 over exactly these bytes, checked with Ed25519 of node:crypto.
      const text = `elg/510000/audit\n${size}\n${Buffer.from(honestOf(SC).root(size)).toString('base64')}\n`;
      expect(checkpoint.startsWith(`${text}\n`)).toBe(true);
      const message = Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8');
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
      expect(verify(null, message, key, signature)).toBe(true);
      expect(
        verify(null, Buffer.from(`cosignature/v1\ntime ${timestamp + 1}\n${text}`), key, signature),
      ).toBe(false);

      // Stored: the new size and root, the note verbatim; one witness.cosign event.
      const state = await stateOf(SH, SC);
      expect(state).toMatchObject({
        treeSize: size,
        rootHash: Buffer.from(honestOf(SC).root(size)).toString('base64'),
        note: checkpoint,
        caller: SC,
      });
      const events = await newEvents(p(SH), was.province);
      expect(events.map((e) => `${e.action}:${e.outcome}`)).toEqual(['witness.cosign:success']);
      expect(events[0]).toMatchObject({
        peer: SC,
        details: { origin: 'elg/510000/audit', oldSize: held, size, status: 200, callerVerified: true },
      });
    });

    it('cosigns a checkpoint another province forwards, and records that caller', async () => {
      const held = await cosignedAtLeast(ZJ, JS);

      const { res } = await submit(ZJ, SH, await advanceBody(JS, held, held + 2));

      expect(res.status, res.text).toBe(200);
      expect(await stateOf(ZJ, JS)).toMatchObject({ treeSize: held + 2, caller: SH });
    });

    it('cosigns the same checkpoint again at the same size (an empty proof)', async () => {
      const held = await cosignedAtLeast(JS, SH);

      const { res } = await submit(JS, SH, await advanceBody(SH, held, held));

      expect(res.status, res.text).toBe(200);
      expect(res.text).toMatch(/^\u2014 elg\/320000\/witness /);
      expect((await stateOf(JS, SH))?.treeSize).toBe(held);
    });
  });

  describe('refusals of the witness', () => {
    it('answers a stale old size 409 with exactly `<size>\\n` as text/x.tlog.size, covered by the receipt', async () => {
      const held = await cosignedAtLeast(SH, SC, 2);
      const was = await witnessSnapshot(SH);

      const { res, jti } = await submit(SH, SC, await advanceBody(SC, held - 1, held + 3));

      expect(res.status).toBe(409);
      expect(res.text).toBe(`${held}\n`);
      expect(res.headers.get('content-type')).toBe('text/x.tlog.size');
      const receipt = await expectReceiptTo(res, {
        callee: SH,
        caller: SC,
        jti,
        registry: p(SC).gateway.registry,
      });
      expect(receipt.sts).toBe(409);
      const event = await expectRefusedOnce(SH, was, { nonceRecorded: true });
      expect(event).toMatchObject({
        action: 'witness.refuse',
        errorCode: 'WITNESS_SIZE_MISMATCH',
        details: { reason: 'size-mismatch', oldSize: held - 1, size: held + 3 },
      });
    });

    it('tells a client that knows nothing the size it holds when it sends old 0', async () => {
      const held = await cosignedAtLeast(SH, SC);

      const { res } = await submit(SH, JS, await advanceBody(SC, 0, held + 1));

      expect({ status: res.status, text: res.text }).toEqual({ status: 409, text: `${held}\n` });
      expect(res.headers.get('content-type')).toBe('text/x.tlog.size');
    });

    it('answers 404 WITNESS_UNKNOWN_LOG for a log this province does not witness', async () => {
      // 330000 witnesses 310000 and 320000, not 510000; no province witnesses its own log.
      for (const [witness, log] of [
        [ZJ, SC],
        [SH, SH],
      ] as const) {
        const was = await witnessSnapshot(witness);

        const { res } = await submit(witness, log, await advanceBody(log, 0, 2));

        expect({ status: res.status, code: res.code }).toEqual({ status: 404, code: 'WITNESS_UNKNOWN_LOG' });
        expect(res.receipt).toBeTruthy();
        const event = await expectRefusedOnce(witness, was, { nonceRecorded: true });
        expect(event.details).toMatchObject({ reason: 'unknown-log', origin: auditOrigin(log) });
      }
    });

    it.each([
      ['another province’s audit key', () => auditKey(JS)],
      ['the log province’s gateway key', () => p(SC).gateway.keys.gateway],
      ['a key no registry lists', () => stranger.audit],
    ])('answers 403 CHECKPOINT_SIGNATURE_INVALID for a checkpoint signed by %s', async (_name, key) => {
      const held = await cosignedAtLeast(SH, SC);
      const t = honestOf(SC);
      const checkpoint = await signCheckpointAs(key(), auditOrigin(SC), held + 1, t.root(held + 1));
      const was = await witnessSnapshot(SH);

      const { res } = await submit(
        SH,
        SC,
        formatAddCheckpoint({ oldSize: held, proof: t.consistencyProof(held, held + 1), checkpoint }),
      );

      expect({ status: res.status, code: res.code }).toEqual({
        status: 403,
        code: 'CHECKPOINT_SIGNATURE_INVALID',
      });
      const event = await expectRefusedOnce(SH, was, { nonceRecorded: true });
      expect(event.details).toMatchObject({ reason: 'bad-signature' });
    });

    it('answers 400 INVALID_REQUEST for a first checkpoint sent with a proof (none from old size 0), storing nothing', async () => {
      // 310000 is never brought to cosign 320000's log here: only this refused request reaches it.
      expect(await stateOf(SH, JS)).toBeUndefined();
      const checkpoint = await note(JS, honestOf(JS), 4);
      const was = await witnessSnapshot(SH);

      const { res } = await submit(
        SH,
        JS,
        `old 0\n${Buffer.from(randomHash()).toString('base64')}\n\n${checkpoint}`,
      );

      expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      const event = await expectRefusedOnce(SH, was, { nonceRecorded: true });
      expect(event.details).toMatchObject({ reason: 'malformed' });
      expect(await stateOf(SH, JS)).toBeUndefined();
    });

    it('answers 422 CONSISTENCY_PROOF_INVALID for a proof to a larger checkpoint that does not verify', async () => {
      const held = await cosignedAtLeast(JS, SH, 5);
      const t = honestOf(SH);
      const proof = t.consistencyProof(held, held + 6);
      expect(proof.length).toBeGreaterThan(1);
      const cosigned = await stateOf(JS, SH);

      const { res } = await submit(
        JS,
        SH,
        formatAddCheckpoint({
          oldSize: held,
          proof: proof.slice(1),
          checkpoint: await note(SH, t, held + 6),
        }),
      );

      expect({ status: res.status, code: res.code }).toEqual({
        status: 422,
        code: 'CONSISTENCY_PROOF_INVALID',
      });
      expect(await stateOf(JS, SH)).toEqual(cosigned);
    });

    it('answers 422 for a proof at the size cosigned that is not empty, storing nothing', async () => {
      const held = await cosignedAtLeast(SH, ZJ, 3);
      const was = await witnessSnapshot(SH);

      const { res } = await submit(SH, ZJ, await sameSizeWithProof(ZJ, held));

      expect({ status: res.status, code: res.code }).toEqual({
        status: 422,
        code: 'CONSISTENCY_PROOF_INVALID',
      });
      await expectRefusedOnce(SH, was, { nonceRecorded: true });
      expect((await stateOf(SH, ZJ))?.treeSize).toBe(held);
    });

    it('answers 400 INVALID_REQUEST for a body that is not an add-checkpoint request', async () => {
      const was = await witnessSnapshot(SH);

      const { res } = await submit(SH, SC, 'old 01\n\nnot a checkpoint\n');

      expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      const event = await expectRefusedOnce(SH, was, { nonceRecorded: true });
      expect(event.details).toMatchObject({ reason: 'malformed' });
    });
  });

  describe('two requests racing from the same old size', () => {
    it('cosigns exactly one; the other gets 409 with the size that won, never a size going back', async () => {
      for (let round = 0; round < 4; round++) {
        const held = await cosignedAtLeast(ZJ, SH);
        const [a, b] = await Promise.all([
          submit(ZJ, SH, await advanceBody(SH, held, held + 1)),
          submit(ZJ, JS, await advanceBody(SH, held, held + 2)),
        ]);

        const answers = [a.res, b.res];
        const won = answers.filter((r) => r.status === 200);
        const lost = answers.filter((r) => r.status !== 200);
        expect(won, answers.map((r) => `${r.status} ${r.text}`).join(' | ')).toHaveLength(1);
        expect(lost.map((r) => r.status)).toEqual([409]);
        const winnerSize = a.res.status === 200 ? held + 1 : held + 2;
        expect(lost[0]?.text).toBe(`${winnerSize}\n`);
        expect(lost[0]?.headers.get('content-type')).toBe('text/x.tlog.size');
        expect((await stateOf(ZJ, SH))?.treeSize).toBe(winnerSize);
      }
    });
  });

  describe('split views', () => {
    /** Every witness of 510000's log at the same size of its honest history. */
    async function witnessesOfSichuanAt(): Promise<number> {
      const size = Math.max(await cosignedAtLeast(SH, SC, 4), await cosignedAtLeast(JS, SC, 4));
      for (const w of [SH, JS]) await cosignedAtLeast(w, SC, size);
      return size;
    }

    it('refuses a fork at every witness of the log (422) and keeps both signed checkpoints as evidence at each', async () => {
      const size = await witnessesOfSichuanAt();
      // Another history, signed with 510000's real audit key: the same province signed both.
      const fork = tree(`510000-fork-${randomBytes(4).toString('hex')}`, size + 8);
      const forkNote = await note(SC, fork, size + 8);
      const body = formatAddCheckpoint({
        oldSize: size,
        proof: fork.consistencyProof(size, size + 8),
        checkpoint: forkNote,
      });

      for (const witness of [SH, JS]) {
        const cosigned = await stateOf(witness, SC);
        const was = await witnessSnapshot(witness);

        const { res } = await submit(witness, SC, body);

        expect({ status: res.status, code: res.code }).toEqual({
          status: 422,
          code: 'CONSISTENCY_PROOF_INVALID',
        });
        expect(await stateOf(witness, SC)).toEqual(cosigned);
        const events = await newEvents(p(witness), was.province);
        expect(events.map((e) => `${e.action}:${e.outcome}`).sort()).toEqual([
          'witness.evidence:success',
          'witness.refuse:refused',
        ]);
        const record = await evidenceAt(witness, forkNote);
        expect(record).toMatchObject({
          kind: 'fork',
          origin: 'elg/510000/audit',
          logProvince: SC,
          caller: SC,
          cosigned: { treeSize: size, note: cosigned?.note },
          submitted: { treeSize: size + 8, oldSize: size, note: forkNote },
        });
        expect(events.find((e) => e.action === 'witness.refuse')?.details).toMatchObject({
          reason: 'bad-proof',
          evidenceId: record.evidenceId,
        });
        // Both histories verify with the log's published audit key: the province signed both.
        for (const n of [record.cosigned.note, record.submitted.note]) {
          expect(() => verifyCheckpoint(n, auditPublic(SC), 'elg/510000/audit')).not.toThrow();
        }
        const one = await send(p(witness).url, `/v1/witness/evidence/${record.evidenceId}`, {
          headers: bearer(p(witness), 'auditor'),
        });
        expect(one.status).toBe(200);
        expect(EvidenceRecordSchema.parse(one.json)).toEqual(record);
      }
    });

    it('keeps the same split view once however often it comes, and still refuses it', async () => {
      const size = await witnessesOfSichuanAt();
      const fork = tree(`510000-again-${randomBytes(4).toString('hex')}`, size);
      // Signed twice (ECDSA signatures differ): the same two checkpoints all the same.
      const first = await note(SC, fork, size);
      const second = await note(SC, fork, size);
      expect(second).not.toBe(first);

      const one = await submit(SH, SC, formatAddCheckpoint({ oldSize: size, proof: [], checkpoint: first }));
      const was = await witnessSnapshot(SH);
      const two = await submit(SH, JS, formatAddCheckpoint({ oldSize: size, proof: [], checkpoint: second }));

      for (const { res } of [one, two]) {
        expect(res.status).toBe(409);
        expect(res.text).toBe(`${size}\n`);
        expect(res.headers.get('content-type')).toBe('text/x.tlog.size');
      }
      // The second time: only its refusal, no second record.
      const event = await expectRefusedOnce(SH, was, { nonceRecorded: true });
      expect(event).toMatchObject({
        errorCode: 'WITNESS_ROOT_MISMATCH',
        details: { reason: 'root-mismatch' },
      });
      const record = await evidenceAt(SH, first);
      expect(record.kind).toBe('root-mismatch');
      expect(event.details.evidenceId).toBe(record.evidenceId);
    });

    it('refuses a rollback by the log itself and keeps it; a stale checkpoint forwarded by another is no evidence', async () => {
      const size = await witnessesOfSichuanAt();
      const stale = await note(SC, honestOf(SC), size - 2);
      const body = formatAddCheckpoint({ oldSize: size - 2, proof: [], checkpoint: stale });

      const forwarded = await witnessSnapshot(SH);
      const byOther = await submit(SH, ZJ, body);
      expect({ status: byOther.res.status, text: byOther.res.text }).toEqual({
        status: 409,
        text: `${size}\n`,
      });
      expect(await witnessItems(SH)).toEqual(forwarded.witness);

      for (const witness of [SH, JS]) {
        const own = await submit(witness, SC, body);
        expect({ status: own.res.status, text: own.res.text }).toEqual({ status: 409, text: `${size}\n` });
        expect((await stateOf(witness, SC))?.treeSize).toBe(size);
        const record = await evidenceAt(witness, stale);
        expect(record).toMatchObject({ kind: 'rollback', caller: SC, cosigned: { treeSize: size } });
      }

      // Signed by the log, an old size above the checkpoint's: refused 400, the same rollback.
      const above = await submit(SH, SC, `old ${size}\n\n${stale}`);
      expect({ status: above.res.status, code: above.res.code }).toEqual({
        status: 400,
        code: 'INVALID_REQUEST',
      });
      expect((await evidenceAt(SH, stale)).kind).toBe('rollback');
    });
  });

  describe("the auditors' routes", () => {
    /** `n` pieces of evidence at 320000 against 330000's log (each another root at the size cosigned); their notes. */
    async function rootMismatches(n: number): Promise<string[]> {
      const size = await cosignedAtLeast(JS, ZJ, 2);
      const notes: string[] = [];
      for (let i = 0; i < n; i++) {
        const forkNote = await note(ZJ, tree(`330000-page-${randomBytes(4).toString('hex')}`, size), size);
        const { res } = await submit(
          JS,
          ZJ,
          formatAddCheckpoint({ oldSize: size, proof: [], checkpoint: forkNote }),
        );
        expect(res.status).toBe(409);
        notes.push(forkNote);
      }
      return notes;
    }

    it('pages the evidence newest first with its cursor, each record once', async () => {
      const notes = await rootMismatches(3);
      const seen: EvidenceRecord[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const q = cursor === undefined ? '?limit=1' : `?limit=1&cursor=${encodeURIComponent(cursor)}`;
        const res = await send(p(JS).url, `/v1/witness/evidence${q}`, { headers: bearer(p(JS), 'auditor') });
        expect(res.status, res.text).toBe(200);
        const page = EvidencePageSchema.parse(res.json);
        expect(page.items.length).toBeLessThanOrEqual(1);
        seen.push(...page.items);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 1000);

      const ids = seen.map((r) => r.evidenceId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const n of notes) expect(seen.filter((r) => r.submitted.note === n)).toHaveLength(1);
      const keys = seen.map((r) => `${r.receivedAt}#${r.evidenceId}`);
      expect(keys).toEqual([...keys].sort().reverse());
      // The newest three are the ones just kept, newest first.
      expect(seen.slice(0, 3).map((r) => r.submitted.note)).toEqual([...notes].reverse());
    });

    it.each([['limit=0'], ['limit=101'], ['limit=x'], ['cursor=not-a-cursor'], ['other=1']])(
      'refuses the evidence query %s: 400 INVALID_REQUEST',
      async (query) => {
        const res = await send(p(JS).url, `/v1/witness/evidence?${query}`, {
          headers: bearer(p(JS), 'auditor'),
        });
        expect({ status: res.status, code: res.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
      },
    );

    it('answers 404 NOT_FOUND for evidence it does not hold', async () => {
      for (const id of ['0'.repeat(32), 'not-an-id', 'A'.repeat(32)]) {
        const res = await send(p(JS).url, `/v1/witness/evidence/${id}`, {
          headers: bearer(p(JS), 'auditor'),
        });
        expect({ status: res.status, code: res.code }, id).toEqual({ status: 404, code: 'NOT_FOUND' });
      }
    });

    it.each([['operator'], ['platform'], ['issuer'], ['investigator'], ['reviewer'], ['holder']] as const)(
      'refuses the evidence to a %s token: 403 FORBIDDEN, one refused audit.query',
      async (role) => {
        const [kept] = await rootMismatches(1);
        const record = await evidenceAt(JS, kept ?? '');
        for (const path of ['/v1/witness/evidence', `/v1/witness/evidence/${record.evidenceId}`]) {
          const was = await snapshot(p(JS));
          const res = await send(p(JS).url, path, { headers: bearer(p(JS), role) });
          expect({ status: res.status, code: res.code }, path).toEqual({ status: 403, code: 'FORBIDDEN' });
          expect(res.text).not.toContain('elg/330000/audit');
          const events = await expectOnlyRefusal(p(JS), was);
          expect(events.map((e) => e.action)).toEqual(['audit.query']);
        }
      },
    );

    it('refuses every witness route to a call without a token: 401 UNAUTHENTICATED', async () => {
      for (const path of [
        '/v1/witness/evidence',
        `/v1/witness/evidence/${'0'.repeat(32)}`,
        '/v1/witness/logs',
      ]) {
        const res = await send(p(JS).url, path);
        expect({ status: res.status, code: res.code }, path).toEqual({
          status: 401,
          code: 'UNAUTHENTICATED',
        });
      }
    });

    it('lists the logs it witnesses with what it last cosigned, to auditors and operators only', async () => {
      const held = await cosignedAtLeast(SH, SC);
      const was = await snapshot(p(SH));

      for (const role of ['auditor', 'operator'] as const) {
        const res = await send(p(SH).url, '/v1/witness/logs', { headers: bearer(p(SH), role) });
        expect(res.status, res.text).toBe(200);
        const { logs } = WitnessedLogsSchema.parse(res.json);
        expect(logs.map((l) => l.origin)).toEqual([
          'elg/320000/audit',
          'elg/330000/audit',
          'elg/510000/audit',
        ]);
        expect(logs.find((l) => l.logProvince === SC)?.cosigned).toMatchObject({ treeSize: held });
      }
      const events = await newEvents(p(SH), was);
      expect(events.map((e) => `${e.action}:${e.outcome}`)).toEqual([
        'audit.query:success',
        'audit.query:success',
      ]);

      for (const role of ['platform', 'issuer', 'holder'] as const) {
        const res = await send(p(SH).url, '/v1/witness/logs', { headers: bearer(p(SH), role) });
        expect({ status: res.status, code: res.code }, role).toEqual({ status: 403, code: 'FORBIDDEN' });
      }
    });
  });

  /** A body at the size cosigned with one proof line, where the proof must be empty. */
  async function sameSizeWithProof(log: string, size: number): Promise<string> {
    return formatAddCheckpoint({
      oldSize: size,
      proof: [randomHash()],
      checkpoint: await note(log, honestOf(log), size),
    });
  }
});

/** A tree of `n` leaves named by `seed`: two seeds are two histories. */
function tree(seed: string, n: number): MemoryTree {
  return MemoryTree.of(
    Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}/${i}`))),
  );
}

const randomHash = () => new Uint8Array(randomBytes(32));

/** A checkpoint note signed by any P-256 signer, whatever its purpose (signCheckpoint takes only audit keys). */
function signCheckpointAs(signer: Signer, origin: string, size: number, root: Uint8Array): Promise<string> {
  const asAudit: Signer = {
    purpose: 'audit',
    kid: signer.kid,
    publicJwk: signer.publicJwk,
    signDer: (message) => signer.signDer(message),
  };
  return signCheckpoint(asAudit, origin, size, root);
}
