import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildIdentifier,
  IdentifierSchema,
  identifierKey,
  mod37_36Check,
  nextVersion,
  parseIdentifier,
} from '../../../contracts/codes/index.ts';
import { identifierPartsArb } from './arbitraries.ts';

const ROOT = '1.2.156.3005.2';
const TYPE = '11100000000013338W032';
const ISSUER = '113100000024601315';
const VALID = `${ROOT}.${TYPE}.${ISSUER}.2026000001.001.8`;

/** An identifier with a correct check over whatever segments it is given. */
const withCheck = (type: string, issuer: string, serial: string, version: string) =>
  `${ROOT}.${type}.${issuer}.${serial}.${version}.${mod37_36Check(type + issuer + serial + version)}`;

const issueOf = (input: unknown) => {
  const parsed = parseIdentifier(input);
  return parsed.ok ? undefined : parsed.issue;
};

describe('parseIdentifier', () => {
  it('returns every part of a valid identifier', () => {
    expect(parseIdentifier(VALID)).toEqual({
      ok: true,
      value: {
        identifier: VALID,
        typeCode: TYPE,
        issuerCode: ISSUER,
        serial: '2026000001',
        version: '001',
        check: '8',
        issuerCodeKind: 'uscc',
        typeDefinerUscc: '11100000000013338W',
        typeNumber: '032',
        versionNumber: 1,
      },
    });
  });

  it.each(['340100', 'A', '12345678901234567', '1234567890123456789'])(
    'accepts the other authority code %s as issuer',
    (issuer) => {
      const parsed = parseIdentifier(withCheck(TYPE, issuer, '1', '001'));

      expect(parsed).toMatchObject({ ok: true, value: { issuerCode: issuer, issuerCodeKind: 'other' } });
    },
  );

  it.each([
    ['a number', 'format', 42, /must be a string/],
    ['undefined', 'format', undefined, /must be a string/],
    ['an empty string', 'format', '', /empty/],
    ['a leading space', 'format', ` ${VALID}`, /whitespace at position 1$/],
    ['a tab inside', 'format', VALID.replace('.001', '.\t001'), /whitespace/],
    ['a trailing newline', 'format', `${VALID}\n`, /whitespace/],
    ['another root', 'root', VALID.replace('3005.2', '3005.1'), /root must be 1\.2\.156\.3005\.2/],
    ['no root', 'root', VALID.slice(ROOT.length + 1), /root/],
    ['the root alone', 'typeCode', ROOT, /type code is missing/],
    ['the root and a dot', 'typeCode', `${ROOT}.`, /type code is missing: found 0 of 5/],
    ['no serial', 'serial', `${ROOT}.${TYPE}.${ISSUER}.001.S`, /serial is missing: found 4 of 5/],
    ['no issuer and serial', 'issuerCode', `${ROOT}.${TYPE}.001.S`, /issuer code is missing/],
    ['a sixth segment', 'format', `${VALID}.1`, /expected 5 segments .* found 6/],
    ['an empty type code', 'typeCode', `${ROOT}..${ISSUER}.1.001.8`, /type code is empty/],
    ['a lower-case type code', 'typeCode', VALID.replace('W032', 'w032'), /upper case/],
    [
      'a punctuated type code',
      'typeCode',
      VALID.replace('W032', 'W-32'),
      /only contain 0-9 and A-Z, found "-"/,
    ],
    ['a short type code', 'typeCode', VALID.replace('W032', 'W32'), /21 characters.*got 20/],
    [
      'a definer with a bad check',
      'typeCode',
      VALID.replace('38W032', '38X032'),
      /defining authority's USCC: USCC check character is X, expected W/,
    ],
    ['a type number with letters', 'typeCode', VALID.replace('W032', 'W03A'), /3-digit number, got 03A/],
    ['an empty issuer code', 'issuerCode', `${ROOT}.${TYPE}..1.001.8`, /issuer code is empty/],
    ['a lower-case issuer code', 'issuerCode', VALID.replace('1315', '131a'), /upper case/],
    [
      'an 18-character non-USCC issuer',
      'issuerCode',
      VALID.replace(ISSUER, '113100000024601310'),
      /18 characters must be a valid USCC: .*expected 5/,
    ],
    [
      'a 33-character issuer',
      'issuerCode',
      withCheck(TYPE, '1'.repeat(33), '1', '001'),
      /1-32 characters, got 33/,
    ],
    ['an empty serial', 'serial', `${ROOT}.${TYPE}.${ISSUER}..001.8`, /serial is empty/],
    ['a lower-case serial', 'serial', VALID.replace('2026000001', '209fa4e8'), /serial must be upper case/],
    ['a serial with a dash', 'serial', VALID.replace('2026000001', '2026-0001'), /found "-"/],
    [
      'a 33-character serial',
      'serial',
      withCheck(TYPE, ISSUER, '0'.repeat(33), '001'),
      /1-32 characters, got 33/,
    ],
    ['a 1-digit version', 'version', VALID.replace('.001.', '.1.'), /3 digits, got "1"/],
    ['a 4-digit version', 'version', VALID.replace('.001.', '.0001.'), /3 digits/],
    ['version 000', 'version', withCheck(TYPE, ISSUER, '1', '000'), /001-999, got 000/],
    ['a version with a letter', 'version', VALID.replace('.001.', '.00A.'), /3 digits/],
    ['no check character', 'check', `${VALID.slice(0, -1)}`, /check character is empty/],
    ['two check characters', 'check', `${VALID}8`, /1 character, got 2/],
    ['a lower-case check', 'check', `${ROOT}.${TYPE}.11330000002502880R.Z9.003.v`, /upper case/],
    ['a wrong check', 'check', VALID.replace(/8$/, 'F'), /^check character is F, expected 8$/],
  ] as const)('rejects %s naming the %s segment', (_, segment, input, reason) => {
    const issue = issueOf(input);

    expect(issue?.segment).toBe(segment);
    expect(issue?.reason).toMatch(reason);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (input) => {
        expect(() => parseIdentifier(input)).not.toThrow();
      }),
    );
  });
});

