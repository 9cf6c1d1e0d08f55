import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  auditOrigin,
  CheckpointError,
  type CheckpointErrorCode,
  keyIdOf,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from '../../../lib/audit/checkpoint.ts';
import { LocalSigner } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';

/** A fixed audit key, so the key ID in the golden text is known. */
const AUDIT_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'BtqbRJkMAm209fwddXmC3hzzBXAfybpd3ZiOirDC3zM',
  y: '0-IeHpYSTXcJZucCM21YiHNCoY1qxxvKlbLR905aRPA',
  d: 'JXYW0GrIv0rlWcrelL3hY23JhNZE4apz2OI9W79za4Y',
} as const;
const KEY_ID_HEX = '96d584c3';
const ORIGIN = 'elg/310000/audit';
/** Root of the 8 RFC 6962 test leaves (test/vectors/merkle.json). */
const ROOT_B64 = 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=';
const ROOT = new Uint8Array(Buffer.from(ROOT_B64, 'base64'));

const auditSigner = () => LocalSigner.create(AUDIT_JWK, 'audit');

function codeOf(fn: () => unknown): CheckpointErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CheckpointError) return err.code;
    throw err;
  }
  return undefined;
}

/** Replaces the first signature line's signature bytes, keeping its name and key ID. */
function withSignature(note: string, mutate: (sig: Buffer) => Buffer): string {
  const [text, line = ''] = note.split('\n\n');
  const [dash, name, b64 = ''] = line.trimEnd().split(' ');
  const bytes = Buffer.from(b64, 'base64');
  const changed = Buffer.concat([bytes.subarray(0, 4), mutate(Buffer.from(bytes.subarray(4)))]);
  return `${text}\n\n${dash} ${name} ${changed.toString('base64')}\n`;
}

