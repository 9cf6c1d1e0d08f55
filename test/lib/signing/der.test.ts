import { createPublicKey, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derToJose, joseToDer, SignatureEncodingError } from '../../../lib/signing/der.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';

/** A 32-byte scalar whose first `zeros` bytes are zero: short r/s values in DER. */
const scalar = fc
  .tuple(fc.integer({ min: 0, max: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([zeros, bytes]) => bytes.fill(0, 0, zeros));

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

describe('DER <-> JOSE signature conversion', () => {
  it('round-trips any r and s, including leading zero bytes, through DER and back', () => {
    fc.assert(
      fc.property(scalar, scalar, (r, s) => {
        // Prepare
        const jose = concat(r, s);

        // Act
        const der = joseToDer(jose);

        // Assess
        expect(derToJose(der)).toEqual(jose);
        expect(der.length).toBeLessThanOrEqual(72);
      }),
    );
  });

  it('agrees with node:crypto: a DER signature converted to JOSE verifies as IEEE P1363 and back', () => {
    // Prepare
    const privateKey = generateP256PrivateKey();
    const publicKey = createPublicKey(privateKey);
    for (let i = 0; i < 50; i++) {
      const message = Buffer.from(`message ${i}`);
      const der = new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));

      // Act
      const jose = derToJose(der);

      // Assess
      expect(jose).toHaveLength(64);
      expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      expect(joseToDer(jose)).toEqual(der);
    }
  });

  it('encodes a short r minimally and pads an r with the high bit set', () => {
    // Prepare
    const r = new Uint8Array(32);
    r[31] = 0x01;
    const s = new Uint8Array(32).fill(0xff);

    // Act
    const der = joseToDer(concat(r, s));

    // Assess
    expect(Buffer.from(der).toString('hex')).toBe(`3026020101022100${'ff'.repeat(32)}`);
  });

  it.each([
    ['an empty input', ''],
    ['a non-SEQUENCE tag', '3106 020101 020101'],
    ['a long-form length', '308106 020101 020101'],
    ['a length longer than the data', '3007 020101 020101'],
    ['trailing bytes after s', '3008 020101 020101 0000'],
    ['a missing s', '3003 020101'],
    ['a non-INTEGER r', '3006 030101 020101'],
    ['a zero-length r', '3005 0200 020101'],
    ['a negative r', '3006 020180 020101'],
    ['a superfluous leading zero', '3007 02020001 020101'],
    ['an r longer than 32 bytes', `3027 0222 0001${'00'.repeat(30)}01 020101`],
    ['a 33-byte r without a leading zero', `3026 0221 7f${'00'.repeat(32)} 020101`],
  ])('rejects DER with %s', (_name, input) => {
    // Act
    const act = () => derToJose(hex(input));

    // Assess
    expect(act).toThrow(SignatureEncodingError);
  });

  it.each([0, 63, 65, 72])('rejects a JOSE signature of %i bytes', (length) => {
    // Act
    const act = () => joseToDer(new Uint8Array(length));

    // Assess
    expect(act).toThrow(/must be 64 bytes/);
  });
});
