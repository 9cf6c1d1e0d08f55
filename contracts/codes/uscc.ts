import { codeSchema } from './code-schema.ts';
import { organizationCodeCheckChar, parseOrganizationCode } from './organization-code.ts';
import { provinceOf } from './provinces.ts';
import { fail, ok, type ParseResult } from './result.ts';

/** GB 32100-2015 character set: digits and upper-case letters without I, O, S, V, Z. */
export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/**
 * Area code of authorities registered at the central level. Not a province, yet in every
 * central authority's USCC (e.g. `11100000000013338W`, the definer of national license types).
 */
export const CENTRAL_AREA_CODE = '100000';

export type UsccSegment = 'format' | 'registrationDept' | 'areaCode' | 'organizationCode' | 'check';

export interface ParsedUscc {
  uscc: string;
  /** 登记管理部门代码: a digit or A, N, Y. */
  registrationDept: string;
  /** 机构类别代码 (meaning depends on the registration department). */
  orgType: string;
  /** GB/T 2260 area code of the registering authority, or `100000` for the central level. */
  areaCode: string;
  /** GB 11714 organization code with its own check character. */
  organizationCode: string;
}

const CHARSET_RE = /^[0-9A-HJ-NPQRTUWXY]+$/;

/** @throws TypeError unless given 17 characters of the USCC character set (misuse). */
export function usccCheckChar(first17: string): string {
  if (first17.length !== 17 || !CHARSET_RE.test(first17)) {
    throw new TypeError(
      `usccCheckChar: expected 17 characters of ${USCC_CHARSET}, got ${JSON.stringify(first17)}`,
    );
  }
  let sum = 0;
  WEIGHTS.forEach((weight, i) => {
    sum += USCC_CHARSET.indexOf(first17.charAt(i)) * weight;
  });
  return USCC_CHARSET.charAt((31 - (sum % 31)) % 31);
}

const isUsccAreaCode = (area: string): boolean =>
  area === CENTRAL_AREA_CODE || provinceOf(area) !== undefined;

function formatIssue(input: string): string | undefined {
  if (input.length !== 18) return `USCC must be 18 characters, got ${input.length}`;
  if (/[a-z]/.test(input)) return 'USCC must be upper case';
  const bad = [...input].findIndex((ch) => !USCC_CHARSET.includes(ch));
  if (bad >= 0) {
    return `character ${JSON.stringify(input.charAt(bad))} at position ${bad + 1} is not in the USCC character set (0-9 and A-Y without I, O, S, V)`;
  }
  return undefined;
}

/** Structure first, check character last: a bad part is a more useful answer than "mistyped". */
export function parseUscc(input: unknown): ParseResult<ParsedUscc, UsccSegment> {
  if (typeof input !== 'string') return fail('format', 'USCC must be a string');
  const format = formatIssue(input);
  if (format) return fail('format', format);
  const registrationDept = input.charAt(0);
  if (!/^[0-9ANY]$/.test(registrationDept)) {
    return fail('registrationDept', `registration department ${registrationDept} must be a digit or A, N, Y`);
  }
  const areaCode = input.slice(2, 8);
  if (!/^\d{6}$/.test(areaCode) || !isUsccAreaCode(areaCode)) {
    return fail(
      'areaCode',
      `area code ${areaCode} is not a GB/T 2260 code of a known province nor ${CENTRAL_AREA_CODE}`,
    );
  }
  const organizationCode = input.slice(8, 17);
  const org = parseOrganizationCode(organizationCode);
  if (!org.ok) return fail('organizationCode', org.issue.reason);
  const expected = usccCheckChar(input.slice(0, 17));
  const actual = input.charAt(17);
  if (actual !== expected) return fail('check', `USCC check character is ${actual}, expected ${expected}`);
  return ok({ uscc: input, registrationDept, orgType: input.charAt(1), areaCode, organizationCode });
}

export const isUscc = (input: unknown): boolean => parseUscc(input).ok;

export const UsccSchema = codeSchema(parseUscc);

/**
 * Builds a valid USCC from its first 8 characters (department, type, area code) and an
 * 8-character organization code body, computing both check characters: handy for test
 * departments and fixtures.
 * @throws TypeError on parts that cannot make a valid USCC (misuse).
 */
export function makeUscc(first8: string, orgBody8: string): string {
  if (!/^[0-9ANY][0-9A-HJ-NPQRTUWXY]\d{6}$/.test(first8) || !isUsccAreaCode(first8.slice(2))) {
    throw new TypeError(
      `makeUscc: first8 must be a department (digit, A, N, Y), a type character and a known area code, got ${JSON.stringify(first8)}`,
    );
  }
  if (orgBody8.length !== 8 || !CHARSET_RE.test(orgBody8)) {
    throw new TypeError(
      `makeUscc: orgBody8 must be 8 characters of ${USCC_CHARSET}, got ${JSON.stringify(orgBody8)}`,
    );
  }
  const first17 = first8 + orgBody8 + organizationCodeCheckChar(orgBody8);
  return first17 + usccCheckChar(first17);
}
