import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildIdentifier, mod37_36Check, parseIdentifier } from '../../../contracts/codes/index.ts';
import { ALNUM, identifierPartsArb, substitute, substitution } from './arbitraries.ts';

const ROOT = '1.2.156.3005.2.';

/** The checked string (type + issuer + serial + version + check) and its segment lengths. */
function checkedOf(identifier: string): { checked: string; lengths: number[] } {
  const segments = identifier.slice(ROOT.length).split('.');
  return { checked: segments.join(''), lengths: segments.map((s) => s.length) };
}

/** Puts the dots back at the same places, so only the characters differ. */
function rebuild(checked: string, lengths: number[]): string {
  const segments: string[] = [];
  let at = 0;
  for (const n of lengths) {
    segments.push(checked.slice(at, at + n));
    at += n;
  }
  return ROOT + segments.join('.');
}

const withError = <T>(arb: fc.Arbitrary<T>) =>
  identifierPartsArb.map(buildIdentifier).chain((identifier) => fc.tuple(fc.constant(identifier), arb));

describe('identifier error detection', () => {
  it('catches any single substitution in the checked characters', () => {
    const checkedLength = (id: string) => checkedOf(id).checked.length;
    fc.assert(
      fc.property(
        identifierPartsArb
          .map(buildIdentifier)
          .chain((id) => fc.tuple(fc.constant(id), substitution(checkedLength(id)))),
        ([identifier, [index, shift]]) => {
          const { checked, lengths } = checkedOf(identifier);

          const mistyped = rebuild(substitute(checked, index, shift), lengths);

          expect(parseIdentifier(mistyped).ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('catches transposed adjacent characters unless they fall in the MOD 37,36 blind spot', () => {
    fc.assert(
      fc.property(withError(fc.nat()), ([identifier, n]) => {
        const { checked, lengths } = checkedOf(identifier);
        const i = n % (checked.length - 1);
        const [a, b] = [checked.charAt(i), checked.charAt(i + 1)];
        fc.pre(a !== b);
        const p = 1 - ALNUM.indexOf(mod37_36Check(checked.slice(0, i)));
        const sums = [p + ALNUM.indexOf(a), p + ALNUM.indexOf(b)].map((s) => ((s % 36) + 36) % 36);
        fc.pre(!(sums.includes(18) && sums.includes(19)));

        const swapped = rebuild(checked.slice(0, i) + b + a + checked.slice(i + 2), lengths);

        expect(parseIdentifier(swapped).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
