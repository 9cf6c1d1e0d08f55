import { describe, expect, it } from 'vitest';
import {
  checkHolderCode,
  HOLDER_TYPE_NAMES,
  HolderTypeCode,
  HolderTypeCodeSchema,
  isNaturalPersonType,
} from '../../../contracts/codes/index.ts';
import { NOW } from './arbitraries.ts';

describe('holder type codes', () => {
  it('names every code and accepts only those', () => {
    for (const code of Object.values(HolderTypeCode)) {
      expect(HOLDER_TYPE_NAMES[code].zh).not.toBe('');
      expect(HolderTypeCodeSchema.safeParse(code).success).toBe(true);
    }
    expect(HolderTypeCodeSchema.safeParse('415').success).toBe(false);
    expect(HolderTypeCodeSchema.safeParse(111).success).toBe(false);
  });

  it.each([
    ['001', false],
    ['099', false],
    ['111', true],
    ['414', true],
    ['511', true],
    ['516', true],
    ['999', true],
  ])('tells whether %s identifies a natural person (%s)', (code, natural) => {
    expect(isNaturalPersonType(code)).toBe(natural);
  });
});

describe('checkHolderCode', () => {
  it.each([
    ['001', '91310115MA1FL5X274'],
    ['111', '11010519491231002X'],
    ['414', 'E12345678'],
    ['516', 'H1234567801'],
    ['099', '民办非企业单位登记证书 123'],
    ['999', 'x'.repeat(64)],
  ] as const)('accepts a %s holder code %s', (type, code) => {
    expect(checkHolderCode(type, code, NOW)).toEqual({ ok: true, value: code });
  });

  it.each([
    ['001', '91310115MA1FL5X270', 'check', /not a valid USCC: USCC check character is 0, expected 4/],
    ['001', '11010519491231002X', 'areaCode', /not a valid USCC: area code 010519/],
    ['111', '110105194912310021', 'check', /not a valid citizen ID number: .*expected X/],
    ['111', '11010520260502002X', 'birthDate', /after today/],
    ['414', '', 'format', /1-64 characters, got 0/],
    ['414', 'x'.repeat(65), 'format', /1-64 characters, got 65/],
    ['414', ' E12345678', 'format', /whitespace/],
    ['511', 'E12345678\u3000', 'format', /whitespace/],
    ['516', 'H123\u0000', 'format', /printable/],
    ['999', 'A\u200bB', 'format', /printable/],
  ] as const)('rejects a %s holder code %j', (type, code, segment, reason) => {
    const checked = checkHolderCode(type, code, NOW);

    expect(checked.ok ? undefined : checked.issue).toMatchObject({
      segment,
      reason: expect.stringMatching(reason),
    });
  });

  it('rejects an unknown type code that slipped past the types', () => {
    expect(checkHolderCode('123' as HolderTypeCode, 'ABC')).toMatchObject({
      ok: false,
      issue: { segment: 'typeCode' },
    });
  });
});
