import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KeyPurposeSchema } from '../../../contracts/keys.ts';
import type { RegistryProvince } from '../../../contracts/registry.ts';
import { RootKey } from '../../../lib/registry/sign-registry.ts';
import { importPublicKey, thumbprintOf } from '../../../lib/signing/public-jwk.ts';
import { CliError, ExitCode } from '../../errors.ts';
import type { Io } from '../../io.ts';

/**
 * What the registry contract leaves to the signer: every kid the RFC 7638 thumbprint of its key,
 * every key a P-256 point (an Ed25519 key for `witness`), each kid once, and a key for each of the
 * four purposes.
 */
export async function checkEntryKeys(entry: RegistryProvince, where: string): Promise<void> {
  const kids = new Set<string>();
  for (const key of entry.jwks.keys) {
    try {
      importPublicKey(key);
    } catch {
      throw new CliError(
        `${where}: key ${key.kid} is not a ${key.kty === 'OKP' ? 'Ed25519' : 'P-256'} public key`,
        ExitCode.failed,
      );
    }
    const thumbprint = await thumbprintOf(key);
    if (key.kid !== thumbprint) {
      throw new CliError(
        `${where}: kid ${key.kid} is not the RFC 7638 thumbprint of its key (${thumbprint})`,
        ExitCode.failed,
      );
    }
    if (kids.has(key.kid)) throw new CliError(`${where}: kid ${key.kid} is listed twice`, ExitCode.failed);
    kids.add(key.kid);
  }
  const missing = KeyPurposeSchema.options.filter((p) => !entry.jwks.keys.some((k) => k.purpose === p));
  if (missing.length > 0) {
    throw new CliError(
      `${where}: province ${entry.id} publishes no ${missing.join(', ')} key`,
      ExitCode.failed,
    );
  }
}

/** The root private key, read only: a mistyped path must not quietly become a new root. */
export async function readRootKey(file: string, io: Io): Promise<RootKey> {
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) {
    throw new CliError(
      `no root key at ${path} (elg registry root --root-key ${file} --create generates one)`,
      ExitCode.failed,
    );
  }
  // Messages name the file, never its content: it holds the national root private key.
  let jwk: unknown;
  try {
    jwk = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new CliError(`${path} is not JSON; expected the root key as a P-256 private JWK`, ExitCode.failed);
  }
  try {
    return await RootKey.fromPrivateKey(createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }));
  } catch {
    throw new CliError(`${path} is not a P-256 private JWK (kty EC, crv P-256, x, y, d)`, ExitCode.failed);
  }
}
