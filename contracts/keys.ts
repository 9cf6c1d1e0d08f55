import { z } from 'zod';
import { selfNamed, type ValueOf } from './code-list.ts';

/**
 * The four purposes of a province's keys (docs/protocol.md §3.1). A key serves exactly one. The
 * first three are P-256 signing keys (ES256); `witness` is the Ed25519 key a province cosigns other
 * provinces' checkpoints with (C2SP tlog-cosignature, docs/protocol.md §19).
 */
export const KeyPurpose = selfNamed('credential', 'gateway', 'audit', 'witness');
export type KeyPurpose = ValueOf<typeof KeyPurpose>;
export const KeyPurposeSchema = z.enum(KeyPurpose);

/** The purposes of the P-256 keys: credentials, signed calls and receipts, checkpoints. */
export type EcKeyPurpose = Exclude<KeyPurpose, 'witness'>;
export const EC_KEY_PURPOSES: readonly EcKeyPurpose[] = ['credential', 'gateway', 'audit'];

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url');

/** A published P-256 public key as it appears in `/.well-known/jwks.json` and the registry. */
export const EcPublicJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: b64url.length(43),
  y: b64url.length(43),
  kid: z.string().min(1),
  alg: z.literal('ES256'),
  use: z.literal('sig'),
  purpose: z.enum(EC_KEY_PURPOSES as [EcKeyPurpose, ...EcKeyPurpose[]]),
});
export type EcPublicJwk = z.infer<typeof EcPublicJwkSchema>;

/** A published Ed25519 witness key (RFC 8037 OKP), kid its RFC 7638 thumbprint. */
export const WitnessPublicJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: b64url.length(43),
  kid: z.string().min(1),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
  purpose: z.literal('witness'),
});
export type WitnessPublicJwk = z.infer<typeof WitnessPublicJwkSchema>;

/** Any published key of a province: a P-256 key of its three signing purposes, or its witness key. */
export const PublicJwkSchema = z.discriminatedUnion('kty', [EcPublicJwkSchema, WitnessPublicJwkSchema]);
export type PublicJwk = z.infer<typeof PublicJwkSchema>;

export const JwksSchema = z.object({ keys: z.array(PublicJwkSchema) });
export type Jwks = z.infer<typeof JwksSchema>;
