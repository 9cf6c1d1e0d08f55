import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { assertP256KeyPair, generateP256PrivateKey } from './public-jwk.ts';

const b64url32 = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .length(43);
const PrivateJwkFileSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: b64url32,
  y: b64url32,
  d: b64url32,
});

/** How a kind of private key is made, written and checked in its JWK file. */
interface KeyKind {
  /** What the file must be, in messages: "a P-256 private JWK (kty EC, crv P-256, x, y, d)". */
  description: string;
  generate(): KeyObject;
  /** The members written to the file. */
  members(key: KeyObject): Record<string, unknown>;
  /** The key in a parsed file; throws with a message naming what is wrong, never the content. */
  read(json: unknown): KeyObject;
}

const P256: KeyKind = {
  description: 'a P-256 private JWK (kty EC, crv P-256, x, y, d)',
  generate: generateP256PrivateKey,
  members(key) {
    const { kty, crv, x, y, d } = key.export({ format: 'jwk' });
    return { kty, crv, x, y, d };
  },
  read(json) {
    const parsed = PrivateJwkFileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`is not ${P256.description}`);
    try {
      const key = createPrivateKey({ key: parsed.data, format: 'jwk' });
      assertP256KeyPair(key);
      return key;
    } catch {
      throw new Error('holds an invalid P-256 key pair (x/y must belong to the private key d)');
    }
  },
};

/**
 * A P-256 private key kept as a JWK file (mode 0600, directories 0700): read if it exists,
 * otherwise generated and written, so the next start finds the same key. The file appears
 * atomically and is never overwritten, so two processes starting together end up with one key.
 */
export function loadOrCreatePrivateKey(file: string): Promise<KeyObject> {
  return loadOrCreateKeyFile(file, P256);
}

/** A private key of `kind` kept as a JWK file, as loadOrCreatePrivateKey keeps a P-256 one. */
export async function loadOrCreateKeyFile(file: string, kind: KeyKind): Promise<KeyObject> {
  const existing = await readKeyFile(file, kind);
  if (existing) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const privateKey = kind.generate();
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(kind.members(privateKey))}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return privateKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const winner = await readKeyFile(file, kind);
    if (!winner) throw err;
    return winner;
  } finally {
    await unlink(temp);
  }
}

export type { KeyKind };

async function readKeyFile(file: string, kind: KeyKind): Promise<KeyObject | undefined> {
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
    throw new Error(`${file} is not JSON; expected ${kind.description}`);
  }
  try {
    return kind.read(json);
  } catch (err) {
    throw new Error(`${file} ${err instanceof Error ? err.message : 'holds an invalid key'}`);
  }
}
