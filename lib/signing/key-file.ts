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

/**
 * A P-256 private key kept as a JWK file (mode 0600, directories 0700): read if it exists,
 * otherwise generated and written, so the next start finds the same key. The file appears
 * atomically and is never overwritten, so two processes starting together end up with one key.
 */
export async function loadOrCreatePrivateKey(file: string): Promise<KeyObject> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const privateKey = generateP256PrivateKey();
  const { kty, crv, x, y, d } = privateKey.export({ format: 'jwk' });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify({ kty, crv, x, y, d })}\n`, { mode: 0o600, flag: 'wx' });
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
    throw new Error(`${file} is not JSON; expected a P-256 private JWK`);
  }
  const parsed = PrivateJwkFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not a P-256 private JWK (kty EC, crv P-256, x, y, d)`);
  try {
    const key = createPrivateKey({ key: parsed.data, format: 'jwk' });
    assertP256KeyPair(key);
    return key;
  } catch {
    throw new Error(`${file} holds an invalid P-256 key pair (x/y must belong to the private key d)`);
  }
}
