import { createHash, createPrivateKey, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  COSIGNATURE_V1_TYPE,
  CosignatureError,
  type CosignatureErrorCode,
  cosign,
  cosignatureLine,
  cosignatureMessage,
  parseCosignatureLine,
  verifyCosignature,
  witnessKeyId,
} from '../../../lib/witness/cosignature.ts';

/** C2SP tlog-cosignature, "Ed25519 signed message": the example checkpoint body and message. */
const SPEC_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_MESSAGE =
  'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
/** C2SP tlog-cosignature, introduction: the example checkpoint's witness cosignature line. */
const SPEC_LINE =
  '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

/**
 * A real cosignature/v1 witness key as a signed-note vkey (type byte 0x04 || 32-byte key), from
 * transparency-dev/formats note/note_cosigv1_test.go (TestCoSigV1NewVerifier, "native
 * algEd25519CosignatureV1 verifier"): its key hash there is da77ade7.
 */
const REMORA_NAME = 'remora.n621.de';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
/** A real checkpoint of a CT log with remora.n621.de's cosignature on it (a published Python test fixture). */
const REAL_CHECKPOINT =
  'arche2025h1.staging.ct.transparency.dev\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n' +
  '\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n';
const REAL_COSIGNATURE =
  '\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n';

/** The key bytes of a vkey `<name>+<hex key hash>+<base64(type || key)>` (the base64 may hold '+'). */
const vkeyBytes = (vkey: string) => Buffer.from(vkey.split('+').slice(2).join('+'), 'base64');
const ed25519Public = (raw: Uint8Array): KeyObject =>
  createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });

/** A fixed Ed25519 witness key: PKCS#8 of a 32-byte seed. */
const WITNESS_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]),
  format: 'der',
  type: 'pkcs8',
});
const WITNESS_PUBLIC = createPublicKey(WITNESS_KEY);
const WITNESS_RAW = new Uint8Array(
  Buffer.from(WITNESS_PUBLIC.export({ format: 'jwk' }).x ?? '', 'base64url'),
);
const WITNESS = 'witness.example/w1';
const NOTE = `${SPEC_BODY}\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n`;
const T = 1_700_000_000;
/** A P-256 key (the audit test key), for refusals. */ const P256 = {
  x: 'BtqbRJkMAm209fwddXmC3hzzBXAfybpd3ZiOirDC3zM',
  y: '0-IeHpYSTXcJZucCM21YiHNCoY1qxxvKlbLR905aRPA',
  d: 'JXYW0GrIv0rlWcrelL3hY23JhNZE4apz2OI9W79za4Y',
};

function codeOf(fn: () => unknown): CosignatureErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CosignatureError) return err.code;
    throw err;
  }
  return undefined;
}

/** Rewrites the base64 payload bytes of a cosignature line. */
function mutateLine(line: string, mutate: (bytes: Buffer) => void): string {
  const [dash, name, b64 = ''] = line.trimEnd().split(' ');
  const bytes = Buffer.from(b64, 'base64');
  mutate(bytes);
  return `${dash} ${name} ${bytes.toString('base64')}\n`;
}

describe('cosignature/v1 signed message (C2SP tlog-cosignature)', () => {
  it('is the spec example byte for byte: header line, time line, then the checkpoint body', () => {
    // C2SP tlog-cosignature, "Ed25519 signed message"
    expect(Buffer.from(cosignatureMessage(SPEC_BODY, 1679315147)).toString('utf8')).toBe(SPEC_MESSAGE);
  });

  it('writes the time in decimal without leading zeroes, and time 0 as "0"', () => {
    expect(Buffer.from(cosignatureMessage('a\n1\nb\n', 0)).toString()).toBe(
      'cosignature/v1\ntime 0\na\n1\nb\n',
    );
    expect(Buffer.from(cosignatureMessage('a\n', 42)).toString()).toBe('cosignature/v1\ntime 42\na\n');
  });

  it('includes extension lines of the body', () => {
    const body = `${SPEC_BODY}ext line\n`;
    expect(Buffer.from(cosignatureMessage(body, 1)).toString()).toBe(`cosignature/v1\ntime 1\n${body}`);
  });

  it('refuses a body without its final newline, a signed note for a body, and a bad timestamp', () => {
    expect(() => cosignatureMessage(SPEC_BODY.slice(0, -1), 1)).toThrow(TypeError);
    expect(() => cosignatureMessage('', 1)).toThrow(TypeError);
    expect(() => cosignatureMessage(NOTE, 1)).toThrow(TypeError);
    expect(() => cosignatureMessage(SPEC_BODY, -1)).toThrow(TypeError);
    expect(() => cosignatureMessage(SPEC_BODY, 1.5)).toThrow(TypeError);
    expect(() => cosignatureMessage(SPEC_BODY, Number.MAX_SAFE_INTEGER + 1)).toThrow(TypeError);
  });
});

