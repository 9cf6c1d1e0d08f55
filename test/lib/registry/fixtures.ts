import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryClaims, RegistryProvince } from '../../../contracts/registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';

export const tempDir = () => mkdtemp(join(tmpdir(), 'elg-registry-'));

export async function province(
  id: string,
  overrides: Partial<RegistryProvince> = {},
): Promise<{ entry: RegistryProvince; keys: KeyRing }> {
  const keys = await loadLocalKeyRing(join(await tempDir(), id));
  return {
    keys,
    entry: {
      id,
      name: `province ${id}`,
      baseUrl: `https://gw-${id}.example`,
      jwks: jwksOf(keys),
      status: 'active',
      ...overrides,
    },
  };
}

export function claims(seq: number, provinces: RegistryProvince[]): RegistryClaims {
  return { iss: 'elg-national-root', iat: 1_780_000_000 + seq, seq, provinces };
}
