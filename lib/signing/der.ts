/**
 * ECDSA P-256 signatures in two encodings: DER (`SEQUENCE { INTEGER r, INTEGER s }`, what KMS and
 * node:crypto return) and JOSE (r || s, 32 bytes each, what a JWS carries). Both directions are
 * strict: only the one canonical DER encoding is accepted, so a signature has exactly one form.
 */

const SCALAR_BYTES = 32;
export const JOSE_SIGNATURE_BYTES = 2 * SCALAR_BYTES;

/** A signature that is not a well-formed P-256 ECDSA signature in the expected encoding. */
export class SignatureEncodingError extends Error {
  readonly code = 'SIGNATURE_ENCODING_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SignatureEncodingError';
  }
}

/** DER to the 64-byte JOSE form. Throws SignatureEncodingError on anything but canonical DER. */
export function derToJose(der: Uint8Array): Uint8Array {
  if (der.length < 8 || der[0] !== 0x30) throw new SignatureEncodingError('DER signature must be a SEQUENCE');
  const length = der[1] ?? 0;
  // The longest P-256 signature is 72 bytes, so DER only allows the short length form here.
  if (length >= 0x80) throw new SignatureEncodingError('DER signature length must use the short form');
  if (der.length !== 2 + length)
    throw new SignatureEncodingError('DER signature length does not match its content');
  const r = readInteger(der, 2, 'r');
  const s = readInteger(der, r.next, 's');
  if (s.next !== der.length) throw new SignatureEncodingError('DER signature has bytes after s');
  const out = new Uint8Array(JOSE_SIGNATURE_BYTES);
  out.set(r.value, SCALAR_BYTES - r.value.length);
  out.set(s.value, JOSE_SIGNATURE_BYTES - s.value.length);
  return out;
}

/** The 64-byte JOSE form to canonical DER. */
export function joseToDer(jose: Uint8Array): Uint8Array {
  if (jose.length !== JOSE_SIGNATURE_BYTES) {
    throw new SignatureEncodingError(
      `JOSE signature must be ${JOSE_SIGNATURE_BYTES} bytes, got ${jose.length}`,
    );
  }
  const r = encodeInteger(jose.subarray(0, SCALAR_BYTES));
  const s = encodeInteger(jose.subarray(SCALAR_BYTES));
  const out = new Uint8Array(2 + r.length + s.length);
  out[0] = 0x30;
  out[1] = r.length + s.length;
  out.set(r, 2);
  out.set(s, 2 + r.length);
  return out;
}

function readInteger(der: Uint8Array, at: number, name: 'r' | 's'): { value: Uint8Array; next: number } {
  if (der[at] !== 0x02) throw new SignatureEncodingError(`DER ${name} must be an INTEGER`);
  const length = der[at + 1] ?? 0;
  const start = at + 2;
  const end = start + length;
  if (length === 0 || length > SCALAR_BYTES + 1 || end > der.length) {
    throw new SignatureEncodingError(`DER ${name} has an invalid length`);
  }
  const first = der[start] ?? 0;
  if (first & 0x80) throw new SignatureEncodingError(`DER ${name} must not be negative`);
  if (first === 0 && length > 1 && ((der[start + 1] ?? 0) & 0x80) === 0) {
    throw new SignatureEncodingError(`DER ${name} has a superfluous leading zero`);
  }
  const value = first === 0 && length > 1 ? der.subarray(start + 1, end) : der.subarray(start, end);
  if (value.length > SCALAR_BYTES) throw new SignatureEncodingError(`DER ${name} is longer than 32 bytes`);
  return { value, next: end };
}

function encodeInteger(scalar: Uint8Array): Uint8Array {
  let start = 0;
  while (start < scalar.length - 1 && scalar[start] === 0) start++;
  const body = scalar.subarray(start);
  const pad = ((body[0] ?? 0) & 0x80) !== 0 ? 1 : 0;
  const out = new Uint8Array(2 + pad + body.length);
  out[0] = 0x02;
  out[1] = pad + body.length;
  out.set(body, 2 + pad);
  return out;
}
