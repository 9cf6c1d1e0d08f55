import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as ex from '../../../contracts/examples.ts';
import { HolderUsesPageSchema, type UseProof } from '../../../contracts/holder.ts';
import type { EcPublicJwk } from '../../../contracts/keys.ts';
import {
  auditOrigin,
  checkpointText,
  keyIdOf as libKeyIdOf,
  signCheckpoint,
} from '../../../lib/audit/checkpoint.ts';
import { leafHash, verifyInclusion as libVerifyInclusion, MemoryTree } from '../../../lib/audit/merkle.ts';
import {
  derSignatureToRaw,
  fromBase64,
  keyIdOf,
  parseCheckpoint,
  verifyCheckpoint,
  verifyInclusion,
  verifyUseProof,
} from '../../../lib/holder/page/verify.js';
import { derToJose } from '../../../lib/signing/der.ts';
import type { LocalSigner } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import {
  alteredProof,
  checkpointSignedBy,
  issueEvent,
  type Log,
  logOf,
  newAuditSigner,
  openUseOf,
  useEvent,
} from './page-fixtures.ts';

/*
 * lib/holder/page/verify.js is the holder page's own check of a use's proof, run in the browser
 * with WebCrypto. Here the very same file runs in Node (globalThis.crypto.subtle) against the
 * project's RFC 9162 vectors, its own trees and checkpoints, and the documented examples.
 */

const hex = z.string().regex(/^([0-9a-f]{2})*$/);
const vectors = z
  .object({
    leaves: z.array(hex),
    roots: z.array(z.object({ treeSize: z.number(), root: hex })),
    inclusion: z.array(
      z.object({ leafIndex: z.number(), treeSize: z.number(), leafHash: hex, proof: z.array(hex) }),
    ),
  })
  .parse(JSON.parse(readFileSync(new URL('../../vectors/merkle.json', import.meta.url), 'utf8')));

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const flipBit = (h: Uint8Array, bit: number) => {
  const copy = Uint8Array.from(h);
  copy[(bit >> 3) % copy.length] = (copy[(bit >> 3) % copy.length] ?? 0) ^ (1 << (bit & 7));
  return copy;
};