describe('buildIdentifier', () => {
  it('appends the MOD 37,36 check to the dotted parts', () => {
    expect(
      buildIdentifier({ typeCode: TYPE, issuerCode: ISSUER, serial: '2026000001', version: '001' }),
    ).toBe(VALID);
  });

  it.each([
    ['typeCode', { typeCode: '11100000000013338W32' }, /typeCode: type code must be 21 characters/],
    ['issuerCode', { issuerCode: '340100' }, /issuerCode: only a valid USCC may be issued/],
    ['issuerCode', { issuerCode: '113100000024601310' }, /issuerCode: only a valid USCC may be issued/],
    ['serial', { serial: '' }, /serial: serial is empty/],
    ['serial', { serial: 'abc' }, /serial: serial must be upper case/],
    ['version', { version: '1' }, /version: version must be 3 digits/],
    ['version', { version: 1 as unknown as string }, /version must be a string/],
  ])('throws a TypeError naming %s', (_, override, message) => {
    const parts = { typeCode: TYPE, issuerCode: ISSUER, serial: '1', version: '001', ...override };

    expect(() => buildIdentifier(parts)).toThrow(TypeError);
    expect(() => buildIdentifier(parts)).toThrow(message);
  });

  it('makes identifiers that parse back to the same parts', () => {
    fc.assert(
      fc.property(identifierPartsArb, (parts) => {
        const parsed = parseIdentifier(buildIdentifier(parts));

        expect(parsed).toMatchObject({ ok: true, value: { ...parts, issuerCodeKind: 'uscc' } });
      }),
      { numRuns: 500 },
    );
  });
});

describe('nextVersion', () => {
  it.each([
    ['001', '002'],
    ['009', '010'],
    ['099', '100'],
    ['998', '999'],
  ])('follows %s with %s', (version, next) => {
    expect(nextVersion(version)).toBe(next);
  });

  it.each(['999', '000', '1', '0001', 'ABC', ''])('throws a TypeError for %j', (version) => {
    expect(() => nextVersion(version)).toThrow(TypeError);
  });
});

describe('identifierKey', () => {
  it('is the same for every version of one license', () => {
    const v1 = parseIdentifier(VALID);
    const v2 = parseIdentifier(
      buildIdentifier({ typeCode: TYPE, issuerCode: ISSUER, serial: '2026000001', version: '002' }),
    );
    if (!v1.ok || !v2.ok) throw new Error('fixtures must parse');

    expect(identifierKey(v1.value)).toBe(`${TYPE}.${ISSUER}.2026000001`);
    expect(identifierKey(v2.value)).toBe(identifierKey(v1.value));
  });
});

describe('IdentifierSchema', () => {
  it('accepts what parseIdentifier accepts and reports its reason and segment otherwise', () => {
    const bad = VALID.replace(/8$/, 'F');

    const result = IdentifierSchema.safeParse(bad);

    expect(IdentifierSchema.parse(VALID)).toBe(VALID);
    expect(result.error?.issues[0]).toMatchObject({
      message: 'check character is F, expected 8',
      params: { segment: 'check' },
    });
    expect(IdentifierSchema.safeParse(7).success).toBe(false);
  });

  it('agrees with parseIdentifier on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(IdentifierSchema.safeParse(s).success).toBe(parseIdentifier(s).ok);
      }),
    );
  });
});
