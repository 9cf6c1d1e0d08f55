import type { KeyPurpose, PublicJwk } from '../../contracts/keys.ts';

/**
 * The signer port: one P-256 key for one purpose. Adapters: a local key (embedded mode) and an
 * AWS KMS key. Callers never see which one signs.
 */
export interface Signer {
  readonly purpose: KeyPurpose;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** Public key with kid, alg ES256, use sig and purpose. */
  readonly publicJwk: PublicJwk;
  /** ECDSA P-256 over SHA-256(message); the signature in DER, as KMS returns it. */
  signDer(message: Uint8Array): Promise<Uint8Array>;
}

/** A province's three signers by purpose. */
export type KeyRing = Readonly<Record<KeyPurpose, Signer>>;
