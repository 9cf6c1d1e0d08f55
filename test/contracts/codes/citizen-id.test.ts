import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CitizenIdSchema,
  citizenIdCheckChar,
  isCitizenId,
  parseCitizenId,
} from '../../../contracts/codes/index.ts';
import { citizenIdArb, NOW, substitute, substitution } from './arbitraries.ts';

/** A citizen ID number with a correct check character over the given 17 digits. */
const idOf = (first17: string) => first17 + citizenIdCheckChar(first17);

describe('parseCitizenId', () => {
  it.each([
    ['11010519491231002X', '110105', '1949-12-31', 'female'],
    ['360426199101010071', '360426', '1991-01-01', 'male'],
  ])('reads %s', (id, areaCode, birthDate, sex) => {
    expect(parseCitizenId(id, NOW)).toEqual({ ok: true, value: { id, areaCode, birthDate, sex } });
  });

  it.each([
    ['a number', 'format', 110105, /must be a string/],
    ['16 characters', 'format', '1101051949123100', /18 characters, got 16/],
    ['a lower-case x', 'format', '11010519491231002x', /upper-case X/],
    ['a letter inside', 'format', '1101051949123A002X', /17 digits/],
    ['an unknown province', 'areaCode', idOf('99010519491231002'), /area code 990105/],
    ['month 13', 'birthDate', '11010519491331002X', /1949-13-31 is not a calendar date/],
    ['30 February', 'birthDate', idOf('11010520000230002'), /2000-02-30 is not a calendar date/],
    ['29 February 1900', 'birthDate', idOf('11010519000229002'), /1900-02-29/],
    ['a birth before 1900', 'birthDate', idOf('11010518991231002'), /before 1900-01-01/],
    ['a birth in the future', 'birthDate', idOf('11010520260502002'), /after today \(2026-05-01\)/],
    ['a wrong check', 'check', '110105194912310021', /check character is 1, expected X/],
  ] as const)('rejects %s naming the %s segment', (_, segment, input, reason) => {
    const parsed = parseCitizenId(input, NOW);

    expect(parsed.ok ? undefined : parsed.issue).toMatchObject({
      segment,
      reason: expect.stringMatching(reason),
    });
  });

  it('accepts 29 February of a leap year and 1 January 1900', () => {
    expect(isCitizenId(idOf('11010520000229002'), NOW)).toBe(true);
    expect(isCitizenId(idOf('11010519000101002'), NOW)).toBe(true);
  });

  it('takes "today" in China time, where the day starts 8 hours before UTC', () => {
    const born = idOf('11010520200101002');

    expect(isCitizenId(born, new Date('2019-12-31T15:59:59Z'))).toBe(false);
    expect(isCitizenId(born, new Date('2019-12-31T16:00:00Z'))).toBe(true);
  });

  it('accepts every well-formed number and catches any single-digit substitution', () => {
    fc.assert(
      fc.property(citizenIdArb, substitution(18, '0123456789'), (id, [index, shift]) => {
        expect(isCitizenId(id, NOW)).toBe(true);
        expect(isCitizenId(substitute(id, index, shift, '0123456789'), NOW)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('citizenIdCheckChar', () => {
  it('throws a TypeError unless given 17 digits', () => {
    expect(() => citizenIdCheckChar('1101051949123100')).toThrow(TypeError);
    expect(() => citizenIdCheckChar('1101051949123100X')).toThrow(TypeError);
  });
});

describe('CitizenIdSchema', () => {
  it('accepts a valid number and explains a bad one', () => {
    expect(CitizenIdSchema.parse('360426199101010071')).toBe('360426199101010071');
    expect(CitizenIdSchema.safeParse('110105194912310021').error?.issues[0]?.message).toBe(
      'citizen ID number check character is 1, expected X',
    );
  });
});
