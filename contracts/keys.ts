import { z } from 'zod';
import { selfNamed, type ValueOf } from './code-list.ts';

/** The three signing purposes of a province (docs/protocol.md §3.1). A key signs for exactly one. */
export const KeyPurpose = selfNamed('credential', 'gateway', 'audit');
export type KeyPurpose = ValueOf<typeof KeyPurpose>;
export const KeyPurposeSchema = z.enum(KeyPurpose);

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url');

/** A published P-256 public key as it appears in `/.well-known/jwks.json` and the registry. */
export const PublicJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: b64url.length(43),
  y: b64url.length(43),
  kid: z.string().min(1),
  alg: z.literal('ES256'),
  use: z.literal('sig'),
  purpose: KeyPurposeSchema,
});
export type PublicJwk = z.infer<typeof PublicJwkSchema>;

export const JwksSchema = z.object({ keys: z.array(PublicJwkSchema) });
export type Jwks = z.infer<typeof JwksSchema>;
