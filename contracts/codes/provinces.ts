import { z } from 'zod';

/** GB/T 2260 province-level divisions; the key is the 6-digit area code of the province itself. */
export const PROVINCES = {
  '110000': { zh: '北京', en: 'Beijing' },
  '120000': { zh: '天津', en: 'Tianjin' },
  '130000': { zh: '河北', en: 'Hebei' },
  '140000': { zh: '山西', en: 'Shanxi' },
  '150000': { zh: '内蒙古', en: 'Inner Mongolia' },
  '210000': { zh: '辽宁', en: 'Liaoning' },
  '220000': { zh: '吉林', en: 'Jilin' },
  '230000': { zh: '黑龙江', en: 'Heilongjiang' },
  '310000': { zh: '上海', en: 'Shanghai' },
  '320000': { zh: '江苏', en: 'Jiangsu' },
  '330000': { zh: '浙江', en: 'Zhejiang' },
  '340000': { zh: '安徽', en: 'Anhui' },
  '350000': { zh: '福建', en: 'Fujian' },
  '360000': { zh: '江西', en: 'Jiangxi' },
  '370000': { zh: '山东', en: 'Shandong' },
  '410000': { zh: '河南', en: 'Henan' },
  '420000': { zh: '湖北', en: 'Hubei' },
  '430000': { zh: '湖南', en: 'Hunan' },
  '440000': { zh: '广东', en: 'Guangdong' },
  '450000': { zh: '广西', en: 'Guangxi' },
  '460000': { zh: '海南', en: 'Hainan' },
  '500000': { zh: '重庆', en: 'Chongqing' },
  '510000': { zh: '四川', en: 'Sichuan' },
  '520000': { zh: '贵州', en: 'Guizhou' },
  '530000': { zh: '云南', en: 'Yunnan' },
  '540000': { zh: '西藏', en: 'Xizang' },
  '610000': { zh: '陕西', en: 'Shaanxi' },
  '620000': { zh: '甘肃', en: 'Gansu' },
  '630000': { zh: '青海', en: 'Qinghai' },
  '640000': { zh: '宁夏', en: 'Ningxia' },
  '650000': { zh: '新疆', en: 'Xinjiang' },
  '710000': { zh: '台湾', en: 'Taiwan' },
  '810000': { zh: '香港', en: 'Hong Kong' },
  '820000': { zh: '澳门', en: 'Macao' },
} as const satisfies Record<string, { zh: string; en: string }>;

export type ProvinceCode = keyof typeof PROVINCES;

export const PROVINCE_CODES = Object.keys(PROVINCES) as [ProvinceCode, ...ProvinceCode[]];

export const ProvinceCodeSchema = z.enum(PROVINCE_CODES);

export const isProvinceCode = (code: string): code is ProvinceCode => Object.hasOwn(PROVINCES, code);

/** The province (`PP0000`) of any 6-digit area code, or undefined for non-codes and unknown provinces. */
export function provinceOf(areaCode: string): ProvinceCode | undefined {
  if (!/^\d{6}$/.test(areaCode)) return undefined;
  const province = `${areaCode.slice(0, 2)}0000`;
  return isProvinceCode(province) ? province : undefined;
}
