import { type KeyObject, sign } from 'node:crypto';
import { firstIssue, issuePath } from '../../contracts/issue-text.ts';
import {
  REGISTRY_JWS_TYPE,
  type RegistryClaims,
  RegistryClaimsSchema,
  type RootPublicJwk,
} from '../../contracts/registry.ts';
import { type JwsSigner, signCompactJws } from '../signing/jws.ts';
import { loadOrCreatePrivateKey } from '../signing/key-file.ts';
import { assertP256KeyPair, p256PublicKeyOf, thumbprintOf } from '../signing/public-jwk.ts';

/**
 * The national root key that signs the trust registry: a plain P-256 key, outside any province's
 * three purposes. The local federation keeps it in a file; in production a KMS-backed Signer can
 * sign the registry instead (signRegistry only needs `kid` and `signDer`).
 */
export class RootKey implements JwsSigner {
  readonly kid: string;

  private constructor(
    private readonly privateKey: KeyObject,
    readonly publicJwk: RootPublicJwk & { kid: string },
  ) {
    this.kid = publicJwk.kid;
  }

  static async fromPrivateKey(privateKey: KeyObject): Promise<RootKey> {
    assertP256KeyPair(privateKey);
    const bare = p256PublicKeyOf(privateKey);
    return new RootKey(privateKey, { ...bare, kid: await thumbprintOf(bare), alg: 'ES256', use: 'sig' });
  }

  async signDer(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' }));
  }
}

/** The root key kept as a private JWK file (0600), generated on first use. */
export async function loadOrCreateRootKey(file: string): Promise<RootKey> {
  return RootKey.fromPrivateKey(await loadOrCreatePrivateKey(file));
}

/**
 * The registry as a compact JWS, `typ: elg-registry+jwt`, ES256. Claims that no gateway would
 * accept are a caller bug and throw TypeError rather than being published.
 */
export async function signRegistry(root: JwsSigner, claims: RegistryClaims): Promise<string> {
  const parsed = RegistryClaimsSchema.safeParse(claims);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new TypeError(
      `registry claims do not match the contract: ${issuePath(issue, { root: '' })} ${issue?.message ?? ''}`,
    );
  }
  return signCompactJws(root, { typ: REGISTRY_JWS_TYPE }, parsed.data);
}
