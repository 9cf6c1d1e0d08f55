import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mod37_36Check } from '../../../contracts/codes/index.ts';
import { ALNUM, substitute, substitution } from './arbitraries.ts';

const payloadArb = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 80 });
const isValid = (checked: string) => mod37_36Check(checked.slice(0, -1)) === checked.slice(-1);

/**
 * The hybrid system's one blind spot for adjacent transpositions: with running state p before
 * the pair, swapping values a and b goes unnoticed exactly when {p+a, p+b} = {18, 19} mod 36.
 * The state is recovered from the check of the prefix: check = (1 - p) mod 36.
 */
function isBlindSpot(prefix: string, a: string, b: string): boolean {
  const p = 1 - ALNUM.indexOf(mod37_36Check(prefix));
  const sums = [p + ALNUM.indexOf(a), p + ALNUM.indexOf(b)]
    .map((s) => ((s % 36) + 36) % 36)
    .sort((x, y) => x - y);
  return sums[0] === 18 && sums[1] === 19;
}

describe('mod37_36Check', () => {
  it('computes the check of identifiers in circulation', () => {
    expect(mod37_36Check('11100000000013338W01111430000006122244L20230000403001')).toBe('U');
    expect(mod37_36Check('11100000000013338W00911330105002500287C2025052201002')).toBe('0');
  });

  it('maps check values 10-35 to letters and an empty payload to 1', () => {
    expect(mod37_36Check('Z9')).toMatch(/^[0-9A-Z]$/);
    expect(mod37_36Check('')).toBe('1');
  });

  it.each(['a', '-', ' ', '.', 'É'])('throws a TypeError on the character %j', (ch) => {
    expect(() => mod37_36Check(`12${ch}3`)).toThrow(TypeError);
  });

  it('detects every single substitution', () => {
    fc.assert(
      fc.property(
        payloadArb.chain((payload) => fc.tuple(fc.constant(payload), substitution(payload.length + 1))),
        ([payload, [index, shift]]) => {
          const checked = payload + mod37_36Check(payload);

          expect(isValid(substitute(checked, index, shift))).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('detects every transposition of adjacent different characters outside the blind spot', () => {
    fc.assert(
      fc.property(
        payloadArb.chain((payload) =>
          fc.tuple(fc.constant(payload), fc.integer({ min: 0, max: payload.length - 1 })),
        ),
        ([payload, i]) => {
          const checked = payload + mod37_36Check(payload);
          const [a, b] = [checked.charAt(i), checked.charAt(i + 1)];
          fc.pre(a !== b);

          const swapped = checked.slice(0, i) + b + a + checked.slice(i + 2);

          expect(isValid(swapped)).toBe(isBlindSpot(checked.slice(0, i), a, b));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('misses the blind-spot transposition, as ISO/IEC 7064 hybrid systems do', () => {
    // From the start state 36, I (18) and J (19) land on 18 and 19.
    expect(isBlindSpot('', 'I', 'J')).toBe(true);
    expect(mod37_36Check('IJ')).toBe(mod37_36Check('JI'));
  });

  it('has a blind spot of one adjacent pair in 630 for every state', () => {
    let missed = 0;
    for (const a of ALNUM) {
      for (const b of ALNUM) {
        if (a !== b && mod37_36Check(`${a}${b}`) === mod37_36Check(`${b}${a}`)) missed++;
      }
    }
    // Ordered pairs: {I,J} both ways out of 36 * 35.
    expect(missed).toBe(2);
  });
});
