import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUscc, makeUscc, parseUscc, UsccSchema, usccCheckChar } from '../../../contracts/codes/index.ts';
import { substitute, substitution, usccArb } from './arbitraries.ts';

describe('parseUscc', () => {
  it('splits a USCC into its parts', () => {
    expect(parseUscc('91310115MA1FL5X274')).toEqual({
      ok: true,
      value: {
        uscc: '91310115MA1FL5X274',
        registrationDept: '9',
        orgType: '1',
        areaCode: '310115',
        organizationCode: 'MA1FL5X27',
      },
    });
  });

  it('accepts the central-level area code 100000 of national authorities', () => {
    expect(parseUscc('11100000000013338W')).toMatchObject({ ok: true, value: { areaCode: '100000' } });
  });

  it.each([
    ['a number', 'format', 11310000, /must be a string/],
    ['17 characters', 'format', '1110000000001333W', /18 characters, got 17/],
    ['lower case', 'format', '91110000600037341l', /upper case/],
    [
      'a letter outside the set',
      'format',
      '11100000000013338I',
      /"I" at position 18 is not in the USCC character set/,
    ],
    [
      'registration department B',
      'registrationDept',
      makeUscc('11310000', '00246013').replace(/^1/, 'B'),
      /department B/,
    ],
    ['an unknown province', 'areaCode', '119900000024601315', /area code 990000/],
    ['an area code with a letter', 'areaCode', '1131A0000024601315', /area code 31A000/],
    [
      'a broken organization code',
      'organizationCode',
      '11330000012502880R',
      /organization code 012502880: check character is 0, expected 4/,
    ],
    ['a wrong check', 'check', '113100000024601310', /^USCC check character is 0, expected 5$/],
  ] as const)('rejects %s naming the %s segment', (_, segment, input, reason) => {
    const parsed = parseUscc(input);

    expect(parsed.ok ? undefined : parsed.issue).toMatchObject({
      segment,
      reason: expect.stringMatching(reason),
    });
  });

  it('catches any single substitution', () => {
    fc.assert(
      fc.property(usccArb, substitution(18), (uscc, [index, shift]) => {
        expect(isUscc(substitute(uscc, index, shift))).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('usccCheckChar', () => {
  it('computes the last character', () => {
    expect(usccCheckChar('91110000600037341')).toBe('L');
  });

  it.each(['9111000060003734', '9111000060003734I', '91110000600037341L'])(
    'throws a TypeError for %s',
    (input) => {
      expect(() => usccCheckChar(input)).toThrow(TypeError);
    },
  );
});

describe('makeUscc', () => {
  it('computes the organization code check and the USCC check', () => {
    expect(makeUscc('11310000', '00246013')).toBe('113100000024601315');
  });

  it('makes only valid USCCs', () => {
    fc.assert(
      fc.property(usccArb, (uscc) => {
        expect(isUscc(uscc)).toBe(true);
      }),
    );
  });

  it.each([
    ['first8', '1131000', '00246013'],
    ['first8', 'B1310000', '00246013'],
    ['first8', '11990000', '00246013'],
    ['orgBody8', '11310000', '0024601'],
    ['orgBody8', '11310000', '0024601I'],
  ])('throws a TypeError naming %s', (part, first8, body) => {
    expect(() => makeUscc(first8, body)).toThrow(new RegExp(`makeUscc: ${part}`));
  });
});

describe('UsccSchema', () => {
  it('accepts a valid USCC and explains a bad one', () => {
    expect(UsccSchema.parse('11330000002502880R')).toBe('11330000002502880R');
    expect(UsccSchema.safeParse('113100000024601310').error?.issues[0]?.message).toBe(
      'USCC check character is 0, expected 5',
    );
  });
});
