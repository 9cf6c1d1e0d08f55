import { z } from 'zod';

/** A bare P-256 public JWK (the national root key has no purpose). */
export const PublicJwkBaseSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