describe('verify.js: RFC 9162 inclusion proofs', () => {
  const rootOf = (size: number) => fromHex(vectors.roots.find((r) => r.treeSize === size)?.root ?? '');

  it('runs on WebCrypto, as in the browser', () => {
    expect(globalThis.crypto?.subtle).toBeDefined();
  });

  it.each(vectors.inclusion)(
    'accepts the vector proof of leaf $leafIndex in the tree of $treeSize, and no altered one',
    async ({ leafIndex, treeSize, leafHash: leaf, proof }) => {
      const root = rootOf(treeSize);
      const path = proof.map(fromHex);
      expect(await verifyInclusion(leafIndex, treeSize, fromHex(leaf), path, root)).toBe(true);

      expect(await verifyInclusion(leafIndex, treeSize, flipBit(fromHex(leaf), 5), path, root)).toBe(false);
      expect(await verifyInclusion(leafIndex, treeSize, fromHex(leaf), path, flipBit(root, 200))).toBe(false);
      for (let i = 0; i < path.length; i++) {
        const changed = path.map((h, j) => (j === i ? flipBit(h, 17) : h));
        expect(await verifyInclusion(leafIndex, treeSize, fromHex(leaf), changed, root), `sibling ${i}`).toBe(
          false,
        );
      }
      expect(await verifyInclusion(leafIndex, treeSize, fromHex(leaf), [...path, root], root)).toBe(false);
      if (path.length > 0) {
        expect(await verifyInclusion(leafIndex, treeSize, fromHex(leaf), path.slice(0, -1), root)).toBe(
          false,
        );
        expect(await verifyInclusion(leafIndex ^ 1, treeSize, fromHex(leaf), path, root)).toBe(false);
      }
      expect(await verifyInclusion(treeSize, treeSize, fromHex(leaf), path, root)).toBe(false);
      expect(await verifyInclusion(leafIndex, treeSize + 1, fromHex(leaf), path, root)).toBe(
        libVerifyInclusion(leafIndex, treeSize + 1, fromHex(leaf), path, root),
      );
    },
  );

  it('agrees with lib/audit/merkle.ts on random trees, for true and for mismatched proofs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 70 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (data, a, b, c) => {
          const tree = MemoryTree.of(data.map((d) => leafHash(d)));
          const size = 1 + (a % tree.size);
          const index = b % size;
          const leaf = tree.node({ level: 0, index }) ?? new Uint8Array();
          const proof = tree.inclusionProof(index, size);
          const root = tree.root(size);
          expect(await verifyInclusion(index, size, leaf, proof, root)).toBe(true);
          // Another index or size with this proof: exactly what the reference says.
          const otherIndex = c % size;
          const otherSize = 1 + (c % tree.size);
          for (const [i, n, r] of [
            [otherIndex, size, root],
            [index, otherSize, tree.root(otherSize)],
          ] as const) {
            expect(await verifyInclusion(i, n, leaf, proof, r)).toBe(
              libVerifyInclusion(i, n, leaf, proof, r),
            );
          }
          if (proof.length > 0) {
            const changed = proof.map((h, j) => (j === c % proof.length ? flipBit(h, c) : h));
            expect(await verifyInclusion(index, size, leaf, changed, root)).toBe(false);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses what is not a proof: bad counts, short hashes, no array', async () => {
    const leaf = new Uint8Array(32);
    expect(await verifyInclusion(-1, 4, leaf, [], leaf)).toBe(false);
    expect(await verifyInclusion(0, 0, leaf, [], leaf)).toBe(false);
    expect(await verifyInclusion(0.5, 4, leaf, [], leaf)).toBe(false);
    expect(await verifyInclusion(0, 1, leaf, [], leaf)).toBe(true);
    expect(await verifyInclusion(0, 1, new Uint8Array(31), [], new Uint8Array(31))).toBe(false);
    expect(await verifyInclusion(0, 2, leaf, [new Uint8Array(33)], leaf)).toBe(false);
    expect(await verifyInclusion(0, 2, leaf, 'x' as unknown as Uint8Array[], leaf)).toBe(false);
  });
});

