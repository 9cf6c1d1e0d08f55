import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { parseCheckpoint, strictBase64 } from '../audit/checkpoint.ts';
import { rawEd25519Of, rawEd25519PublicKey } from '../signing/public-jwk.ts';
import type { WitnessSigner } from '../signing/signer.ts';

/**
 * Ed25519 witness cosignatures, C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature),
 * signature type 0x04 of C2SP signed-note:
 *
 *   - key ID    = SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 public key)[:4]
 *   - message   = "cosignature/v1\n" || "time <decimal seconds, no leading zeroes>\n" || note text
 *                 (the checkpoint's whole note body, final newline included, no signature lines)
 *   - line      = "— <name> " || base64(key ID || u64 big-endian timestamp || 64-byte signature) || "\n"
 *
 * The Ed25519 message does not commit to the cosigner name: one key must serve one witness name.
 */

/** Signature type identifier byte of timestamped Ed25519 cosignatures (C2SP signed-note). */
export const COSIGNATURE_V1_TYPE = 0x04;
const KEY_ID_BYTES = 4;
const TIMESTAMP_BYTES = 8;
const ED25519_SIGNATURE_BYTES = 64;
const ED25519_PUBLIC_KEY_BYTES = 32;
const COSIGNATURE_BYTES = KEY_ID_BYTES + TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES;
/** 2^63 - 1: tlog-cosignature's bound on the timestamp. */
const MAX_TIMESTAMP = (1n << 63n) - 1n;

export const CosignatureErrorCode = {
  /** Not a cosignature/v1 line, or a note that is not a checkpoint. */
  malformed: 'COSIGNATURE_MALFORMED',
  /** The line is by another key: its name or key ID is not the expected witness's. */
  otherKey: 'COSIGNATURE_OTHER_KEY',
  /** The expected witness's cosignature does not verify. */
  signatureInvalid: 'COSIGNATURE_SIGNATURE_INVALID',
} as const;
export type CosignatureErrorCode = (typeof CosignatureErrorCode)[keyof typeof CosignatureErrorCode];

/** A cosignature that fails a check: the stable `code` says which. */
export class CosignatureError extends Error {
  constructor(
    readonly code: CosignatureErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CosignatureError';
  }
}

export interface Cosignature {
  /** The witness's key name. */
  name: string;
  keyId: Uint8Array;
  /** POSIX seconds at which the witness cosigned. */
  timestamp: number;
  /** The 64-byte Ed25519 signature over cosignatureMessage(body, timestamp). */
  signature: Uint8Array;
}

/**
 * The cosignature/v1 signed message: `cosignature/v1\n`, `time <timestamp>\n`, then the checkpoint
 * body (its note text: every line before the blank line, final newline included).
 */
