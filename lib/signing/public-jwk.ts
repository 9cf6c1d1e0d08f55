import { createECDH, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { type KeyPurpose, type PublicJwk, PublicJwkSchema } from '../../contracts/keys.ts';

/** The bare P-256 public key members, the input of an RFC 7638 thumbprint. */
export interface P256PublicKey {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** The x/y coordinates of a P-256 public (or private) KeyObject; TypeError for any other key. */
export function p256PublicKeyOf(key: KeyObject): P256PublicKey {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError('expected a P-256 (prime256v1) EC key');
  }
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string')
    throw new TypeError('EC key without coordinates');
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/**
 * Throws TypeError unless `key` is a P-256 private key whose public point x/y is derived from d.
 * node:crypto imports a JWK with mismatched x/y as is: it would sign with d but publish another key.
 */
export function assertP256KeyPair(key: KeyObject): void {
  const { x, y } = p256PublicKeyOf(key);
  const { d } = key.type === 'private' ? key.export({ format: 'jwk' }) : {};
  if (typeof d !== 'string') throw new TypeError('expected a P-256 private key');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(d, 'base64url'));
  const point = ecdh.getPublicKey();
  if (point.subarray(1, 33).toString('base64url') !== x || point.subarray(33).toString('base64url') !== y) {
    throw new TypeError('the public coordinates x/y do not belong to the private key d');
  }
}

/** RFC 7638 thumbprint (SHA-256, base64url): the `kid` of every key in this system. */
export function thumbprintOf(key: P256PublicKey): Promise<string> {
  const { kty, crv, x, y } = key;
  return calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
}

/** The published form of a key: thumbprint kid, ES256, sig, and its one purpose. */
export async function publicJwkOf(key: KeyObject, purpose: KeyPurpose): Promise<PublicJwk> {
  const bare = p256PublicKeyOf(key);
  return PublicJwkSchema.parse({ ...bare, kid: await thumbprintOf(bare), alg: 'ES256', use: 'sig', purpose });
}

/** A KeyObject for jose verification; only the key members are imported, never alg/use/purpose. */
export function importPublicKey(jwk: P256PublicKey): KeyObject {
  const { kty, crv, x, y } = jwk;
  return createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
}

/**
 * A new P-256 private key, made with ECDH key generation and imported from its JWK, never through
 * generateKeyPair(Sync). Node 20 can deadlock when the garbage collector destroys a key generation
 * job while a key it made is being exported (the job's destructor waits for the key's lock, held by
 * the export on the same thread): a test run hung for good that way. An imported key has no job.
 */
export function generateP256PrivateKey(): KeyObject {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const d = Buffer.alloc(32);
  const raw = ecdh.getPrivateKey();
  raw.copy(d, 32 - raw.length);
  const point = ecdh.getPublicKey();
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
      d: d.toString('base64url'),
    },
    format: 'jwk',
  });
}