describe('verify.js: checkpoints (C2SP signed notes)', () => {
  let signer: LocalSigner;
  let other: LocalSigner;
  const origin = auditOrigin('310000');
  const root = leafHash(new TextEncoder().encode('root'));

  beforeAll(async () => {
    signer = await newAuditSigner();
    other = await newAuditSigner();
  });

  it('computes the key ID of lib/audit/checkpoint.ts from the JWK through WebCrypto SPKI', async () => {
    for (const s of [signer, other, await newAuditSigner()]) {
      expect(b64(await keyIdOf(s.publicJwk))).toBe(b64(libKeyIdOf(s.publicJwk)));
    }
    // The documented example: the audit key of the JWKS is the key of the checkpoint's signature line.
    const auditKey = ex.JWKS.keys.find((k): k is EcPublicJwk => k.purpose === 'audit');
    const line = ex.CHECKPOINT.split('\n').at(-2) ?? '';
    const field = fromBase64(line.split(' ')[2]) ?? new Uint8Array();
    expect(b64(await keyIdOf(auditKey ?? signer.publicJwk))).toBe(b64(field.subarray(0, 4)));
  });

  it('accepts a checkpoint the gateway signed, with its size and root', async () => {
    const note = await signCheckpoint(signer, origin, 1234, root);
    const result = await verifyCheckpoint(note, signer.publicJwk, origin);
    expect(result).toMatchObject({ ok: true, checkpoint: { origin, treeSize: 1234 } });
    if (!result.ok) throw new Error(result.message);
    expect(b64(result.checkpoint.rootHash)).toBe(b64(root));
    expect(result.checkpoint.text).toBe(checkpointText(origin, 1234, root));
  });

  it('accepts every length of DER signature: short integers padded, 33-byte integers stripped', async () => {
    // Sign checkpoints of growing sizes until both a short (≤ 31-byte) and a 33-byte integer appear.
    let short = 0;
    let long = 0;
    for (let size = 1; size < 5000 && (short < 2 || long < 2); size++) {
      const note = await signCheckpoint(signer, origin, size, root);
      const der = fromBase64(note.split('\n').at(-2)?.split(' ')[2])?.subarray(4) ?? new Uint8Array();
      const lengths = [der[3] ?? 0, der[5 + (der[3] ?? 0)] ?? 0];
      const isShort = lengths.some((n) => n < 32);
      const isLong = lengths.some((n) => n === 33);
      if (isShort) short++;
      if (isLong) long++;
      if (!isShort && !isLong) continue;
      expect(b64(derSignatureToRaw(der) ?? new Uint8Array())).toBe(b64(derToJose(der)));
      expect(await verifyCheckpoint(note, signer.publicJwk, origin), `size ${size}`).toMatchObject({
        ok: true,
      });
    }
    expect(short).toBeGreaterThanOrEqual(2);
    expect(long).toBeGreaterThanOrEqual(2);
  });

  it('converts DER as lib/signing/der.ts does, and refuses every non-canonical encoding', () => {
    const key = generateP256PrivateKey();
    for (let i = 0; i < 300; i++) {
      const der = new Uint8Array(sign('sha256', Buffer.from(`m${i}`), { key, dsaEncoding: 'der' }));
      expect(b64(derSignatureToRaw(der) ?? new Uint8Array())).toBe(b64(derToJose(der)));
    }
    const r = [0x02, 0x01, 0x05];
    const bad = [
      [0x30, 0x06, ...r, 0x02, 0x02, 0x00, 0x05], // superfluous leading zero
      [0x30, 0x06, ...r, 0x02, 0x01, 0x85], // negative
      [0x30, 0x81, 0x06, ...r, ...r], // long length form
      [0x30, 0x07, ...r, ...r, 0x00], // a byte after s
      [0x30, 0x06, ...r, 0x03, 0x01, 0x05], // not an INTEGER
      [0x31, 0x06, ...r, ...r], // not a SEQUENCE
      [0x30, 0x05, ...r, ...r], // length does not match
      [0x30, 0x25, ...r, 0x02, 0x21, 0x01, ...new Array(32).fill(0x80)], // 33 bytes without a pad
      [0x30, 0x26, ...r, 0x02, 0x22, 0x00, 0x00, ...new Array(32).fill(0x80)], // 34 bytes
    ].map((a) => Uint8Array.from(a));
    for (const der of bad) {
      expect(derSignatureToRaw(der), Buffer.from(der).toString('hex')).toBeUndefined();
      expect(() => derToJose(der), Buffer.from(der).toString('hex')).toThrow();
    }
    // A zero scalar is no signature (lib/signing/der.ts leaves that to the verification).
    expect(derSignatureToRaw(Uint8Array.from([0x30, 0x06, ...r, 0x02, 0x01, 0x00]))).toBeUndefined();
    // The shortest canonical form pads each scalar to 32 bytes.
    const raw = derSignatureToRaw(Uint8Array.from([0x30, 0x06, ...r, 0x02, 0x01, 0x07]));
    expect(raw?.length).toBe(64);
    expect([raw?.[31], raw?.[63], raw?.slice(0, 31).every((b) => b === 0)]).toEqual([5, 7, true]);
  });

  it('refuses a checkpoint of another log, of another key, with a changed text or a forged signature', async () => {
    const note = await signCheckpoint(signer, origin, 10, root);
    const code = async (n: string, key = signer.publicJwk, o = origin) => {
      const result = await verifyCheckpoint(n, key, o);
      return result.ok ? 'ok' : result.code;
    };
    expect(await code(note, signer.publicJwk, auditOrigin('330000'))).toBe('CHECKPOINT_ORIGIN_MISMATCH');
    expect(await code(note, other.publicJwk)).toBe('CHECKPOINT_UNSIGNED');
    expect(await code(await signCheckpoint(other, origin, 10, root))).toBe('CHECKPOINT_UNSIGNED');
    expect(await code(note.replace('\n10\n', '\n11\n'))).toBe('CHECKPOINT_SIGNATURE_INVALID');
    expect(await code(note.replace(b64(root), b64(flipBit(root, 3))))).toBe('CHECKPOINT_SIGNATURE_INVALID');
    // Another key's signature under this key's ID.
    const otherNote = await signCheckpoint(other, origin, 10, root);
    const forged = `${note.split('\n— ')[0]}\n— ${origin} ${b64(
      Buffer.concat([
        libKeyIdOf(signer.publicJwk),
        fromBase64(otherNote.split(' ').at(-1)?.trim())?.subarray(4) ?? new Uint8Array(),
      ]),
    )}\n`;
    expect(await code(forged)).toBe('CHECKPOINT_SIGNATURE_INVALID');
    // A gateway key, however valid, does not sign checkpoints.
    expect(await code(note, { ...signer.publicJwk, purpose: 'gateway' })).toBe('CHECKPOINT_KEY_PURPOSE');
    expect(await code(note, { ...signer.publicJwk, x: signer.publicJwk.y })).toMatch(
      /^(AUDIT_KEY_INVALID|CHECKPOINT_UNSIGNED)$/,
    );
  });

  it("ignores other signers' lines and extension lines, as a C2SP verifier does", async () => {
    const note = await signCheckpoint(signer, origin, 10, root);
    const [text, ours] = note.split('\n\n') as [string, string];
    const witness = (await signCheckpoint(other, origin, 10, root)).split('\n\n')[1] ?? '';
    const cosigned = `${text}\n\n— witness.example ${b64(new Uint8Array(40).fill(7))}\n${witness}${ours}`;
    expect(await verifyCheckpoint(cosigned, signer.publicJwk, origin)).toMatchObject({ ok: true });

    const extended = `${checkpointText(origin, 10, root)}ext line\n`;
    const der = await signer.signDer(new TextEncoder().encode(extended));
    const withExtension = `${extended}\n— ${origin} ${b64(Buffer.concat([libKeyIdOf(signer.publicJwk), der]))}\n`;
    expect(await verifyCheckpoint(withExtension, signer.publicJwk, origin)).toMatchObject({
      ok: true,
      checkpoint: { treeSize: 10 },
    });
  });

  it('refuses malformed notes as CHECKPOINT_MALFORMED', async () => {
    const note = await signCheckpoint(signer, origin, 10, root);
    const sigLine = note.split('\n\n')[1] ?? '';
    const malformed = [
      '',
      note.slice(0, -1),
      note.replace('\n\n', '\n'),
      note.replace('\n10\n', '\n010\n'),
      note.replace('\n10\n', '\n-1\n'),
      note.replace('\n10\n', '\n\n10\n'),
      note.replace(b64(root), b64(root).slice(0, -1)),
      note.replace(b64(root), b64(new Uint8Array(31))),
      `${origin}\n10\n${b64(root)}\n\n- ${sigLine.slice(2)}`,
      `${origin}\n10\n${b64(root)}\n\n— ${origin} AAAA\n`,
      note.replace('\n10\n', '\n1\t0\n'),
      `or+igin\n10\n${b64(root)}\n\n${sigLine}`,
      42 as unknown as string,
    ];
    for (const n of malformed) {
      const result = await verifyCheckpoint(n, signer.publicJwk, origin);
      expect(result.ok ? 'ok' : result.code, JSON.stringify(n)).toBe('CHECKPOINT_MALFORMED');
    }
    expect(() => parseCheckpoint('nope')).toThrow(expect.objectContaining({ code: 'CHECKPOINT_MALFORMED' }));
  });
});

