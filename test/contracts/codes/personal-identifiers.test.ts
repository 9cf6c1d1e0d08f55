import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findPersonalIdentifier } from '../../../contracts/codes/index.ts';
import { citizenIdArb, NOW, usccArb } from './arbitraries.ts';

const ID = '11010519491231002X';
const USCC = '91310115MA1FL5X274';
/** Each ASCII character as its full-width form (U+FF01-FF5E), as a Chinese IME types it. */
const fullWidth = (s: string) =>
  [...s].map((c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0)).join('');
/** ASCII digits as Arabic-Indic digits (U+0660-0669), which NFKC leaves alone. */
const arabicIndic = (s: string) => s.replace(/\d/g, (d) => String.fromCodePoint(0x660 + Number(d)));

describe('findPersonalIdentifier', () => {
  it.each([
    ['an 18-character citizen ID number alone', ID, 'citizenId'],
    ['one inside Chinese text', `为持证人${ID}办理`, 'citizenId'],
    ['one with a lower-case x', `核验${ID.toLowerCase()}`, 'citizenId'],
    ['one in full-width digits', `核验${fullWidth(ID)}`, 'citizenId'],
    ['one in Arabic-Indic digits', `核验${arabicIndic(ID)}`, 'citizenId'],
    ['one spaced out', '身份证 110105 19491231 002X', 'citizenId'],
    ['one with hyphens', '110105-1949-1231-002X', 'citizenId'],
    ['one inside a longer run of digits', `99${ID}`, 'citizenId'],
    ['a 15-digit old citizen ID number', '旧证号310104800101123', 'citizenId15'],
    ['a USCC', `企业${USCC}年检`, 'uscc'],
    ['a lower-case USCC', `企业${USCC.toLowerCase()}`, 'uscc'],
    ['a full-width USCC', fullWidth(USCC), 'uscc'],
    ['a USCC of an authority', '113100000024601315', 'uscc'],
  ])('finds %s', (_name, text, kind) => {
    expect(findPersonalIdentifier(text, NOW)).toBe(kind);
  });

  it.each([
    ['plain Chinese text', '办理施工许可'],
    ['dates and small numbers', '2026-03-01 第3批 共12份'],
    ['a phone number', '联系电话 13812345678'],
    ['18 digits with a wrong check character', '110105194912310021'],
    ['17 characters of a citizen ID number', ID.slice(0, 17)],
    ['a USCC with a wrong check character', '91310115MA1FL5X270'],
    ['15 digits inside a longer run', '1310104800101123'],
    ['15 digits without a birth date', '310104801301123'],
    ['an order number of 18 digits', '订单号 123456789012345678'],
  ])('finds nothing in %s', (_name, text) => {
    expect(findPersonalIdentifier(text, NOW)).toBeUndefined();
  });

  it('finds every valid citizen ID number and USCC wherever it stands in the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(citizenIdArb, usccArb),
        fc.string({ unit: fc.constantFrom('办', '理', ' ', '：', '。'), maxLength: 20 }),
        fc.string({ unit: fc.constantFrom('证', '件', ' ', '，'), maxLength: 20 }),
        (code, before, after) => {
          expect(findPersonalIdentifier(before + code + after, NOW)).toBeDefined();
        },
      ),
    );
  });
});