describe('audit checkpoints (C2SP signed notes)', () => {
  it('writes origin, size and base64 root, a blank line and one em-dash signature line', async () => {
    // Prepare
    const signer = await auditSigner();

    // Act
    const note = await signCheckpoint(signer, auditOrigin('310000'), 8, ROOT);

    // Assess
    const [text, signatures] = note.split('\n\n');
    expect(`${text}\n`).toBe(`elg/310000/audit\n8\n${ROOT_B64}\n`);
    expect(signatures).toMatch(/^\u2014 elg\/310000\/audit [A-Za-z0-9+/]+=*\n$/);
    const sig = Buffer.from(signatures?.split(' ')[2]?.trim() ?? '', 'base64');
    expect(sig.subarray(0, 4).toString('hex')).toBe(KEY_ID_HEX);
    expect(sig[4]).toBe(0x30);
  });

  it('signs SHA-256 of the note text, final newline included, with DER ECDSA that node:crypto verifies', async () => {
    // Prepare
    const signer = await auditSigner();

    // Act
    const note = await signCheckpoint(signer, ORIGIN, 8, ROOT);

    // Assess
    const text = `elg/310000/audit\n8\n${ROOT_B64}\n`;
    const sig = Buffer.from(note.trimEnd().split(' ').at(-1) ?? '', 'base64').subarray(4);
    const key = createPublicKey({ key: signer.publicJwk, format: 'jwk' });
    expect(verify('sha256', Buffer.from(text), { key, dsaEncoding: 'der' }, sig)).toBe(true);
    expect(verify('sha256', Buffer.from(text.slice(0, -1)), { key, dsaEncoding: 'der' }, sig)).toBe(false);
  });

  it('derives the key ID from the first 4 bytes of SHA-256 over the DER SubjectPublicKeyInfo', async () => {
    // Prepare
    const signer = await auditSigner();
    const spki = createPublicKey({ key: signer.publicJwk, format: 'jwk' }).export({
      format: 'der',
      type: 'spki',
    });

    // Act
    const id = keyIdOf(signer.publicJwk);

    // Assess
    expect(Buffer.from(id).toString('hex')).toBe(createHash('sha256').update(spki).digest('hex').slice(0, 8));
    expect(Buffer.from(id).toString('hex')).toBe(KEY_ID_HEX);
  });

  it('verifies against the audit JWK and against a KeyObject, and reads the signed values', async () => {
    // Prepare
    const signer = await auditSigner();
    const note = await signCheckpoint(signer, ORIGIN, 8, ROOT);

    // Act
    const byJwk = verifyCheckpoint(note, signer.publicJwk, ORIGIN);
    const byKey = verifyCheckpoint(note, createPublicKey({ key: signer.publicJwk, format: 'jwk' }), ORIGIN);

    // Assess
    expect(byJwk).toMatchObject({ origin: ORIGIN, treeSize: 8, extensions: [] });
    expect(Buffer.from(byJwk.rootHash).toString('base64')).toBe(ROOT_B64);
    expect(byKey.treeSize).toBe(8);
  });

  it('signs the empty tree as size 0 with the SHA-256 of nothing', async () => {
    const note = await signCheckpoint(await auditSigner(), ORIGIN, 0, createHash('sha256').digest());

    expect(note.startsWith(`${ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n`)).toBe(true);
    expect(verifyCheckpoint(note, (await auditSigner()).publicJwk, ORIGIN).treeSize).toBe(0);
  });

  it('ignores signature lines of other keys (witness cosignatures)', async () => {
    // Prepare
    const signer = await auditSigner();
    const note = await signCheckpoint(signer, ORIGIN, 8, ROOT);
    const witness = `\u2014 witness.example ${Buffer.alloc(70, 7).toString('base64')}\n`;

    // Act
    const checkpoint = verifyCheckpoint(`${note}${witness}`, signer.publicJwk, ORIGIN);

    // Assess
    expect(checkpoint.signatures.map((s) => s.name)).toEqual([ORIGIN, 'witness.example']);
  });

  it('refuses to sign with a key of another purpose', async () => {
    const gatewayKey = await LocalSigner.create(AUDIT_JWK, 'gateway');

    await expect(signCheckpoint(gatewayKey, ORIGIN, 8, ROOT)).rejects.toThrow(
      /signed with the audit key, not the gateway key/,
    );
  });

  it('refuses a key published for another purpose (CHECKPOINT_KEY_PURPOSE)', async () => {
    const note = await signCheckpoint(await auditSigner(), ORIGIN, 8, ROOT);
    const asGateway = { ...(await auditSigner()).publicJwk, purpose: 'gateway' as const };

    expect(codeOf(() => verifyCheckpoint(note, asGateway, ORIGIN))).toBe('CHECKPOINT_KEY_PURPOSE');
  });

  it('refuses a checkpoint signed by another key (CHECKPOINT_UNSIGNED)', async () => {
    const note = await signCheckpoint(await auditSigner(), ORIGIN, 8, ROOT);
    const other = createPublicKey(generateP256PrivateKey());

    expect(codeOf(() => verifyCheckpoint(note, other, ORIGIN))).toBe('CHECKPOINT_UNSIGNED');
  });

  it("refuses another province's checkpoint (CHECKPOINT_ORIGIN_MISMATCH)", async () => {
    const signer = await auditSigner();
    const note = await signCheckpoint(signer, auditOrigin('330000'), 8, ROOT);

    expect(codeOf(() => verifyCheckpoint(note, signer.publicJwk, ORIGIN))).toBe('CHECKPOINT_ORIGIN_MISMATCH');
  });

  it('refuses a changed size, root or signature (CHECKPOINT_SIGNATURE_INVALID)', async () => {
    // Prepare
    const signer = await auditSigner();
    const note = await signCheckpoint(signer, ORIGIN, 8, ROOT);
    const otherRoot = Buffer.from(ROOT).fill(1).toString('base64');

    // Act
    const forged = [
      note.replace('\n8\n', '\n9\n'),
      note.replace(ROOT_B64, otherRoot),
      withSignature(note, (s) => {
        s[s.length - 1] = (s[s.length - 1] ?? 0) ^ 1;
        return s;
      }),
      withSignature(note, () => Buffer.from('not der')),
    ];

    // Assess
    for (const n of forged) {
      expect(codeOf(() => verifyCheckpoint(n, signer.publicJwk, ORIGIN))).toBe(
        'CHECKPOINT_SIGNATURE_INVALID',
      );
    }
  });

  it.each([
    ['an empty note', ''],
    ['no blank line', `${ORIGIN}\n8\n${ROOT_B64}\n— ${ORIGIN} AAAAAAA=\n`],
    ['no signature', `${ORIGIN}\n8\n${ROOT_B64}\n\n`],
    ['a size with a leading zero', `${ORIGIN}\n08\n${ROOT_B64}\n\n— ${ORIGIN} AAAAAAA=\n`],
    ['a negative size', `${ORIGIN}\n-1\n${ROOT_B64}\n\n— ${ORIGIN} AAAAAAA=\n`],
    ['a short root', `${ORIGIN}\n8\nAAAA\n\n— ${ORIGIN} AAAAAAA=\n`],
    ['a missing root', `${ORIGIN}\n8\n\n— ${ORIGIN} AAAAAAA=\n`],
    ['an ASCII dash', `${ORIGIN}\n8\n${ROOT_B64}\n\n- ${ORIGIN} AAAAAAA=\n`],
    ['a carriage return', `${ORIGIN}\r\n8\n${ROOT_B64}\n\n— ${ORIGIN} AAAAAAA=\n`],
    ['no final newline', `${ORIGIN}\n8\n${ROOT_B64}\n\n— ${ORIGIN} AAAAAAA=`],
    ['non-canonical base64', `${ORIGIN}\n8\n${ROOT_B64}\n\n— ${ORIGIN} AAAAAAB=\n`],
    ['a signature of 4 bytes', `${ORIGIN}\n8\n${ROOT_B64}\n\n— ${ORIGIN} AAAAAA==\n`],
  ])('refuses %s as malformed (CHECKPOINT_MALFORMED)', (_, note) => {
    expect(codeOf(() => parseCheckpoint(note))).toBe('CHECKPOINT_MALFORMED');
  });
});
