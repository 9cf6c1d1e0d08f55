import { describe, expect, it } from 'vitest';
import {
  AddCheckpointError,
  formatAddCheckpoint,
  MAX_PROOF_LINES,
  parseAddCheckpoint,
} from '../../../lib/witness/add-checkpoint.ts';

/** C2SP tlog-witness, "add-checkpoint": the example request body, verbatim. */
const SPEC_PROOF = [
  'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=',
  'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=',
  '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=',
  '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=',
];
const SPEC_CHECKPOINT =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n' +
  '\u2014 example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n';
const SPEC_BODY = `old 20852014\n${SPEC_PROOF.join('\n')}\n\n${SPEC_CHECKPOINT}`;

const hash = (n: number) => new Uint8Array(32).fill(n);
const b64 = (n: number) => Buffer.from(hash(n)).toString('base64');

function refusal(text: string): string | undefined {
  try {
    parseAddCheckpoint(text);
  } catch (err) {
    if (err instanceof AddCheckpointError) return err.message;
    throw err;
  }
  return undefined;
}

describe('add-checkpoint request body (C2SP tlog-witness)', () => {
  it('reads the spec example: old size, four proof hashes, the checkpoint with both signatures', () => {
    // C2SP tlog-witness, "add-checkpoint", example request body
    const req = parseAddCheckpoint(SPEC_BODY);

    expect(req.oldSize).toBe(20852014);
    expect(req.proof.map((h) => Buffer.from(h).toString('base64'))).toEqual(SPEC_PROOF);
    expect(req.checkpoint).toBe(SPEC_CHECKPOINT);
  });

  it('writes the spec example byte for byte', () => {
    const proof = SPEC_PROOF.map((p) => new Uint8Array(Buffer.from(p, 'base64')));

    expect(formatAddCheckpoint({ oldSize: 20852014, proof, checkpoint: SPEC_CHECKPOINT })).toBe(SPEC_BODY);
  });

  it('writes "old 0", no proof line and the empty line for a first submission, and reads it back', () => {
    const body = formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: SPEC_CHECKPOINT });

    expect(body).toBe(`old 0\n\n${SPEC_CHECKPOINT}`);
    expect(parseAddCheckpoint(body)).toEqual({ oldSize: 0, proof: [], checkpoint: SPEC_CHECKPOINT });
  });

  it('round-trips 63 proof hashes, and an old size equal to the checkpoint size', () => {
    const proof = Array.from({ length: MAX_PROOF_LINES }, (_, i) => hash(i));
    const request = { oldSize: 20852163, proof, checkpoint: SPEC_CHECKPOINT };

    expect(MAX_PROOF_LINES).toBe(63);
    expect(parseAddCheckpoint(formatAddCheckpoint(request))).toEqual(request);
  });

  it('refuses to write what it would refuse to read', () => {
    const checkpoint = SPEC_CHECKPOINT;
    expect(() => formatAddCheckpoint({ oldSize: -1, proof: [], checkpoint })).toThrow(TypeError);
    expect(() => formatAddCheckpoint({ oldSize: 1.5, proof: [hash(1)], checkpoint })).toThrow(TypeError);
    expect(() => formatAddCheckpoint({ oldSize: 0, proof: [hash(1)], checkpoint })).toThrow(TypeError);
    expect(() => formatAddCheckpoint({ oldSize: 1, proof: [new Uint8Array(31)], checkpoint })).toThrow(
      TypeError,
    );
    const tooMany = Array.from({ length: 64 }, () => hash(1));
    expect(() => formatAddCheckpoint({ oldSize: 1, proof: tooMany, checkpoint })).toThrow(TypeError);
    expect(() => formatAddCheckpoint({ oldSize: 1, proof: [], checkpoint: 'no\n' })).toThrow(
      AddCheckpointError,
    );
  });

  const cp = SPEC_CHECKPOINT;
  const refused: [string, string, RegExp][] = [
    ['an empty body', '', /empty/],
    ['no old line', `${b64(1)}\n\n${cp}`, /old/],
    ['"Old" for "old"', `Old 1\n${b64(1)}\n\n${cp}`, /old/],
    ['two spaces in the old line', `old  1\n${b64(1)}\n\n${cp}`, /old/],
    ['a trailing space on the old line', `old 1 \n${b64(1)}\n\n${cp}`, /old/],
    ['an old size with a leading zero', `old 01\n${b64(1)}\n\n${cp}`, /leading zeroes/],
    ['an old size of "00"', `old 00\n\n${cp}`, /leading zeroes/],
    ['a signed old size', `old +1\n${b64(1)}\n\n${cp}`, /old/],
    ['a negative old size', `old -1\n\n${cp}`, /old/],
    ['an old size of 2^63', `old 9223372036854775808\n${b64(1)}\n\n${cp}`, /2\^63 - 1/],
    ['an old size above 2^53 - 1', `old 9007199254740992\n${b64(1)}\n\n${cp}`, /2\^53 - 1/],
    [
      'an old size above the checkpoint size',
      `old 20852164\n${b64(1)}\n\n${cp}`,
      /above the checkpoint size/,
    ],
    ['a proof from old size 0', `old 0\n${b64(1)}\n\n${cp}`, /old size 0/],
    ['only the old line', 'old 1', /newline/],
    ['no empty line', `old 1\n${b64(1)}\n`, /no empty line/],
    ['two empty lines', `old 1\n${b64(1)}\n\n\n${cp}`, /more than one empty line/],
    ['an empty line inside the proof', `old 1\n${b64(1)}\n\n${b64(2)}\n\n${cp}`, /checkpoint/],
    ['CRLF line ends', `old 1\r\n${b64(1)}\r\n\r\n${cp}`, /control character/],
    ['unpadded base64', `old 1\n${b64(1).replace(/=$/, '')}\n\n${cp}`, /base64/],
    ['base64url', `old 1\n${Buffer.from(hash(0xff)).toString('base64url')}=\n\n${cp}`, /base64/],
    ['non-canonical base64 bits', `old 1\n${b64(1).slice(0, -2)}B=\n\n${cp}`, /base64/],
    ['a 31-byte hash', `old 1\n${Buffer.alloc(31, 1).toString('base64')}\n\n${cp}`, /SHA-256/],
    ['a 33-byte hash', `old 1\n${Buffer.alloc(33, 1).toString('base64')}\n\n${cp}`, /SHA-256/],
    ['a space after a proof hash', `old 1\n${b64(1)} \n\n${cp}`, /base64/],
    ['64 proof lines', `old 1\n${`${b64(1)}\n`.repeat(64)}\n${cp}`, /more than 63/],
    ['a checkpoint without its final newline', `old 1\n${b64(1)}\n\n${cp.slice(0, -1)}`, /newline/],
    ['an unsigned checkpoint', `old 1\n${b64(1)}\n\n${cp.split('\n\n')[0]}\n`, /checkpoint/],
    ['no checkpoint', `old 1\n${b64(1)}\n\n`, /empty/],
    ['a checkpoint with a bad root hash', `old 1\n\n${cp.replace('CsUYap', 'CsUY')}`, /hash/],
  ];
  it.each(refused)('refuses %s', (_why, text, reason) => {
    expect(refusal(text)).toMatch(reason);
  });
});
