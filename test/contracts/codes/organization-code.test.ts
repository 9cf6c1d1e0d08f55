import { describe, expect, it } from 'vitest';
import {
  isOrganizationCode,
  organizationCodeCheckChar,
  parseOrganizationCode,
} from '../../../contracts/codes/index.ts';

describe('organization code (GB 11714)', () => {
  it.each([
    ['MA1FL5X2', '7'],
    ['00246013', '1'],
    // Remainder 1 gives 10, written X; remainder 0 gives 11, written 0.
    ['00000006', 'X'],
    ['00000000', '0'],
  ])('checks %s with %s', (body, check) => {
    expect(organizationCodeCheckChar(body)).toBe(check);
    expect(isOrganizationCode(body + check)).toBe(true);
  });

  it('names the expected check character of a mistyped code', () => {
    expect(parseOrganizationCode('002460130')).toEqual({
      ok: false,
      issue: { segment: 'check', reason: 'organization code 002460130: check character is 0, expected 1' },
    });
  });

  it.each(['00246013', '00246013-1', '002460131 ', '0024601a1', '00246013Y'])(
    'rejects the malformed %j',
    (code) => {
      expect(parseOrganizationCode(code)).toMatchObject({ ok: false, issue: { segment: 'format' } });
    },
  );

  it('throws a TypeError when the body is not 8 characters of 0-9A-Z', () => {
    expect(() => organizationCodeCheckChar('0024601')).toThrow(TypeError);
    expect(() => organizationCodeCheckChar('0024601a')).toThrow(TypeError);
  });
});
