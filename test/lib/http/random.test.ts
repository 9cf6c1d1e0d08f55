import { describe, expect, it } from 'vitest';
import { randomBase64url, randomHex } from '../../../lib/http/random.ts';

describe('random identifiers of the request path', () => {
  it('are of the asked length and alphabet', () => {
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
    expect(randomBase64url(18)).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(randomBase64url(12)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('never repeat, across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(randomHex(16));
    expect(seen.size).toBe(20_000);
  });

  it('refuses draws the pool cannot serve', () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(4097)).toThrow(RangeError);
    expect(() => randomBase64url(1.5)).toThrow(RangeError);
  });
});
