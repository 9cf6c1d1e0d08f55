import { z } from 'zod';

/**
 * GB/T 2260 province-level divisions; the key is the 6-digit area code of the province itself.
 * `zh` is the short name, `full` the official one (what a registry entry and a gateway carry).
 */
export const PROVINCES = {
  '110000': { zh: '北京', full: '北京市', en: 'Beijing' },
  '120000': { zh: '天津', full: '天津市', en: 'Tianjin' },
  '130000': { zh: '河北', full: '河北省', en: 'Hebei' },
  '140000': { zh: '山西', full: '山西省', en: 'Shanxi' },
  '150000': { zh: '内蒙古', full: '内蒙古自治区', en: 'Inner Mongolia' },
  '210000': { zh: '辽宁', full: '辽宁省', en: 'Liaoning' },
  '220000': { zh: '吉林', full: '吉林省', en: 'Jilin' },
  '230000': { zh: '黑龙江', full: '黑龙江省', en: 'Heilongjiang' },
  '310000': { zh: '上海', full: '上海市', en: 'Shanghai' },
  '320000': { zh: '江苏', full: '江苏省', en: 'Jiangsu' },
  '330000': { zh: '浙江', full: '浙江省', en: 'Zhejiang' },
  '340000': { zh: '安徽', full: '安徽省', en: 'Anhui' },
  '350000': { zh: '福建', full: '福建省', en: 'Fujian' },
  '360000': { zh: '江西', full: '江西省', en: 'Jiangxi' },
  '370000': { zh: '山东', full: '山东省', en: 'Shandong' },
  '410000': { zh: '河南', full: '河南省', en: 'Henan' },
  '420000': { zh: '湖北', full: '湖北省', en: 'Hubei' },
  '430000': { zh: '湖南', full: '湖南省', en: 'Hunan' },
  '440000': { zh: '广东', full: '广东省', en: 'Guangdong' },
  '450000': { zh: '广西', full: '广西壮族自治区', en: 'Guangxi' },
  '460000': { zh: '海南', full: '海南省', en: 'Hainan' },
  '500000': { zh: '重庆', full: '重庆市', en: 'Chongqing' },
  '510000': { zh: '四川', full: '四川省', en: 'Sichuan' },
  '520000': { zh: '贵州', full: '贵州省', en: 'Guizhou' },
  '530000': { zh: '云南', full: '云南省', en: 'Yunnan' },
  '540000': { zh: '西藏', full: '西藏自治区', en: 'Xizang' },
  '610000': { zh: '陕西', full: '陕西省', en: 'Shaanxi' },
  '620000': { zh: '甘肃', full: '甘肃省', en: 'Gansu' },
  '630000': { zh: '青海', full: '青海省', en: 'Qinghai' },
  '640000': { zh: '宁夏', full: '宁夏回族自治区', en: 'Ningxia' },
  '650000': { zh: '新疆', full: '新疆维吾尔自治区', en: 'Xinjiang' },
  '710000': { zh: '台湾', full: '台湾省', en: 'Taiwan' },
  '810000': { zh: '香港', full: '香港特别行政区', en: 'Hong Kong' },
  '820000': { zh: '澳门', full: '澳门特别行政区', en: 'Macao' },
} as const satisfies Record<string, { zh: string; full: string; en: string }>;

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
