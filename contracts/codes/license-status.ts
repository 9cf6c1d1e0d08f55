import { z } from 'zod';

/** 证照状态. */
export const LicenseStatus = {
  VALID: '01',
  SUSPENDED: '02',
  WITHDRAWN: '03',
  CANCELLED: '04',
  LAPSED: '05',
  TRANSFERRED_OUT: '06',
  REVOKED: '07',
  OTHER: '99',
} as const;
export type LicenseStatus = (typeof LicenseStatus)[keyof typeof LicenseStatus];

export const LICENSE_STATUS_NAMES = {
  '01': { zh: '有效', en: 'valid' },
  '02': { zh: '暂扣', en: 'suspended' },
  '03': { zh: '撤销', en: 'withdrawn' },
  '04': { zh: '注销', en: 'cancelled' },
  '05': { zh: '失效', en: 'lapsed' },
  '06': { zh: '办理转出', en: 'transferred out' },
  '07': { zh: '吊销', en: 'revoked' },
  '99': { zh: '其他', en: 'other' },
} as const satisfies Record<LicenseStatus, { zh: string; en: string }>;

const STATUSES = Object.values(LicenseStatus) as [LicenseStatus, ...LicenseStatus[]];

export const LicenseStatusSchema = z.enum(STATUSES);

/**
 * Only a valid license may change freely; a suspension (暂扣) ends in restoration or a final
 * status. Every other status is final: a license once withdrawn, cancelled, lapsed, transferred
 * out, revoked or "other" is never revived, only a new license issued.
 */
export const STATUS_TRANSITIONS = {
  '01': ['02', '03', '04', '05', '06', '07', '99'],
  '02': ['01', '03', '04', '07'],
  '03': [],
  '04': [],
  '05': [],
  '06': [],
  '07': [],
  '99': [],
} as const satisfies Record<LicenseStatus, readonly LicenseStatus[]>;

export const canTransition = (from: LicenseStatus, to: LicenseStatus): boolean =>
  (STATUS_TRANSITIONS[from] as readonly LicenseStatus[] | undefined)?.includes(to) ?? false;
