import { describe, expect, it } from 'vitest';
import {
  canTransition,
  LICENSE_STATUS_NAMES,
  LicenseStatus,
  LicenseStatusSchema,
} from '../../../contracts/codes/index.ts';

const ALL = Object.values(LicenseStatus);
const ALLOWED = new Set([
  '01>02',
  '01>03',
  '01>04',
  '01>05',
  '01>06',
  '01>07',
  '01>99',
  '02>01',
  '02>03',
  '02>04',
  '02>07',
]);

describe('license status', () => {
  it('has the eight national codes with Chinese and English names', () => {
    expect(ALL).toEqual(['01', '02', '03', '04', '05', '06', '07', '99']);
    expect(LICENSE_STATUS_NAMES['02']).toEqual({ zh: '暂扣', en: 'suspended' });
    expect(LICENSE_STATUS_NAMES['06']).toEqual({ zh: '办理转出', en: 'transferred out' });
    expect(LicenseStatusSchema.safeParse('07').success).toBe(true);
    expect(LicenseStatusSchema.safeParse('08').success).toBe(false);
    expect(LicenseStatusSchema.safeParse(1).success).toBe(false);
  });

  it.each(ALL.flatMap((from) => ALL.map((to) => [from, to] as const)))(
    'allows %s -> %s only where the rules say',
    (from, to) => {
      expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}>${to}`));
    },
  );

  it('never revives a final status', () => {
    for (const final of ['03', '04', '05', '06', '07', '99'] as const) {
      expect(canTransition(final, '01')).toBe(false);
    }
  });
});
