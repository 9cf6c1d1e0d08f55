import { fail, ok, type ParseResult } from './result.ts';

const WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;

/**
 * GB 11714 organization code check character over an 8-character body of `0-9A-Z`.
 * @throws TypeError when the body is not 8 characters of `0-9A-Z` (misuse).
 */
export function organizationCodeCheckChar(body8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(body8)) {
    throw new TypeError(
      `organizationCodeCheckChar: body must be 8 characters of 0-9A-Z, got ${JSON.stringify(body8)}`,
    );
  }
  let sum = 0;
  WEIGHTS.forEach((weight, i) => {
    sum += Number.parseInt(body8.charAt(i), 36) * weight;
  });
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/** A 9-character organization code (body + check), without the dash of its printed form. */
export function parseOrganizationCode(input: unknown): ParseResult<string, 'format' | 'check'> {
  if (typeof input !== 'string') return fail('format', 'organization code must be a string');
  if (!/^[0-9A-Z]{8}[0-9X]$/.test(input)) {
    return fail(
      'format',
      `organization code ${JSON.stringify(input)} must be 8 characters of 0-9A-Z and a check of 0-9 or X`,
    );
  }
  const expected = organizationCodeCheckChar(input.slice(0, 8));
  const actual = input.charAt(8);
  if (actual !== expected) {
    return fail('check', `organization code ${input}: check character is ${actual}, expected ${expected}`);
  }
  return ok(input);
}

export const isOrganizationCode = (input: unknown): boolean => parseOrganizationCode(input).ok;
