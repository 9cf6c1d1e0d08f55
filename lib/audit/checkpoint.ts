import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { PublicJwk } from '../../contracts/keys.ts';
import { derToJose } from '../signing/der.ts';
import { importPublicKey, p256PublicKeyOf } from '../signing/public-jwk.ts';
import type { Signer } from '../signing/signer.ts';
import { HASH_BYTES } from './merkle.ts';

/**
 * Checkpoints of the audit log in the C2SP checkpoint format, as a C2SP signed note (docs/protocol.md
 * §10.3):
 *
 *     elg/310000/audit\n
 *     1234\n
 *     <base64 root hash>\n
 *     \n
 *     — elg/310000/audit <base64(key ID || DER ECDSA signature)>\n
 *
 * The signature (type 0x02, ECDSA P-256) is over SHA-256 of the note text: every byte before the
 * blank line, the text's final newline included. The key ID is the first 4 bytes of SHA-256 of
 * the key's DER SubjectPublicKeyInfo.
 */

export const CheckpointErrorCode = {
  /** Not a checkpoint: not a signed note, or its text is not origin, size and root hash. */
  malformed: 'CHECKPOINT_MALFORMED',
  /** A checkpoint of another log. */
  originMismatch: 'CHECKPOINT_ORIGIN_MISMATCH',
  /** No signature line by the expected key (its name and key ID). */
  unsigned: 'CHECKPOINT_UNSIGNED',
  /** The expected key's signature does not verify. */
  signatureInvalid: 'CHECKPOINT_SIGNATURE_INVALID',
  /** The key offered for verification is not an `audit` key. */
  keyPurpose: 'CHECKPOINT_KEY_PURPOSE',
} as const;
export type CheckpointErrorCode = (typeof CheckpointErrorCode)[keyof typeof CheckpointErrorCode];

