import { type KeyObject, sign } from 'node:crypto';
import { z } from 'zod';
import type { WitnessPublicJwk } from '../../contracts/keys.ts';
import { type KeyKind, loadOrCreateKeyFile } from './key-file.ts';
import { ed25519PrivateKey, ed25519PublicKeyOf, witnessJwkOf } from './public-jwk.ts';
import type { WitnessSigner } from './signer.ts';

/** A witness signer over an Ed25519 private key held in this process (embedded mode, tests). */
export class LocalWitnessSigner implements WitnessSigner {
  readonly purpose = 'witness' as const;
  readonly kid: string;

  private constructor(
    readonly publicJwk: WitnessPublicJwk,
    private readonly privateKey: KeyObject,
  ) {
    this.kid = publicJwk.kid;
  }

  static async create(privateKey: KeyObject): Promise<LocalWitnessSigner> {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new TypeError('a witness key is an Ed25519 private key');
    }
    return new LocalWitnessSigner(await witnessJwkOf(privateKey), privateKey);
  }

  async signEd25519(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign(null, message, this.privateKey));
  }
}

const b64url32 = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .length(43);
const PrivateOkpFileSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: b64url32,
  d: b64url32,
});

const ED25519: KeyKind = {
  description: 'an Ed25519 private JWK (kty OKP, crv Ed25519, x, d)',
  generate: () => ed25519PrivateKey(),
  members(key) {
    const { kty, crv, x, d } = key.export({ format: 'jwk' });
    return { kty, crv, x, d };
  },
  read(json) {
    const parsed = PrivateOkpFileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`is not ${ED25519.description}`);
    // Made from d alone: node:crypto would take an x that is not d's public key as it is, and the
    // province would publish a key it does not sign with.
    const key = ed25519PrivateKey(Buffer.from(parsed.data.d, 'base64url'));
    if (ed25519PublicKeyOf(key).x !== parsed.data.x) {
      throw new Error('holds an Ed25519 key whose public member x does not belong to the private key d');
    }
    return key;
  },
};

/**
 * The witness signer from an Ed25519 private JWK file (mode 0600), generating and saving the key on
 * first use; like the P-256 key files, the file appears atomically and is never overwritten.
 */
export async function loadOrCreateWitnessKey(file: string): Promise<LocalWitnessSigner> {
  return LocalWitnessSigner.create(await loadOrCreateKeyFile(file, ED25519));
}
