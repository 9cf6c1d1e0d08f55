import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { type JSONWebKeySet, SignJWT } from 'jose';
import type { Role } from '../../contracts/auth.ts';
import { loadOrCreatePrivateKey } from '../signing/key-file.ts';
import { p256PublicKeyOf, thumbprintOf } from '../signing/public-jwk.ts';

export interface MintOptions {
  sub: string;
  roles: Role[];
  uscc?: string;
  name?: string;
  /** For a holder token (role `holder`): who the holder is. */
  holder?: { typeCode: string; code: string };
  ttlSeconds: number;
  issuer: string;
  audience: string;
  /** Issue time; defaults to now. Tests pass their frozen clock's time. */
  now?: Date;
}

/**
 * A stand-in for a province's identity provider in embedded mode and tests: one P-256 key kept
 * in a file, its JWKS, and ES256 bearer tokens carrying `roles` (and `uscc` for issuers,
 * `holderType` and `holderCode` for holders).
 */
export class DevIdentityProvider {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly kid: string,
    readonly jwks: JSONWebKeySet,
  ) {}

  static async loadOrCreate(file: string): Promise<DevIdentityProvider> {
    const privateKey = await loadOrCreatePrivateKey(file);
    const publicKey = p256PublicKeyOf(privateKey);
    const kid = await thumbprintOf(publicKey);
    return new DevIdentityProvider(privateKey, kid, {
      keys: [{ ...publicKey, kid, alg: 'ES256', use: 'sig' }],
    });
  }

  async mint(options: MintOptions): Promise<string> {
    if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0) {
      throw new TypeError('ttlSeconds must be a positive integer');
    }
    const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
    return new SignJWT({
      roles: options.roles,
      ...(options.uscc === undefined ? {} : { uscc: options.uscc }),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.holder === undefined
        ? {}
        : { holderType: options.holder.typeCode, holderCode: options.holder.code }),
    })
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setSubject(options.sub)
      .setIssuer(options.issuer)
      .setAudience(options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + options.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }
}
