/**
 * The holder page's own check of a use's proof (docs/protocol.md §10), in plain JavaScript with
 * WebCrypto only, so it runs unchanged in the holder's browser (served as /holder/verify.js) and in
 * Node (globalThis.crypto), where test/lib/holder/page-verify.test.ts runs it against the
 * gateway's own trees, checkpoints and the RFC 9162 vectors.
 *
 * A use is "in the log" when:
 * 1. its checkpoint is a C2SP signed note whose text is `origin\nsize\nbase64 root\n` (extension
 *    lines are ignored), the origin is `elg/<province of the license>/audit`, and the first
 *    signature line named by that origin with the key ID of the province's `audit` key (first 4
 *    bytes of SHA-256 of its DER SubjectPublicKeyInfo) holds a valid ECDSA P-256 / SHA-256
 *    signature (DER, converted to r || s for WebCrypto) over the note text;
 * 2. the checkpoint's size is the proof's tree size; and
 * 3. the RFC 9162 §2.1.3.2 audit path from the leaf hash at its index leads to the checkpoint's
 *    root hash (node hash = SHA-256(0x01 || left || right)).
 * Any other outcome is a refusal with a stable code; nothing here throws for bad input.
 *
 * checkWitnesses then tells whether a verified checkpoint carries the cosignatures of the quorum
 * of its log's witnesses (C2SP cosignature/v1, Ed25519), as lib/witness/quorum.ts does on the
 * gateway's side.
 */

const HASH_BYTES = 32;
const SCALAR_BYTES = 32;
const MAX_NOTE_CHARS = 64 * 1024;
const MAX_SIGNATURES = 100;
const MAX_PROOF_HASHES = 64;
const SIZE_LINE = /^(0|[1-9][0-9]{0,15})$/;
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;

/** Why a proof was refused: the codes of docs/protocol.md §10.3 for the checkpoint, and the proof's own. */
export const VerifyCode = Object.freeze({
  checkpointMalformed: 'CHECKPOINT_MALFORMED',
  originMismatch: 'CHECKPOINT_ORIGIN_MISMATCH',
  unsigned: 'CHECKPOINT_UNSIGNED',
  signatureInvalid: 'CHECKPOINT_SIGNATURE_INVALID',
  keyPurpose: 'CHECKPOINT_KEY_PURPOSE',
  keyInvalid: 'AUDIT_KEY_INVALID',
  sizeMismatch: 'PROOF_SIZE_MISMATCH',
  proofMalformed: 'PROOF_MALFORMED',
  proofInvalid: 'PROOF_INVALID',
  noCrypto: 'CRYPTO_UNAVAILABLE',
  failed: 'VERIFY_FAILED',
});

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Refusal(VerifyCode.noCrypto, 'WebCrypto (crypto.subtle) is not available here');
  return s;
}

/** The origin line, and signing key name, of a province's audit log. */
export function auditOrigin(province) {
  return `elg/${province}/audit`;
}

/** Standard padded base64 in its one canonical form, as bytes; undefined for anything else. */
export function fromBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    return undefined;
  }
  let binary;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  return toBase64(bytes) === text ? bytes : undefined;
}

export function toBase64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

async function sha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await subtle().digest('SHA-256', data));
}

const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x01 || left || right). */
export function nodeHash(left, right) {
  return sha256(NODE_PREFIX, left, right);
}

/** A signed-note key name: non-empty, no white space, no '+'. */
function isKeyName(name) {
  return typeof name === 'string' && name.length > 0 && !/[\s+]/u.test(name);
}

/**
 * Reads a checkpoint (a C2SP signed note) without checking its signature: origin, tree size, root
 * hash, the signed text and the signature lines. Throws a Refusal (CHECKPOINT_MALFORMED).
 */
