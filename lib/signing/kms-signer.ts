import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type {
  EcKeyPurpose,
  EcPublicJwk,
  KeyPurpose,
  PublicJwk,
  WitnessPublicJwk,
} from '../../contracts/keys.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { derToJose } from './der.ts';
import { publicJwkOf, witnessJwkOf } from './public-jwk.ts';
import type { KeyRing, Signer, WitnessSigner } from './signer.ts';

export interface KmsSignerOptions {
  /**
   * How long one Sign may take, SDK retries included, before the signer gives up with
   * DEPENDENCY_UNAVAILABLE. The SDK sets no timeout of its own: a KMS that stops answering would
   * hold every call that signs.
   */
  signTimeoutMs?: number;
}

/** A KMS Sign answers in tens of milliseconds; a second means KMS is in trouble. */
const DEFAULT_SIGN_TIMEOUT_MS = 1000;

/**
 * A signer over an AWS KMS asymmetric key (`ECC_NIST_P256`, `SIGN_VERIFY`). The message is hashed
 * here and KMS signs the digest (`MessageType: DIGEST`), so messages of any size cost one small
 * call. The public key is read once, at creation.
 */
export class KmsSigner implements Signer {
  readonly kid: string;

  private constructor(
    private readonly client: KMSClient,
    /** The key ARN KMS reported: an alias moved later cannot make us sign with an unpublished key. */
    readonly keyArn: string,
    readonly purpose: EcKeyPurpose,
    readonly publicJwk: EcPublicJwk,
    private readonly signTimeoutMs: number,
  ) {
    this.kid = publicJwk.kid;
  }

  static async create(
    client: KMSClient,
    keyId: string,
    purpose: EcKeyPurpose,
    options: KmsSignerOptions = {},
  ): Promise<KmsSigner> {
    const { keyArn, publicJwk } = await readKmsPublicKey(client, keyId, purpose);
    if (publicJwk.kty !== 'EC') throw new TypeError(`the ${purpose} key is a P-256 key`);
    return new KmsSigner(
      client,
      keyArn,
      purpose,
      publicJwk,
      options.signTimeoutMs ?? DEFAULT_SIGN_TIMEOUT_MS,
    );
  }