export function cosignatureMessage(checkpointBody: string, timestamp: number): Uint8Array {
  checkTimestamp(timestamp);
  if (typeof checkpointBody !== 'string' || checkpointBody.length === 0 || !checkpointBody.endsWith('\n')) {
    throw new TypeError('a checkpoint body is non-empty and ends with a newline');
  }
  if (checkpointBody.includes('\n\n') || checkpointBody.startsWith('\n')) {
    throw new TypeError('a checkpoint body has no empty line: pass the note text, not the signed note');
  }
  return new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${checkpointBody}`);
}

/** SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]. */
export function witnessKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  checkKeyName(name);
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new TypeError(`an Ed25519 public key has ${ED25519_PUBLIC_KEY_BYTES} bytes`);
  }
  const digest = createHash('sha256')
    .update(new TextEncoder().encode(name))
    .update(Uint8Array.of(0x0a, COSIGNATURE_V1_TYPE))
    .update(publicKey)
    .digest();
  return new Uint8Array(digest.subarray(0, KEY_ID_BYTES));
}

/** The note signature line `— <name> <base64(keyID || timestamp u64 BE || signature)>\n`. */
export function cosignatureLine(
  name: string,
  keyId: Uint8Array,
  timestamp: number,
  signature: Uint8Array,
): string {
  checkKeyName(name);
  checkTimestamp(timestamp);
  if (keyId.length !== KEY_ID_BYTES) throw new TypeError(`a key ID has ${KEY_ID_BYTES} bytes`);
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new TypeError(`an Ed25519 signature has ${ED25519_SIGNATURE_BYTES} bytes`);
  }
  const bytes = Buffer.alloc(COSIGNATURE_BYTES);
  bytes.set(keyId, 0);
  bytes.writeBigUInt64BE(BigInt(timestamp), KEY_ID_BYTES);
  bytes.set(signature, KEY_ID_BYTES + TIMESTAMP_BYTES);
  return `\u2014 ${name} ${bytes.toString('base64')}\n`;
}

const LINE = /^\u2014 ([^ ]+) ([A-Za-z0-9+/]+={0,2})\n$/;

/**
 * Reads one cosignature/v1 signature line, its final newline included. Strict: em dash, one
 * space, a key name, one space, canonical padded base64 of exactly 4 + 8 + 64 bytes, one newline;
 * a timestamp beyond 2^63 - 1 (or beyond what a JS number holds exactly) is refused.
 */
export function parseCosignatureLine(line: string): Cosignature {
  const bad = (why: string) =>
    new CosignatureError(CosignatureErrorCode.malformed, `not a cosignature/v1 line: ${why}`);
  if (typeof line !== 'string') throw bad('not a string');
  const m = LINE.exec(line);
  if (!m?.[1] || !m[2]) throw bad('not "— <name> <base64>\\n"');
  if (!isKeyName(m[1])) throw bad('the key name is empty or has a space, a control character or "+"');
  const bytes = strictBase64(m[2]);
  if (!bytes) throw bad('the signature is not canonical base64');
  if (bytes.length !== COSIGNATURE_BYTES) {
    throw bad(`the signature has ${bytes.length} bytes, not key ID, timestamp and Ed25519 signature (76)`);
  }
  const ts = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readBigUInt64BE(KEY_ID_BYTES);
  if (ts > MAX_TIMESTAMP) throw bad('the timestamp exceeds 2^63 - 1');
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('the timestamp exceeds 2^53 - 1');
  return {
    name: m[1],
    keyId: bytes.slice(0, KEY_ID_BYTES),
    timestamp: Number(ts),
    signature: bytes.slice(KEY_ID_BYTES + TIMESTAMP_BYTES),
  };
}

/** The witness's cosignature line over a signed checkpoint, at `timestamp` (POSIX seconds). */
export function cosign(
  checkpointNote: string,
  name: string,
  privateKey: KeyObject,
  timestamp: number,
): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('a cosignature/v1 witness key is an Ed25519 private key');
  }
  const body = noteBody(checkpointNote);
  const keyId = witnessKeyId(name, rawEd25519PublicKey(privateKey));
  const signature = sign(null, cosignatureMessage(body, timestamp), privateKey);
  return cosignatureLine(name, keyId, timestamp, new Uint8Array(signature));
}

/**
 * The witness's cosignature line over a signed checkpoint, made by its signer port (a KMS key of
 * spec ECC_NIST_EDWARDS25519, or a local key): the same line as `cosign`.
 */
export async function cosignWith(
  signer: WitnessSigner,
  checkpointNote: string,
  name: string,
  timestamp: number,
): Promise<string> {
  if (signer.purpose !== 'witness') throw new TypeError('cosignatures are made with the witness key');
  const body = noteBody(checkpointNote);
  const keyId = witnessKeyId(name, rawEd25519Of(signer.publicJwk));
  const signature = await signer.signEd25519(cosignatureMessage(body, timestamp));
  return cosignatureLine(name, keyId, timestamp, signature);
}

/**
 * Verifies one cosignature line over a signed checkpoint against the witness's name and Ed25519
 * public key, and returns it. Throws CosignatureError: malformed, otherKey (name or key ID is not
 * this witness's), signatureInvalid.
 */
export function verifyCosignature(
  checkpointNote: string,
  line: string,
  name: string,
  publicKey: KeyObject,
): Cosignature {
  const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('a cosignature/v1 witness key is Ed25519');
  const body = noteBody(checkpointNote);
  const cosignature = parseCosignatureLine(line);
  const keyId = witnessKeyId(name, rawEd25519PublicKey(key));
  if (cosignature.name !== name || !Buffer.from(cosignature.keyId).equals(keyId)) {
    throw new CosignatureError(
      CosignatureErrorCode.otherKey,
      `cosignature by ${cosignature.name}+${Buffer.from(cosignature.keyId).toString('hex')}, expected ` +
        `${name}+${Buffer.from(keyId).toString('hex')}`,
    );
  }
  let valid = false;
  try {
    valid = verify(null, cosignatureMessage(body, cosignature.timestamp), key, cosignature.signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new CosignatureError(
      CosignatureErrorCode.signatureInvalid,
      `the cosignature of ${name} at ${cosignature.timestamp} does not verify`,
    );
  }
  return cosignature;
}

/** The note text of a signed checkpoint; CosignatureError (malformed) if it is not one. */
function noteBody(checkpointNote: string): string {
  try {
    return parseCheckpoint(checkpointNote).text;
  } catch (err) {
    throw new CosignatureError(
      CosignatureErrorCode.malformed,
      `not a signed checkpoint: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(`a timestamp is a whole number of seconds, 0 to 2^53 - 1: ${timestamp}`);
  }
}

function checkKeyName(name: string): void {
  if (typeof name !== 'string' || !isKeyName(name)) {
    throw new TypeError(`a key name is non-empty, without spaces, control characters or '+': ${name}`);
  }
}

/** Signed-note key name: non-empty, no Unicode space, no '+', and (a note has none) no control character. */
function isKeyName(name: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a signed note allows no control character but \n
  return name.length > 0 && !/[\s+\u0000-\u001f]/u.test(name);
}
