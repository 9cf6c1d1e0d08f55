import type { EcKeyPurpose, EcPublicJwk, KeyPurpose, WitnessPublicJwk } from '../../contracts/keys.ts';

/**
 * The signer port: one P-256 key for one purpose. Adapters: a local key (embedded mode) and an
 * AWS KMS key. Callers never see which one signs.
 */
export interface Signer {
  readonly purpose: EcKeyPurpose;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** Public key with kid, alg ES256, use sig and purpose. */
  readonly publicJwk: EcPublicJwk;
  /** ECDSA P-256 over SHA-256(message); the signature in DER, as KMS returns it. */
  signDer(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * The witness key's signer port: Ed25519 (a KMS key of spec ECC_NIST_EDWARDS25519, or a local
 * key in embedded mode), signing cosignature/v1 messages (lib/witness/cosignature.ts).
 */
export interface WitnessSigner {
  readonly purpose: 'witness';
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** Public key with kid, alg EdDSA, use sig and purpose witness. */
  readonly publicJwk: WitnessPublicJwk;
  /** Pure Ed25519 (RFC 8032) over the message itself: the 64-byte signature. */
  signEd25519(message: Uint8Array): Promise<Uint8Array>;
}

/** The signer of a purpose: the witness key signs Ed25519, the others ECDSA P-256. */
export type SignerOf<P extends KeyPurpose> = P extends 'witness' ? WitnessSigner : Signer;

/** A province's four signers by purpose. */
export type KeyRing = { readonly [P in KeyPurpose]: SignerOf<P> };

/** Any one of a province's signers. */
export type AnySigner = Signer | WitnessSigner;
