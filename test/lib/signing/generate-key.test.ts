import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assertP256KeyPair, generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';

describe('a new P-256 key, made without a key generation job', () => {
  it('is a P-256 key pair that signs and verifies, its d always 32 bytes (a short scalar padded)', () => {
    const ds = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const key = generateP256PrivateKey();
      expect(() => assertP256KeyPair(key)).not.toThrow();
      const { d } = key.export({ format: 'jwk' });
      expect(d).toHaveLength(43);
      ds.add(d ?? '');
      const sig = sign('sha256', Buffer.from('x'), key);
      expect(verify('sha256', Buffer.from('x'), createPublicKey(key), sig)).toBe(true);
    }
    expect(ds.size).toBe(300);
  });
});
