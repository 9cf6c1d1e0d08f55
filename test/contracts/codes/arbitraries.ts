import fc from 'fast-check';
import { citizenIdCheckChar } from '../../../contracts/codes/citizen-id.ts';
import { PROVINCE_CODES } from '../../../contracts/codes/provinces.ts';
import { CENTRAL_AREA_CODE, makeUscc, USCC_CHARSET } from '../../../contracts/codes/uscc.ts';

export const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

const chars = (alphabet: string) => fc.constantFrom(...alphabet);
const digits = (n: number) => fc.string({ unit: chars('0123456789'), minLength: n, maxLength: n });

/** A 6-digit area code inside a known province. */
export const areaCodeArb = fc
  .tuple(fc.constantFrom(...PROVINCE_CODES), digits(4))
  .map(([province, rest]) => province.slice(0, 2) + rest);

export const usccArb = fc
  .tuple(
    chars('0123456789ANY'),
    chars(USCC_CHARSET),
    fc.oneof(areaCodeArb, fc.constant(CENTRAL_AREA_CODE)),
    fc.string({ unit: chars(USCC_CHARSET), minLength: 8, maxLength: 8 }),
  )
  .map(([dept, type, area, body]) => makeUscc(dept + type + area, body));

export const typeCodeArb = fc.tuple(usccArb, digits(3)).map(([uscc, n]) => uscc + n);
export const serialArb = fc.string({ unit: chars(ALNUM), minLength: 1, maxLength: 32 });
export const versionArb = fc.integer({ min: 1, max: 999 }).map((n) => String(n).padStart(3, '0'));

export const identifierPartsArb = fc.record({
  typeCode: typeCodeArb,
  issuerCode: usccArb,
  serial: serialArb,
  version: versionArb,
});

/** Frozen "now" for everything date-dependent. */
export const NOW = new Date('2026-05-01T00:00:00Z');

export const citizenIdArb = fc
  .tuple(
    areaCodeArb,
    fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2026-04-30T00:00:00Z'),
      noInvalidDate: true,
    }),
    digits(3),
  )
  .map(([area, birth, seq]) => {
    const first17 = area + birth.toISOString().slice(0, 10).replaceAll('-', '') + seq;
    return first17 + citizenIdCheckChar(first17);
  });

/** A different character of `alphabet` at a chosen position: a single-substitution error. */
export const substitution = (length: number, alphabet = ALNUM) =>
  fc.tuple(fc.integer({ min: 0, max: length - 1 }), fc.integer({ min: 1, max: alphabet.length - 1 }));

export function substitute(s: string, index: number, shift: number, alphabet = ALNUM): string {
  const current = alphabet.indexOf(s.charAt(index));
  const replacement = alphabet.charAt((current + shift) % alphabet.length);
  return s.slice(0, index) + replacement + s.slice(index + 1);
}
