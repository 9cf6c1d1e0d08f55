import { describe, expect, it } from 'vitest';
import { checkHolderCode } from '../../contracts/codes/index.ts';
import { MatterCodeSchema } from '../../contracts/common.ts';
import { IssueRequestSchema, LicenseFieldsSchema, NewVersionRequestSchema } from '../../contracts/license.ts';
import { sampleIssue } from '../support/gateway.ts';

/** U+FF10-FF19: digits as a Chinese IME types them in full-width mode. */
const FW = (s: string) => s.replace(/\d/g, (d) => String.fromCodePoint(0xff10 + Number(d)));
const CYRILLIC_A = '\u0410';
const CYRILLIC_E = '\u0415';
const CYRILLIC_WE = '\u051c';

const pathsOf = (result: { error?: { issues: { path: PropertyKey[] }[] } | undefined }) =>
  (result.error?.issues ?? []).map((i) => i.path.join('.'));

describe('code fields refuse look-alike and invisible characters', () => {
  it.each([
    ['typeCode', 'a full-width digit', { typeCode: `${FW('1')}1100000000013338W032` }],
    ['typeCode', 'a Cyrillic look-alike of W', { typeCode: `11100000000013338${CYRILLIC_WE}032` }],
    ['typeCode', 'a trailing LF', { typeCode: '11100000000013338W032\n' }],
    ['issuer.uscc', 'full-width digits', { issuer: { name: 'x', uscc: FW('113100000024601315') } }],
    ['issuer.uscc', 'a zero-width space', { issuer: { name: 'x', uscc: '1131000000\u200b24601315' } }],
    [
      'holder.code',
      'a full-width citizen ID number',
      { holder: { name: '张三', typeCode: '111', code: FW('11010519491231002X') } },
    ],
    [
      'holder.code',
      'a Cyrillic letter in a USCC',
      { holder: { name: '某公司', typeCode: '001', code: `91310115M${CYRILLIC_A}1FL5X274` } },
    ],
    [
      'holder.code',
      'a Cyrillic letter in a passport number',
      { holder: { name: 'Ivan', typeCode: '414', code: `${CYRILLIC_E}12345678` } },
    ],
    [
      'holder.code',
      'a full-width letter in a passport number',
      { holder: { name: 'Ivan', typeCode: '414', code: '\uff2512345678' } },
    ],
    ['areaCode', 'full-width digits', { areaCode: FW('310000') }],
    ['areaCode', 'a right-to-left override', { areaCode: '\u202e310000' }],
  ])('%s with %s', (path, _what, override) => {
    const result = IssueRequestSchema.safeParse(sampleIssue(override));

    expect(result.success).toBe(false);
    expect(pathsOf(result)).toContain(path);
  });

  it('accepts the same codes in plain ASCII', () => {
    expect(IssueRequestSchema.safeParse(sampleIssue()).success).toBe(true);
    expect(
      IssueRequestSchema.safeParse(
        sampleIssue({ holder: { name: 'Ivan', typeCode: '414', code: 'E12345678' } }),
      ).success,
    ).toBe(true);
  });

  it.each([
    ['a Cyrillic letter', `310000-JZ-00${CYRILLIC_A}`],
    ['full-width digits', FW('310000-JZ-001')],
    ['a NUL', '310000-JZ-001\u0000'],
  ])('matterCode with %s', (_what, code) => {
    expect(MatterCodeSchema.safeParse(code).success).toBe(false);
  });

  it.each([
    ['099', '民办非企业单位登记证书 123'],
    ['999', 'AB-123/45'],
  ] as const)('holder code %s %j of another document still passes', (type, code) => {
    expect(checkHolderCode(type, code).ok).toBe(true);
  });

  it.each([
    ['a Greek capital alpha', '\u039112345678'],
    ['an ideographic space inside', 'AB\u3000123'],
    ['a CJK compatibility ideograph', '\uf900 123'],
  ])('holder code of another document with %s is refused', (_what, code) => {
    expect(checkHolderCode('999', code)).toMatchObject({ ok: false, issue: { segment: 'format' } });
  });
});

describe('license field names', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'refuses %s, a member every object already has',
    (name) => {
      const result = LicenseFieldsSchema.safeParse({ [name]: 'v' });

      expect(result.success).toBe(false);
      expect(pathsOf(result)).toEqual([name]);
    },
  );

  it.each(['prototype', 'category', 'Constructor'])('keeps %s as an ordinary field', (name) => {
    expect(LicenseFieldsSchema.parse({ [name]: 'v' })).toEqual({ [name]: 'v' });
  });

  it('refuses them in a new version too', () => {
    const result = NewVersionRequestSchema.safeParse({ fields: { constructor: 'v' }, reason: '变更' });
    expect(pathsOf(result)).toEqual(['fields.constructor']);
  });
});