describe("verify.js: a use's proof against the issuing province's log", () => {
  let log: Log;
  let signer: LocalSigner;
  const identifier = ex.IDENTIFIER;

  beforeAll(async () => {
    signer = await newAuditSigner();
    const events = [issueEvent('310000', identifier, '2026-05-01T01:00:00Z')];
    for (let i = 0; i < 12; i++) {
      events.push(
        useEvent('310000', {
          identifier,
          time: `2026-05-${String(2 + i).padStart(2, '0')}T02:00:00Z`,
          ...(i % 3 === 0 ? { by: '330000' } : {}),
          ...(i % 5 === 4 ? { outcome: 'refused' as const } : {}),
        }),
      );
    }
    log = await logOf('310000', events, signer);
  });

  const check = (proof: UseProof, province = '310000', auditKey = signer.publicJwk) =>
    verifyUseProof(proof, { province, auditKey });

  it('proves every event of a real log, each use fitting the holder contract', async () => {
    for (const e of log.events) {
      const proof = log.proofOf(e.eventId);
      expect(await check(proof), e.eventId).toEqual({
        ok: true,
        treeSize: log.tree.size,
        rootHash: b64(log.tree.root()),
      });
    }
    const page = HolderUsesPageSchema.parse({
      license: {
        identifier,
        province: '310000',
        typeCode: '11100000000013338W032',
        typeName: '建筑施工特种作业人员操作资格证书',
        number: '沪建安A（2026）0000001',
        issuer: { name: '上海市住房和城乡建设管理委员会' },
        holderName: '张三',
        version: '001',
        status: '01',
        validFrom: '2026-01-01',
      },
      items: log.events.slice(1).map((e) => openUseOf('310000', e, log.proofOf(e.eventId))),
      auditKey: signer.publicJwk,
    });
    expect(page.items).toHaveLength(12);
  });

  it('refuses a changed sibling, leaf or index, a proof of another size, and a checkpoint by another key', async () => {
    const e = log.events[5];
    if (!e) throw new Error('no event');
    const proof = log.proofOf(e.eventId);
    const code = async (p: UseProof, province?: string, key?: typeof signer.publicJwk) => {
      const r = await check(p, province, key);
      return r.ok ? 'ok' : r.code;
    };
    for (let i = 0; i < proof.proof.length; i++)
      expect(await code(alteredProof(proof, i))).toBe('PROOF_INVALID');
    expect(await code({ ...proof, leafHash: log.proofOf(log.events[6]?.eventId ?? '').leafHash })).toBe(
      'PROOF_INVALID',
    );
    expect(await code({ ...proof, index: proof.index + 1 })).toBe('PROOF_INVALID');
    expect(await code({ ...proof, treeSize: proof.treeSize - 1 })).toBe('PROOF_SIZE_MISMATCH');
    expect(await code({ ...proof, leafHash: 'not base64' })).toBe('PROOF_MALFORMED');
    expect(await code({ ...proof, proof: [...proof.proof.slice(1), 'AAAA'] })).toBe('PROOF_MALFORMED');
    expect(await code({ ...proof, index: log.tree.size })).toBe('PROOF_MALFORMED');
    expect(await code(proof, '330000')).toBe('CHECKPOINT_ORIGIN_MISMATCH');

    const rogue = await newAuditSigner();
    const signedByRogue = { ...proof, checkpoint: await checkpointSignedBy(log, rogue) };
    expect(await code(signedByRogue)).toBe('CHECKPOINT_UNSIGNED');
    expect(await code(proof, '310000', rogue.publicJwk)).toBe('CHECKPOINT_UNSIGNED');
    expect(await code(undefined as unknown as UseProof)).toBe('PROOF_MALFORMED');
  });

  it('proves the documented example: the inclusion proof against the checkpoint of the example JWKS', async () => {
    const auditKey = ex.JWKS.keys.find((k): k is EcPublicJwk => k.purpose === 'audit');
    if (!auditKey) throw new Error('no audit key in the example JWKS');
    expect(await verifyUseProof(ex.INCLUSION_PROOF, { province: '310000', auditKey })).toMatchObject({
      ok: true,
      treeSize: 10,
    });
    expect(
      await verifyUseProof({ ...ex.INCLUSION_PROOF, index: 2 }, { province: '310000', auditKey }),
    ).toMatchObject({ ok: false, code: 'PROOF_INVALID' });
  });
});
