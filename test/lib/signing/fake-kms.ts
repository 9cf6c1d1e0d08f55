import { createECDH, createHash, createPublicKey, type KeyObject, sign } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  KMSClient,
  type KMSClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { ed25519PrivateKey, generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';

/** P-256 group order. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export interface FakeKey {
  arn: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A P-256 key, or (`ed25519`) an Ed25519 key of spec ECC_NIST_EDWARDS25519 as the witness key is. */
export function fakeKey(name: string, spec: 'p256' | 'ed25519' = 'p256'): FakeKey {
  const privateKey = spec === 'ed25519' ? ed25519PrivateKey() : generateP256PrivateKey();
  const publicKey = createPublicKey(privateKey);
  return { arn: `arn:aws-cn:kms:cn-north-1:111122223333:key/${name}`, privateKey, publicKey };
}

/**
 * A KMS client whose keys are real P-256 keys: GetPublicKey returns the DER SPKI and Sign signs the
 * DIGEST it is given, as KMS does, so what it signs verifies against the published key. Looks keys
 * up by the ARN or by `alias/<name>`.
 */
export function fakeKms(keys: FakeKey[], overrides: Partial<GetPublicKeyCommandOutput> = {}) {
  const client = new KMSClient({
    region: 'cn-north-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(client);
  answerAsKms(mock, keys, { overrides: () => overrides });
  return { client, mock };
}

export interface AnswerAsKmsOptions {
  /** Changes to a key's GetPublicKey answer (a wrong KeySpec, say), by its ARN. */
  overrides?: (arn: string) => Partial<GetPublicKeyCommandOutput> | undefined;
  /** Records the KeyId of every call. */
  calls?: { getPublicKey: string[]; sign: string[] };
}

/**
 * Makes a mocked KMS client answer GetPublicKey and Sign as KMS does, over real P-256 keys found by
 * ARN or by `alias/<name>`: Sign takes only a SHA-256 DIGEST and returns a DER signature; an
 * Ed25519 key signs only RAW messages with ED25519_SHA_512.
 */
export function answerAsKms(
  mock: AwsStub<ServiceInputTypes, ServiceOutputTypes, KMSClientResolvedConfig>,
  keys: readonly FakeKey[],
  options: AnswerAsKmsOptions = {},
) {
  const find = (keyId: unknown) => {
    const key = keys.find((k) => k.arn === keyId || `alias/${k.arn.split('/').pop()}` === keyId);
    if (!key)
      throw Object.assign(new Error(`Key '${String(keyId)}' does not exist`), { name: 'NotFoundException' });
    return key;
  };
  mock.on(GetPublicKeyCommand).callsFake((input: { KeyId?: string }): GetPublicKeyCommandOutput => {
    options.calls?.getPublicKey.push(String(input.KeyId));
    const key = find(input.KeyId);
    const ed25519 = key.publicKey.asymmetricKeyType === 'ed25519';
    return {
      $metadata: {},
      KeyId: key.arn,
      PublicKey: new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' })),
      KeySpec: ed25519 ? 'ECC_NIST_EDWARDS25519' : 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ed25519 ? ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] : ['ECDSA_SHA_256'],
      ...options.overrides?.(key.arn),
    };
  });
  mock.on(SignCommand).callsFake((input: SignCommandInput) => {
    options.calls?.sign.push(String(input.KeyId));
    const edKey = find(input.KeyId);
    if (edKey.publicKey.asymmetricKeyType === 'ed25519') {
      // Pure Ed25519 takes the message itself (RAW); KMS answers the 64-byte RFC 8032 signature.
      if (input.MessageType !== 'RAW' || input.SigningAlgorithm !== 'ED25519_SHA_512' || !input.Message) {
        throw Object.assign(new Error('unexpected Sign input'), { name: 'ValidationException' });
      }
      return {
        KeyId: edKey.arn,
        SigningAlgorithm: 'ED25519_SHA_512',
        Signature: new Uint8Array(sign(null, input.Message, edKey.privateKey)),
      };
    }
    if (
      input.MessageType !== 'DIGEST' ||
      input.SigningAlgorithm !== 'ECDSA_SHA_256' ||
      input.Message?.length !== 32
    ) {
      throw Object.assign(new Error('unexpected Sign input'), { name: 'ValidationException' });
    }
    const key = find(input.KeyId);
    return {
      KeyId: key.arn,
      SigningAlgorithm: 'ECDSA_SHA_256',
      Signature: signDigest(key.privateKey, input.Message),
    };
  });
}

/**
 * ECDSA over a given SHA-256 digest (node:crypto only signs messages). R = kG comes from ECDH
 * with k as the private scalar; the rest is arithmetic modulo the group order.
 */
export function signDigest(privateKey: KeyObject, digest: Uint8Array): Uint8Array {
  const { d } = privateKey.export({ format: 'jwk' });
  const x = toBigInt(Buffer.from(d ?? '', 'base64url'));
  const e = toBigInt(digest) % N;
  for (;;) {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const k = toBigInt(ecdh.getPrivateKey());
    const r = toBigInt(ecdh.getPublicKey().subarray(1, 33)) % N;
    const s = (invert(k) * (e + r * x)) % N;
    if (r !== 0n && s !== 0n) return derSignature(r, s);
  }
}

export function sha256(message: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(message).digest());
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

function invert(a: bigint): bigint {
  let [oldR, r] = [a % N, N];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % N) + N) % N;
}

/** Minimal DER, written independently of lib/signing/der.ts so the two check each other. */
function derSignature(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint) => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
    const body = Buffer.from(hex, 'hex');
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([int(r), int(s)]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, seq.length]), seq]));
}