/** A checkpoint that fails a check: the stable `code` says which. */
export class CheckpointError extends Error {
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface NoteSignature {
  /** The key name: for an audit checkpoint, the origin. */
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
  /** Lines after the root hash; none in the checkpoints this gateway signs. */
  extensions: string[];
  /** The signed note text: exactly the bytes before the blank line, final newline included. */
  text: string;
  signatures: NoteSignature[];
}

/** The origin line, and signing key name, of a province's audit log. */
export function auditOrigin(gatewayId: string): string {
  return `elg/${gatewayId}/audit`;
}

/** First 4 bytes of SHA-256 of the DER SubjectPublicKeyInfo. */
export function keyIdOf(key: KeyObject | PublicJwk): Uint8Array {
  const publicKey = 'kty' in key ? importPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  p256PublicKeyOf(publicKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return new Uint8Array(createHash('sha256').update(spki).digest().subarray(0, 4));
}

/** The note text of a checkpoint: origin, decimal size and base64 root hash, each line ending in \n. */
export function checkpointText(origin: string, treeSize: number, rootHash: Uint8Array): string {
  if (!isKeyName(origin)) throw new TypeError(`origin must be non-empty, without spaces or '+': ${origin}`);
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new TypeError(`bad tree size ${treeSize}`);
  if (rootHash.length !== HASH_BYTES) throw new TypeError(`a root hash has ${HASH_BYTES} bytes`);
  return `${origin}\n${treeSize}\n${Buffer.from(rootHash).toString('base64')}\n`;
}

/** A checkpoint signed by the province's `audit` key; any other key is a caller bug. */
export async function signCheckpoint(
  signer: Signer,
  origin: string,
  treeSize: number,
  rootHash: Uint8Array,
): Promise<string> {
  if (signer.purpose !== 'audit') {
    throw new TypeError(`checkpoints are signed with the audit key, not the ${signer.purpose} key`);
  }
  const text = checkpointText(origin, treeSize, rootHash);
  const der = await signer.signDer(new TextEncoder().encode(text));
  const keyId = keyIdOf(signer.publicJwk);
  const signature = Buffer.concat([keyId, der]).toString('base64');
  return `${text}\n— ${origin} ${signature}\n`;
}

const MAX_NOTE_CHARS = 64 * 1024;
const MAX_SIGNATURES = 100;
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;
const SIZE_LINE = /^(0|[1-9][0-9]{0,15})$/;

/** Reads a signed checkpoint without checking any signature. Throws CheckpointError (malformed). */
export function parseCheckpoint(note: string): Checkpoint {
  const bad = (why: string) => new CheckpointError(CheckpointErrorCode.malformed, `not a checkpoint: ${why}`);
  if (typeof note !== 'string' || note.length === 0) throw bad('empty');
  if (note.length > MAX_NOTE_CHARS) throw bad(`longer than ${MAX_NOTE_CHARS} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a signed note allows no control character but \n
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw bad('it contains a control character');
  if (!note.endsWith('\n')) throw bad('it does not end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw bad('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.some((l) => l.length === 0)) throw bad('a blank line in the note text');
  const [origin, size, root, ...extensions] = lines;
  if (origin === undefined || !isKeyName(origin)) throw bad('the origin line is not a log name');
  if (size === undefined || !SIZE_LINE.test(size) || !Number.isSafeInteger(Number(size))) {
    throw bad('the second line is not a tree size');
  }
  const rootHash = root === undefined ? undefined : strictBase64(root);
  if (!rootHash || rootHash.length !== HASH_BYTES) throw bad('the third line is not a base64 SHA-256 hash');

  const sigLines = note.slice(split + 2, -1).split('\n');
  if (sigLines.length > MAX_SIGNATURES) throw bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = sigLines.map((line) => {
    const m = SIGNATURE_LINE.exec(line);
    const bytes = m?.[2] === undefined ? undefined : strictBase64(m[2]);
    if (!m?.[1] || !isKeyName(m[1]) || !bytes || bytes.length < 5) throw bad(`bad signature line: ${line}`);
    return { name: m[1], keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { origin, treeSize: Number(size), rootHash, extensions, text, signatures };
}

/**
 * Verifies a checkpoint of `expectedOrigin` against the log's `audit` public key and returns it.
 * The first signature line naming this key (origin and key ID) decides; lines by other keys
 * (witnesses) are ignored. Throws CheckpointError with a stable code.
 */
export function verifyCheckpoint(
  note: string,
  key: PublicJwk | KeyObject,
  expectedOrigin: string,
): Checkpoint {
  let publicKey: KeyObject;
  if ('kty' in key) {
    if (key.purpose !== 'audit') {
      throw new CheckpointError(
        CheckpointErrorCode.keyPurpose,
        `key ${key.kid} is a ${key.purpose} key; checkpoints are signed with the audit key`,
      );
    }
    publicKey = importPublicKey(key);
  } else {
    publicKey = key.type === 'private' ? createPublicKey(key) : key;
  }
  const checkpoint = parseCheckpoint(note);
  if (checkpoint.origin !== expectedOrigin) {
    throw new CheckpointError(
      CheckpointErrorCode.originMismatch,
      `checkpoint of ${checkpoint.origin}, expected ${expectedOrigin}`,
    );
  }
  const keyId = keyIdOf(publicKey);
  const mine = checkpoint.signatures.find(
    (s) => s.name === expectedOrigin && Buffer.from(s.keyId).equals(keyId),
  );
  if (!mine) {
    throw new CheckpointError(
      CheckpointErrorCode.unsigned,
      `no signature by ${expectedOrigin} with key ID ${Buffer.from(keyId).toString('hex')}`,
    );
  }
  let valid = false;
  try {
    derToJose(mine.signature);
    valid = verify(
      'sha256',
      new TextEncoder().encode(checkpoint.text),
      { key: publicKey, dsaEncoding: 'der' },
      mine.signature,
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new CheckpointError(
      CheckpointErrorCode.signatureInvalid,
      `the signature of ${expectedOrigin} over checkpoint ${checkpoint.treeSize} does not verify`,
    );
  }
  return checkpoint;
}

/** A signed-note key name: non-empty, no Unicode space, no '+'. */
function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** Standard base64 with padding, in its one canonical form; undefined for anything else. */
export function strictBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}
