import { describe, expect, it } from 'vitest';
import { UseCauseSchema } from '../../contracts/common.ts';
import { InteropVerifyRequestSchema } from '../../contracts/interop.ts';
import { VerifyRequestSchema } from '../../contracts/verify.ts';

const IDENTIFIER = '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000001.001.8';

const bad: [string, string, RegExp][] = [
  ['a citizen ID number', '为11010519491231002X办理', /citizen ID number/],
  ['a full-width citizen ID number', '核验１１０１０５１９４９１２３１００２Ｘ', /citizen ID number/],
  ['a 15-digit citizen ID number', '核验310104800101123', /15-digit citizen ID number/],
  ['a USCC', '企业91310115MA1FL5X274年检', /USCC/],
  ['a NUL', '办理\u0000施工许可', /printable/],
  ['a CR', '办理\r施工许可', /printable/],
  ['a trailing LF', '办理施工许可\n', /printable/],
  ['a tab', '办理\t施工许可', /printable/],
  ['a C1 control', '办理\u0085施工许可', /printable/],
  ['a right-to-left override', '办理\u202e可许工施', /printable/],
  ['a zero-width space', '办理\u200b施工许可', /printable/],
  ['a byte order mark', '\ufeff办理施工许可', /printable/],
  ['a line separator', '办理\u2028施工许可', /printable/],
  ['a lone surrogate', '办理\ud800', /printable/],
  ['nothing but spaces', '   ', /too small/i],
  ['201 characters', '办'.repeat(201), /too big/i],
];

describe('the use cause (用证事由)', () => {
  it.each([
    ['办理施工许可', '办理施工许可'],
    ['  核验资格 2026 年第 3 批  ', '核验资格 2026 年第 3 批'],
    ['办'.repeat(200), '办'.repeat(200)],
  ])('accepts printable text %j', (cause, stored) => {
    expect(UseCauseSchema.parse(cause)).toBe(stored);
  });

  it.each(bad)('refuses %s', (_name, cause, message) => {
    const result = UseCauseSchema.safeParse(cause);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });

  it('never repeats the identifier it refuses', () => {
    const result = UseCauseSchema.safeParse('为11010519491231002X办理');
    expect(JSON.stringify(result.error?.issues)).not.toContain('11010519491231002X');
  });

  it.each(bad)('is refused by /v1/verify and by the inbound /v1/interop/verify alike: %s', (_name, cause) => {
    const verify = VerifyRequestSchema.safeParse({
      identifier: IDENTIFIER,
      matterCode: '310000-JZ-001',
      useCause: cause,
    });
    const interop = InteropVerifyRequestSchema.safeParse({
      identifier: IDENTIFIER,
      matterCode: '310000-JZ-001',
      useCause: cause,
      requester: { platform: '浙里办' },
    });

    expect(verify.error?.issues.some((i) => i.path.join('.') === 'useCause')).toBe(true);
    expect(interop.error?.issues.some((i) => i.path.join('.') === 'useCause')).toBe(true);
  });

  it('lets both requests through with a good cause', () => {
    const use = { identifier: IDENTIFIER, matterCode: '310000-JZ-001', useCause: '办理施工许可' };
    expect(VerifyRequestSchema.safeParse(use).success).toBe(true);
    expect(InteropVerifyRequestSchema.safeParse({ ...use, requester: { platform: '浙里办' } }).success).toBe(
      true,
    );
  });

  it('refuses invisible and bidi characters in the requester too', () => {
    const result = InteropVerifyRequestSchema.safeParse({
      identifier: IDENTIFIER,
      matterCode: '310000-JZ-001',
      useCause: '办理施工许可',
      requester: { platform: '浙里办\u202e', officerRef: 'A\u200b1' },
    });
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'requester.officerRef',
      'requester.platform',
    ]);
  });
});