export function parseCheckpoint(note) {
  const bad = (why) => new Refusal(VerifyCode.checkpointMalformed, `not a checkpoint: ${why}`);
  if (typeof note !== 'string' || note.length === 0) throw bad('empty');
  if (note.length > MAX_NOTE_CHARS) throw bad('too long');
  for (let i = 0; i < note.length; i++) {
    const c = note.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) throw bad('it contains a control character');
  }
  if (!note.endsWith('\n')) throw bad('it does not end with a newline');
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw bad('no blank line before the signatures');
  // Every byte before the blank line, the final newline of the last text line included.
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.some((l) => l.length === 0)) throw bad('a blank line in the note text');
  const [origin, size, root] = lines;
  if (!isKeyName(origin)) throw bad('the first line is not a log name');
  if (size === undefined || !SIZE_LINE.test(size) || !Number.isSafeInteger(Number(size))) {
    throw bad('the second line is not a tree size');
  }
  const rootHash = fromBase64(root);
  if (!rootHash || rootHash.length !== HASH_BYTES) throw bad('the third line is not a base64 SHA-256 hash');

  const signatureLines = note.slice(split + 2, -1).split('\n');
  if (signatureLines.length > MAX_SIGNATURES) throw bad('too many signatures');
  const signatures = signatureLines.map((line) => {
    const m = SIGNATURE_LINE.exec(line);
    const bytes = m ? fromBase64(m[2]) : undefined;
    if (!m || !isKeyName(m[1]) || !bytes || bytes.length < 5) throw bad('a bad signature line');
    return { name: m[1], keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { origin, treeSize: Number(size), rootHash, text, signatures };
}

/**
 * A DER ECDSA P-256 signature (`SEQUENCE { INTEGER r, INTEGER s }`, as KMS and node:crypto make
 * it) in the raw 64-byte r || s form WebCrypto verifies. Only the one canonical DER encoding is
 * accepted: short length form, minimal positive integers (a leading 0x00 only before a byte with
 * its high bit set), nothing after s. A short integer is left-padded to 32 bytes. Undefined for
 * anything else.
 */
export function derSignatureToRaw(der) {
  if (!(der instanceof Uint8Array) || der.length < 8 || der.length > 72) return undefined;
  // The content is at most 70 bytes, so DER allows only the short length form.
  if (der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const raw = new Uint8Array(2 * SCALAR_BYTES);
  let at = 2;
  for (let part = 0; part < 2; part++) {
    if (der[at] !== 0x02) return undefined;
    const length = der[at + 1];
    const start = at + 2;
    if (length === undefined || length < 1 || length > SCALAR_BYTES + 1 || start + length > der.length) {
      return undefined;
    }
    let value = der.subarray(start, start + length);
    // Negative: not a scalar.
    if (value[0] & 0x80) return undefined;
    if (value[0] === 0 && length > 1) {
      // A leading zero is allowed only to keep the next byte's high bit from reading as a sign.
      if (!(value[1] & 0x80)) return undefined;
      value = value.subarray(1);
    }
    if (value.length > SCALAR_BYTES) return undefined;
    if (value.every((b) => b === 0)) return undefined;
    raw.set(value, part * SCALAR_BYTES + SCALAR_BYTES - value.length);
    at = start + length;
  }
  return at === der.length ? raw : undefined;
}

/** The P-256 public key of a JWK, for ECDSA verification; a Refusal for anything else. */
async function importAuditKey(jwk) {
  if (!jwk || typeof jwk !== 'object') throw new Refusal(VerifyCode.keyInvalid, 'no audit key');
  if (jwk.purpose !== 'audit') {
    throw new Refusal(VerifyCode.keyPurpose, `a ${String(jwk.purpose)} key does not sign checkpoints`);
  }
  const { kty, crv, x, y } = jwk;
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') {
    throw new Refusal(VerifyCode.keyInvalid, 'the audit key is not a P-256 public key');
  }
  try {
    return await subtle().importKey(
      'jwk',
      { kty, crv, x, y, ext: true },
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['verify'],
    );
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw new Refusal(VerifyCode.keyInvalid, 'the audit key is not a P-256 public key');
  }
}

/** Key ID of a signed-note key: the first 4 bytes of SHA-256 of its DER SubjectPublicKeyInfo. */
async function keyIdOfKey(key) {
  const spki = new Uint8Array(await subtle().exportKey('spki', key));
  return (await sha256(spki)).subarray(0, 4);
}

/** The key ID of a P-256 public JWK (see keyIdOfKey). */
export async function keyIdOf(jwk) {
  return keyIdOfKey(await importAuditKey({ ...jwk, purpose: 'audit' }));
}

/**
 * Checks a checkpoint of `expectedOrigin` against the log's `audit` public key (a JWK):
 * `{ ok: true, checkpoint }`, or `{ ok: false, code, message }`.
 */
export async function verifyCheckpoint(note, auditKey, expectedOrigin) {
  try {
    const key = await importAuditKey(auditKey);
    const checkpoint = parseCheckpoint(note);
    if (checkpoint.origin !== expectedOrigin) {
      throw new Refusal(
        VerifyCode.originMismatch,
        `a checkpoint of ${checkpoint.origin}, expected ${expectedOrigin}`,
      );
    }
    const keyId = await keyIdOfKey(key);
    const mine = checkpoint.signatures.find((s) => s.name === expectedOrigin && equalBytes(s.keyId, keyId));
    if (!mine) throw new Refusal(VerifyCode.unsigned, `no signature by ${expectedOrigin} with this key`);
    const raw = derSignatureToRaw(mine.signature);
    const valid =
      raw !== undefined &&
      (await subtle().verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        key,
        raw,
        new TextEncoder().encode(checkpoint.text),
      ));
    if (!valid) throw new Refusal(VerifyCode.signatureInvalid, 'the checkpoint signature does not verify');
    return { ok: true, checkpoint };
  } catch (err) {
    return refused(err);
  }
}

/**
 * RFC 9162 §2.1.3.2: whether `proof` (hashes, leaf to root) leads from `leaf` at `index` in a tree
 * of `size` leaves to `root`. False for anything malformed.
 */
export async function verifyInclusion(index, size, leaf, proof, root) {
  const isCount = (n) => Number.isSafeInteger(n) && n >= 0;
  const isHash = (h) => h instanceof Uint8Array && h.length === HASH_BYTES;
  if (!isCount(index) || !isCount(size) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !Array.isArray(proof) || !proof.every(isHash)) return false;
  // Division rather than bit shifts: sizes may exceed 2^31.
  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, root);
}

