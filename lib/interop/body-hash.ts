import { createHash } from 'node:crypto';

/** `bsh`: base64url SHA-256 of the exact body bytes (empty body included). */
export function bodyHash(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}
