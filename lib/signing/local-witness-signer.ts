import { createPrivateKey, type KeyObject, randomBytes, sign } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { WitnessPublicJwk } from '../../contracts/keys.ts';
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

/**
 * The witness signer from an Ed25519 private JWK file (mode 0600), generating and saving the key on
 * first use; like the P-256 key files, the file appears atomically and is never overwritten.
 */
export async function loadOrCreateWitnessKey(file: string): Promise<LocalWitnessSigner> {
  return LocalWitnessSigner.create(await loadOrCreateEd25519Key(file));
}

async function loadOrCreateEd25519Key(file: string): Promise<KeyObject> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const privateKey = ed25519PrivateKey();
  const { kty, crv, x, d } = privateKey.export({ format: 'jwk' });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify({ kty, crv, x, d })}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return privateKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readKeyFile(file);
    if (!winner) throw err;
    return winner;
  } finally {
    await unlink(temp);
  }
}

async function readKeyFile(file: string): Promise<KeyObject | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // The messages name the file, never its content: it holds a private key.
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON; expected an Ed25519 private JWK`);
  }
  const parsed = PrivateOkpFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not an Ed25519 private JWK (kty OKP, crv Ed25519, x, d)`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: parsed.data, format: 'jwk' });
  } catch {
    throw new Error(`${file} holds an invalid Ed25519 key`);
  }
  // node:crypto takes x as given: a file whose x is not d's public key would publish another key.
  const derived = ed25519PublicKeyOf(ed25519PrivateKey(Buffer.from(parsed.data.d, 'base64url'))).x;
  if (derived !== parsed.data.x)
    throw new Error(`${file}: the public member x does not belong to the private key d`);
  return key;
}