describe('witness key ID (C2SP tlog-cosignature, signed-note type 0x04)', () => {
  it('is SHA-256(name || "\\n" || 0x04 || key)[:4]', () => {
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from(`${WITNESS}\n`), Buffer.of(0x04), WITNESS_RAW]))
      .digest()
      .subarray(0, 4);
    expect(COSIGNATURE_V1_TYPE).toBe(0x04);
    expect(Buffer.from(witnessKeyId(WITNESS, WITNESS_RAW)).equals(expected)).toBe(true);
  });

  it('matches the key hash of a real cosignature/v1 vkey (transparency-dev/formats)', () => {
    const vkey = vkeyBytes(REMORA_VKEY);
    expect(vkey[0]).toBe(0x04);
    expect(Buffer.from(witnessKeyId(REMORA_NAME, vkey.subarray(1))).toString('hex')).toBe('da77ade7');
  });

  it('differs from the Ed25519 (0x01) key hash of the same name and key', () => {
    // transparency-dev/formats note/note_cosigv1_test.go: "TEST+7997405c+AQcC..." is a 0x01 vkey.
    const vkey = vkeyBytes('TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6');
    expect(vkey[0]).toBe(0x01);
    const hashWith = (type: number) =>
      createHash('sha256')
        .update(Buffer.concat([Buffer.from('TEST\n'), Buffer.of(type), vkey.subarray(1)]))
        .digest('hex')
        .slice(0, 8);
    expect(hashWith(0x01)).toBe('7997405c');
    expect(Buffer.from(witnessKeyId('TEST', vkey.subarray(1))).toString('hex')).toBe(hashWith(0x04));
    expect(hashWith(0x04)).not.toBe('7997405c');
  });

  it('refuses a key that is not 32 bytes and a name that is no key name', () => {
    expect(() => witnessKeyId(WITNESS, new Uint8Array(31))).toThrow(TypeError);
    expect(() => witnessKeyId('', WITNESS_RAW)).toThrow(TypeError);
    expect(() => witnessKeyId('a b', WITNESS_RAW)).toThrow(TypeError);
    expect(() => witnessKeyId('a+b', WITNESS_RAW)).toThrow(TypeError);
  });
});

