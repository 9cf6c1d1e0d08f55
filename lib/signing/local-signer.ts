import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { EcKeyPurpose, EcPublicJwk } from '../../contracts/keys.ts';
import { loadOrCreatePrivateKey } from './key-file.ts';
import { loadOrCreateWitnessKey } from './local-witness-signer.ts';
import { assertP256KeyPair, publicJwkOf } from './public-jwk.ts';
import type { KeyRing, Signer } from './signer.ts';

/** A signer over a P-256 private key held in this process (embedded mode, tests). */
export class LocalSigner implements Signer {
  readonly kid: string;

  private constructor(
    readonly purpose: EcKeyPurpose,
    readonly publicJwk: EcPublicJwk,
    private readonly privateKey: KeyObject,
  ) {
    this.kid = publicJwk.kid;
  }

  /** From a P-256 private KeyObject or private JWK (`kty EC, crv P-256, x, y, d`). */
  static async create(privateKey: KeyObject | JWK, purpose: EcKeyPurpose): Promise<LocalSigner> {
    const key = isKeyObject(privateKey) ? privateKey : importPrivateJwk(privateKey);
    assertP256KeyPair(key);
    return new LocalSigner(purpose, await publicJwkOf(key, purpose), key);
  }

  async signDer(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' }));
  }
}

/** The signer for `purpose` from a private JWK file, generating and saving the key on first use. */
export async function loadOrCreateLocalKey(file: string, purpose: EcKeyPurpose): Promise<LocalSigner> {
  return LocalSigner.create(await loadOrCreatePrivateKey(file), purpose);
}

/**
 * A province's four local keys: `<dir>/credential.jwk`, `gateway.jwk`, `audit.jwk` (P-256) and
 * `witness.jwk` (Ed25519).
 */
export async function loadLocalKeyRing(dir: string): Promise<KeyRing> {
  const [credential, gateway, audit, witness] = await Promise.all([
    loadOrCreateLocalKey(join(dir, 'credential.jwk'), 'credential'),
    loadOrCreateLocalKey(join(dir, 'gateway.jwk'), 'gateway'),
    loadOrCreateLocalKey(join(dir, 'audit.jwk'), 'audit'),
    loadOrCreateWitnessKey(join(dir, 'witness.jwk')),
  ]);
  return { credential, gateway, audit, witness };
}

function isKeyObject(key: KeyObject | JWK): key is KeyObject {
  return typeof (key as KeyObject).export === 'function';
}

function importPrivateJwk(jwk: JWK): KeyObject {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new TypeError('expected a P-256 private JWK (kty EC, crv P-256, d)');
  }
  const { kty, crv, x, y, d } = jwk;
  return createPrivateKey({ key: { kty, crv, x, y, d }, format: 'jwk' });
}