  async signDer(message: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(message).digest();
    const signature = await kmsSign(this.client, this.signTimeoutMs, this.purpose, {
      KeyId: this.keyArn,
      Message: digest,
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    try {
      derToJose(signature);
    } catch (err) {
      throw new DependencyUnavailableError(`KMS signing with the ${this.purpose} key`, err);
    }
    return signature;
  }
}

/**
 * The witness signer over an AWS KMS key of spec `ECC_NIST_EDWARDS25519` (`SIGN_VERIFY`): pure
 * Ed25519 (`ED25519_SHA_512`, `MessageType: RAW`) over the cosignature/v1 message itself, a few
 * hundred bytes. KMS answers the 64-byte RFC 8032 signature.
 */
export class KmsWitnessSigner implements WitnessSigner {
  readonly purpose = 'witness' as const;
  readonly kid: string;

  private constructor(
    private readonly client: KMSClient,
    readonly keyArn: string,
    readonly publicJwk: WitnessPublicJwk,
    private readonly signTimeoutMs: number,
  ) {
    this.kid = publicJwk.kid;
  }

  static async create(
    client: KMSClient,
    keyId: string,
    options: KmsSignerOptions = {},
  ): Promise<KmsWitnessSigner> {
    const { keyArn, publicJwk } = await readKmsPublicKey(client, keyId, 'witness');
    if (publicJwk.kty !== 'OKP') throw new TypeError('the witness key is an Ed25519 key');
    return new KmsWitnessSigner(client, keyArn, publicJwk, options.signTimeoutMs ?? DEFAULT_SIGN_TIMEOUT_MS);
  }

  async signEd25519(message: Uint8Array): Promise<Uint8Array> {
    const signature = await kmsSign(this.client, this.signTimeoutMs, 'witness', {
      KeyId: this.keyArn,
      Message: message,
      MessageType: 'RAW',
      SigningAlgorithm: 'ED25519_SHA_512',
    });
    if (signature.length !== 64) {
      throw new DependencyUnavailableError(
        'KMS signing with the witness key',
        new Error(`KMS answered ${signature.length} bytes, not a 64-byte Ed25519 signature`),
      );
    }
    return signature;
  }
}

/** One KMS Sign within `timeoutMs`, SDK retries included; DEPENDENCY_UNAVAILABLE otherwise. */
async function kmsSign(
  client: KMSClient,
  timeoutMs: number,
  purpose: KeyPurpose,
  input: ConstructorParameters<typeof SignCommand>[0],
): Promise<Uint8Array> {
  let signature: Uint8Array | undefined;
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error(`KMS Sign did not answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    // The race holds even if a handler ignores the abort signal.
    const out = await Promise.race([
      client.send(new SignCommand(input), { abortSignal: abort.signal }),
      new Promise<never>((_, reject) => {
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
      }),
    ]);
    signature = out.Signature;
  } catch (err) {
    throw new DependencyUnavailableError(`KMS signing with the ${purpose} key`, err);
  } finally {
    clearTimeout(timer);
  }
  if (!signature) {
    throw new DependencyUnavailableError(
      `KMS signing with the ${purpose} key`,
      new Error('no signature in the response'),
    );
  }
  return signature;
}

/** The KMS keys a function was given, by purpose; each is checked and its public key read once. */
export async function createKmsKeyRing(
  client: KMSClient,
  keyIds: Readonly<Partial<Record<KeyPurpose, string>>>,
  options: KmsSignerOptions = {},
): Promise<Partial<KeyRing>> {
  const entries = Object.entries(keyIds) as [KeyPurpose, string][];
  const signers = await Promise.all(
    entries.map(([purpose, keyId]) =>
      purpose === 'witness'
        ? KmsWitnessSigner.create(client, keyId, options)
        : KmsSigner.create(client, keyId, purpose, options),
    ),
  );
  return Object.fromEntries(signers.map((s) => [s.purpose, s]));
}

/**
 * The public key of a KMS key for `purpose`, checked to be a P-256 signing key offering
 * ECDSA_SHA_256, with the key ARN KMS reported. Signers use it, and so does the JWKS for the
 * keys of earlier generations, which are published but never sign.
 */
export async function readKmsPublicKey(
  client: KMSClient,
  keyId: string,
  purpose: KeyPurpose,
): Promise<{ keyArn: string; publicJwk: PublicJwk }> {
  let out: Awaited<ReturnType<typeof getPublicKey>>;
  try {
    out = await getPublicKey(client, keyId);
  } catch (err) {
    throw new DependencyUnavailableError(`KMS (reading the ${purpose} public key)`, err);
  }
  const witness = purpose === 'witness';
  const spec = witness ? 'ECC_NIST_EDWARDS25519' : 'ECC_NIST_P256';
  const algorithm = witness ? 'ED25519_SHA_512' : 'ECDSA_SHA_256';
  if (out.KeySpec !== spec) {
    throw new Error(
      `KMS key ${keyId} (${purpose}) has KeySpec ${out.KeySpec ?? 'unknown'}; expected ${spec}`,
    );
  }
  if (out.KeyUsage !== 'SIGN_VERIFY') {
    throw new Error(
      `KMS key ${keyId} (${purpose}) has KeyUsage ${out.KeyUsage ?? 'unknown'}; expected SIGN_VERIFY`,
    );
  }
  if (out.SigningAlgorithms && !out.SigningAlgorithms.includes(algorithm)) {
    throw new Error(`KMS key ${keyId} (${purpose}) does not offer ${algorithm}`);
  }
  if (!out.PublicKey) throw new Error(`KMS returned no public key for ${keyId}`);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
  } catch {
    throw new Error(`KMS returned a public key for ${keyId} that is not a DER SubjectPublicKeyInfo`);
  }
  const keyArn = out.KeyId ?? keyId;
  if (witness) return { keyArn, publicJwk: await witnessJwkOf(publicKey) };
  return { keyArn, publicJwk: await publicJwkOf(publicKey, purpose) };
}

function getPublicKey(client: KMSClient, keyId: string) {
  return client.send(new GetPublicKeyCommand({ KeyId: keyId }));
}