describe('cosignature lines', () => {
  it('reads the spec example: key ID, the timestamp of the spec message, a 64-byte signature', () => {
    // C2SP tlog-cosignature: the example's witness line; its timestamp is the "time 1679315147" example.
    const c = parseCosignatureLine(SPEC_LINE);
    expect(c.name).toBe('witness.example.com/w1');
    expect(Buffer.from(c.keyId).toString('hex')).toBe('8d66cf3f');
    expect(c.timestamp).toBe(1679315147);
    expect(c.signature).toHaveLength(64);
    expect(cosignatureLine(c.name, c.keyId, c.timestamp, c.signature)).toBe(SPEC_LINE);
  });

  it('writes em dash, name, base64(key ID || u64 big-endian time || signature) and a newline', () => {
    const keyId = Uint8Array.of(1, 2, 3, 4);
    const sig = new Uint8Array(64).fill(0xab);
    const line = cosignatureLine(WITNESS, keyId, 0x0102030405, sig);
    const bytes = Buffer.concat([
      Buffer.from(keyId),
      Buffer.from('0000000102030405', 'hex'),
      Buffer.from(sig),
    ]);
    expect(line).toBe(`\u2014 ${WITNESS} ${bytes.toString('base64')}\n`);
    expect(parseCosignatureLine(line)).toEqual({
      name: WITNESS,
      keyId,
      timestamp: 0x0102030405,
      signature: sig,
    });
  });

  it('refuses to write wrong lengths and bad names or times', () => {
    const sig = new Uint8Array(64);
    expect(() => cosignatureLine(WITNESS, new Uint8Array(3), 1, sig)).toThrow(TypeError);
    expect(() => cosignatureLine(WITNESS, new Uint8Array(4), 1, new Uint8Array(63))).toThrow(TypeError);
    expect(() => cosignatureLine('bad name', new Uint8Array(4), 1, sig)).toThrow(TypeError);
    expect(() => cosignatureLine(WITNESS, new Uint8Array(4), -1, sig)).toThrow(TypeError);
  });

  const payload = Buffer.alloc(76, 1).toString('base64');
  const refused: [string, string][] = [
    ['an ASCII hyphen for the em dash', `- ${WITNESS} ${payload}\n`],
    ['no final newline', `\u2014 ${WITNESS} ${payload}`],
    ['two final newlines', `\u2014 ${WITNESS} ${payload}\n\n`],
    ['a CR before the newline', `\u2014 ${WITNESS} ${payload}\r\n`],
    ['two spaces after the dash', `\u2014  ${WITNESS} ${payload}\n`],
    ['two spaces before the signature', `\u2014 ${WITNESS}  ${payload}\n`],
    ['a trailing space', `\u2014 ${WITNESS} ${payload} \n`],
    ['no key name', `\u2014  ${payload}\n`],
    ['a + in the name', `\u2014 a+b ${payload}\n`],
    ['a tab in the name', `\u2014 a\tb ${payload}\n`],
    ['a no-break space in the name', `\u2014 a\u00a0b ${payload}\n`],
    ['unpadded base64', `\u2014 ${WITNESS} ${payload.replace(/=+$/, '')}\n`],
    ['base64url', `\u2014 ${WITNESS} ${Buffer.alloc(76, 0xfb).toString('base64url')}==\n`],
    ['non-canonical base64 bits', `\u2014 ${WITNESS} ${payload.slice(0, -4)}AR==\n`],
    ['75 bytes', `\u2014 ${WITNESS} ${Buffer.alloc(75, 1).toString('base64')}\n`],
    ['77 bytes', `\u2014 ${WITNESS} ${Buffer.alloc(77, 1).toString('base64')}\n`],
    [
      'an Ed25519 (0x01) note signature of 68 bytes',
      `\u2014 ${WITNESS} ${Buffer.alloc(68, 1).toString('base64')}\n`,
    ],
    [
      'a timestamp of 2^63',
      `\u2014 ${WITNESS} ${Buffer.concat([Buffer.alloc(4), Buffer.from('8000000000000000', 'hex'), Buffer.alloc(64)]).toString('base64')}\n`,
    ],
    [
      'a timestamp above 2^53 - 1',
      `\u2014 ${WITNESS} ${Buffer.concat([Buffer.alloc(4), Buffer.from('0020000000000000', 'hex'), Buffer.alloc(64)]).toString('base64')}\n`,
    ],
  ];
  it.each(refused)('refuses %s', (_why, line) => {
    expect(codeOf(() => parseCosignatureLine(line))).toBe('COSIGNATURE_MALFORMED');
  });

  it('accepts a timestamp of 2^53 - 1', () => {
    const bytes = Buffer.concat([Buffer.alloc(4), Buffer.from('001fffffffffffff', 'hex'), Buffer.alloc(64)]);
    expect(parseCosignatureLine(`\u2014 w ${bytes.toString('base64')}\n`).timestamp).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });
});