/**
 * Checks one use's proof (contracts/holder.ts UseProof) against the issuing province's `audit`
 * key: the checkpoint (of `elg/<province>/audit`, of the proof's tree size) and the audit path to
 * its root. `{ ok: true, treeSize, rootHash }` (the root in base64), or `{ ok: false, code, message }`.
 */
export async function verifyUseProof(proof, { province, auditKey }) {
  try {
    if (!proof || typeof proof !== 'object') throw new Refusal(VerifyCode.proofMalformed, 'no proof');
    const checked = await verifyCheckpoint(proof.checkpoint, auditKey, auditOrigin(province));
    if (!checked.ok) return checked;
    const { checkpoint } = checked;
    if (proof.treeSize !== checkpoint.treeSize) {
      throw new Refusal(
        VerifyCode.sizeMismatch,
        `the proof is for a tree of ${proof.treeSize}, the checkpoint of ${checkpoint.treeSize}`,
      );
    }
    const leaf = fromBase64(proof.leafHash);
    const path =
      Array.isArray(proof.proof) && proof.proof.length <= MAX_PROOF_HASHES ? proof.proof.map(fromBase64) : [];
    const wellFormed =
      leaf?.length === HASH_BYTES &&
      Array.isArray(proof.proof) &&
      path.length === proof.proof.length &&
      path.every((h) => h?.length === HASH_BYTES) &&
      Number.isSafeInteger(proof.index) &&
      proof.index >= 0 &&
      proof.index < checkpoint.treeSize;
    if (!wellFormed) throw new Refusal(VerifyCode.proofMalformed, 'the proof is not an audit path');
    if (!(await verifyInclusion(proof.index, checkpoint.treeSize, leaf, path, checkpoint.rootHash))) {
      throw new Refusal(VerifyCode.proofInvalid, "the audit path does not lead to the checkpoint's root");
    }
    return { ok: true, treeSize: checkpoint.treeSize, rootHash: toBase64(checkpoint.rootHash) };
  } catch (err) {
    return refused(err);
  }
}

// ---- Witnesses (docs/protocol.md §19.5) ------------------------------------------------------------

/** Why a cosignature line was not counted (as lib/witness/quorum.ts says it). */
export const WitnessReason = Object.freeze({
  malformed: 'MALFORMED',
  unknownKey: 'UNKNOWN_KEY',
  invalid: 'INVALID_SIGNATURE',
});

const COSIGNATURE_LINE = /^\u2014 ([^ ]+) ([A-Za-z0-9+/]+={0,2})$/;
const COSIGNATURE_BYTES = 4 + 8 + 64;

function fromBase64Url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  const b64 = `${text.replaceAll('-', '+').replaceAll('_', '/')}=`;
  const bytes = fromBase64(b64);
  return bytes?.length === 32 ? bytes : undefined;
}

/**
 * A cosignature/v1 line (C2SP tlog-cosignature), strictly: em dash, key name, canonical base64
 * of key ID (4) || u64 big-endian timestamp || Ed25519 signature (64). Undefined for anything else.
 */
function parseCosignature(line) {
  const m = COSIGNATURE_LINE.exec(line);
  if (!m || !isKeyName(m[1])) return undefined;
  const bytes = fromBase64(m[2]);
  if (!bytes || bytes.length !== COSIGNATURE_BYTES) return undefined;
  const timestamp = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(4);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return {
    name: m[1],
    keyId: bytes.subarray(0, 4),
    timestamp: Number(timestamp),
    signature: bytes.subarray(12),
  };
}

