import { describe, expect, it } from 'vitest';
import { maskCode } from '../../../contracts/codes/index.ts';

describe('maskCode', () => {
  it.each([
    ['310104199001011234', '310104********1234'],
    ['91310115MA1FL5X274', '913101********X274'],
    ['ABCDEFGHIJKLMN', 'ABCDEF****KLMN'],
    ['ABCDEFGHIJKLM', 'A***********M'],
    ['E12345678', 'E*******8'],
    ['ABC', 'A*C'],
    ['AB', '**'],
    ['A', '*'],
    ['', ''],
  ])('masks %j as %j', (code, masked) => {
    expect(maskCode(code)).toBe(masked);
  });

  it('keeps the length in characters, not UTF-16 units', () => {
    expect(maskCode('𠀀𠀁𠀂')).toBe('𠀀*𠀂');
  });
});
