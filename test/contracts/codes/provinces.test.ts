import { describe, expect, it } from 'vitest';
import { isProvinceCode, PROVINCES, ProvinceCodeSchema, provinceOf } from '../../../contracts/codes/index.ts';

describe('provinces (GB/T 2260)', () => {
  it('lists the 34 province-level divisions with short, official and English names', () => {
    expect(Object.keys(PROVINCES)).toHaveLength(34);
    expect(PROVINCES['340000']).toEqual({ zh: '安徽', full: '安徽省', en: 'Anhui' });
    expect(PROVINCES['650000']).toEqual({ zh: '新疆', full: '新疆维吾尔自治区', en: 'Xinjiang' });
    expect(PROVINCES['820000']).toEqual({ zh: '澳门', full: '澳门特别行政区', en: 'Macao' });
    for (const p of Object.values(PROVINCES)) expect(p.full.startsWith(p.zh)).toBe(true);
  });

  it.each([
    ['340100', '340000'],
    ['310104', '310000'],
    ['110000', '110000'],
    ['820000', '820000'],
  ])('finds the province of %s', (area, province) => {
    expect(provinceOf(area)).toBe(province);
  });

  it.each(['100000', '990000', '34010', '3401000', 'ABCDEF', '', '1.2.156'])(
    'finds no province for %j',
    (area) => {
      expect(provinceOf(area)).toBeUndefined();
    },
  );

  it('accepts only the six-digit province codes themselves', () => {
    expect(isProvinceCode('340000')).toBe(true);
    expect(isProvinceCode('340100')).toBe(false);
    expect(isProvinceCode('toString')).toBe(false);
    expect(ProvinceCodeSchema.safeParse('650000').success).toBe(true);
    expect(ProvinceCodeSchema.safeParse('65').success).toBe(false);
  });
});