describe('cosign and verifyCosignature', () => {
  it('verifies a real witness cosignature on a real checkpoint', () => {
    const key = ed25519Public(vkeyBytes(REMORA_VKEY).subarray(1));
    const c = verifyCosignature(REAL_CHECKPOINT, REAL_COSIGNATURE, REMORA_NAME, key);
    expect(c.timestamp).toBe(1779573024);
    expect(Buffer.from(c.keyId).toString('hex')).toBe('da77ade7');
    const clobbered = REAL_CHECKPOINT.replace('\n1432088532\n', '\n1432088533\n');
    expect(codeOf(() => verifyCosignature(clobbered, REAL_COSIGNATURE, REMORA_NAME, key))).toBe(
      'COSIGNATURE_SIGNATURE_INVALID',
    );
  });

  it('signs exactly cosignatureMessage(note text, time) with Ed25519, as node:crypto checks', () => {
    // Act
    const line = cosign(NOTE, WITNESS, WITNESS_KEY, T);

    // Assess
    const c = parseCosignatureLine(line);
    expect(c).toMatchObject({ name: WITNESS, timestamp: T });
    expect(Buffer.from(c.keyId).equals(Buffer.from(witnessKeyId(WITNESS, WITNESS_RAW)))).toBe(true);
    const message = Buffer.from(`cosignature/v1\ntime ${T}\n${SPEC_BODY}`);
    expect(Buffer.from(cosignatureMessage(SPEC_BODY, T)).equals(message)).toBe(true);
    expect(verify(null, message, WITNESS_PUBLIC, c.signature)).toBe(true);
    expect(verify(null, Buffer.from(SPEC_BODY), WITNESS_PUBLIC, c.signature)).toBe(false);
    expect(verify(null, Buffer.from(`cosignature/v1\ntime ${T}\n${NOTE}`), WITNESS_PUBLIC, c.signature)).toBe(
      false,
    );
  });

  it('round-trips: the cosignature verifies with the public key, and the line appends to the note', () => {
    const line = cosign(NOTE, WITNESS, WITNESS_KEY, T);

    expect(verifyCosignature(NOTE, line, WITNESS, WITNESS_PUBLIC).timestamp).toBe(T);
    expect(verifyCosignature(NOTE, line, WITNESS, WITNESS_KEY).timestamp).toBe(T);
    // A cosigned checkpoint is the same checkpoint: the cosignature verifies over it too.
    expect(verifyCosignature(`${NOTE}${line}`, line, WITNESS, WITNESS_PUBLIC).timestamp).toBe(T);
  });

  it('refuses a tampered timestamp, body, key ID and signature, and another name', () => {
    // Prepare
    const line = cosign(NOTE, WITNESS, WITNESS_KEY, T);
    const check = (note: string, l: string, name = WITNESS) =>
      codeOf(() => verifyCosignature(note, l, name, WITNESS_PUBLIC));

    // Act + Assess
    expect(
      check(
        NOTE,
        mutateLine(line, (b) => b.writeBigUInt64BE(BigInt(T + 1), 4)),
      ),
    ).toBe('COSIGNATURE_SIGNATURE_INVALID');
    expect(check(NOTE.replace('20852163', '20852164'), line)).toBe('COSIGNATURE_SIGNATURE_INVALID');
    expect(check(NOTE.replace(SPEC_BODY, `${SPEC_BODY}ext\n`), line)).toBe('COSIGNATURE_SIGNATURE_INVALID');
    expect(
      check(
        NOTE,
        mutateLine(line, (b) => {
          b[0] = (b[0] ?? 0) ^ 1;
        }),
      ),
    ).toBe('COSIGNATURE_OTHER_KEY');
    expect(
      check(
        NOTE,
        mutateLine(line, (b) => {
          b[20] = (b[20] ?? 0) ^ 1;
        }),
      ),
    ).toBe('COSIGNATURE_SIGNATURE_INVALID');
    expect(check(NOTE, line.replace(WITNESS, 'witness.example/w2'), 'witness.example/w2')).toBe(
      'COSIGNATURE_OTHER_KEY',
    );
    expect(check(NOTE, line, 'witness.example/w2')).toBe('COSIGNATURE_OTHER_KEY');
  });

  it('refuses a note that is not a signed checkpoint, and a key that is not Ed25519', () => {
    const line = cosign(NOTE, WITNESS, WITNESS_KEY, T);
    expect(codeOf(() => cosign(SPEC_BODY, WITNESS, WITNESS_KEY, T))).toBe('COSIGNATURE_MALFORMED');
    expect(codeOf(() => verifyCosignature(SPEC_BODY, line, WITNESS, WITNESS_PUBLIC))).toBe(
      'COSIGNATURE_MALFORMED',
    );
    expect(codeOf(() => verifyCosignature(NOTE, line.trimEnd(), WITNESS, WITNESS_PUBLIC))).toBe(
      'COSIGNATURE_MALFORMED',
    );
    const p256 = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', ...P256 },
      format: 'jwk',
    });
    expect(() => cosign(NOTE, WITNESS, p256, T)).toThrow(TypeError);
    expect(() => cosign(NOTE, WITNESS, WITNESS_PUBLIC, T)).toThrow(TypeError);
    expect(() => verifyCosignature(NOTE, line, WITNESS, p256)).toThrow(TypeError);
  });
});