/** The witness keys of the policy, imported: province, name, key ID SHA-256(name || 0x0A || 0x04 || key)[:4]. */
async function witnessKeysOf(witnesses, policy) {
  const keys = [];
  for (const entry of Array.isArray(witnesses?.keys) ? witnesses.keys : []) {
    const province = entry?.province;
    const name = entry?.name;
    const jwk = entry?.jwk;
    if (!policy.witnesses.includes(province) || name !== `elg/${province}/witness`) continue;
    if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || jwk.purpose !== 'witness') continue;
    const raw = fromBase64Url(jwk.x);
    if (!raw) continue;
    let key;
    try {
      key = await subtle().importKey(
        'jwk',
        { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
        { name: 'Ed25519' },
        false,
        ['verify'],
      );
    } catch {
      continue;
    }
    const keyId = (await sha256(new TextEncoder().encode(name), Uint8Array.of(0x0a, 0x04), raw)).subarray(
      0,
      4,
    );
    keys.push({ province, name, keyId, key });
  }
  return keys;
}

function policyOf(witnesses) {
  const p = witnesses?.policy;
  if (!p || !Array.isArray(p.witnesses) || !Number.isSafeInteger(p.quorum) || p.quorum < 1) return undefined;
  const list = p.witnesses.filter((w) => typeof w === 'string');
  if (list.length !== p.witnesses.length || new Set(list).size !== list.length || p.quorum > list.length) {
    return undefined;
  }
  return { witnesses: list, quorum: p.quorum };
}

/**
 * Who cosigned a checkpoint (already verified with the log's audit key) against the witnesses
 * the page was given (contracts/holder.ts HolderWitnesses): `{ witnessed, policy?, cosigners:
 * [{ province, name, timestamp }], missing, rejected: [{ reason, name?, message }] }`. Of the
 * policy's witnesses, `quorum` distinct ones need a cosignature/v1 line that verifies with one of
 * their published keys over this checkpoint; any other line is reported, never counted, and a
 * witness counts once. Without a policy the checkpoint is not witnessed. Never throws.
 */
export async function checkWitnesses(note, witnesses) {
  const policy = policyOf(witnesses);
  const status = (cosigners, rejected) => ({
    witnessed: policy !== undefined && cosigners.length >= policy.quorum,
    ...(policy ? { policy } : {}),
    cosigners,
    missing: policy ? policy.witnesses.filter((w) => !cosigners.some((c) => c.province === w)) : [],
    rejected,
  });
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(note);
  } catch (err) {
    return status([], [{ reason: WitnessReason.malformed, message: String(err?.message ?? err) }]);
  }
  const rejected = [];
  const verified = new Map();
  let keys = [];
  try {
    if (policy) keys = await witnessKeysOf(witnesses, policy);
    const lines = note.slice(checkpoint.text.length + 1, -1).split('\n');
    for (const line of lines) {
      if (line.startsWith(`\u2014 ${checkpoint.origin} `)) continue;
      const name = /^\u2014 ([^ ]+) /.exec(line)?.[1];
      const c = parseCosignature(line);
      if (!c) {
        rejected.push({
          reason: WitnessReason.malformed,
          ...(name ? { name } : {}),
          message: 'not a cosignature/v1 line',
        });
        continue;
      }
      const candidates = keys.filter((k) => k.name === c.name && equalBytes(k.keyId, c.keyId));
      if (candidates.length === 0) {
        rejected.push({
          reason: WitnessReason.unknownKey,
          name: c.name,
          message: policy
            ? 'not a published key of a witness of this log'
            : 'no witnesses are named for this log',
        });
        continue;
      }
      const message = new TextEncoder().encode(`cosignature/v1\ntime ${c.timestamp}\n${checkpoint.text}`);
      let by;
      for (const k of candidates) {
        if (await subtle().verify({ name: 'Ed25519' }, k.key, c.signature, message)) {
          by = k;
          break;
        }
      }
      if (!by) {
        rejected.push({
          reason: WitnessReason.invalid,
          name: c.name,
          message: 'the cosignature does not verify',
        });
        continue;
      }
      const seen = verified.get(by.province);
      if (!seen || c.timestamp < seen.timestamp) {
        verified.set(by.province, { province: by.province, name: by.name, timestamp: c.timestamp });
      }
    }
  } catch (err) {
    // WebCrypto refused: what was not checked does not count.
    rejected.push({ reason: WitnessReason.invalid, message: String(err?.message ?? err) });
  }
  const cosigners = policy ? policy.witnesses.flatMap((w) => verified.get(w) ?? []) : [];
  return status(cosigners, rejected);
}

function refused(err) {
  if (err instanceof Refusal) return { ok: false, code: err.code, message: err.message };
  // WebCrypto refused an input: whatever it was, the proof is not shown to hold.
  return { ok: false, code: VerifyCode.failed, message: String(err?.message ?? err) };
}
