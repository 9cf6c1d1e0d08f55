import type { LicenseRecord } from '../../lib/license/records.ts';

/** Reads the province's own licenses, to answer another province about one. */
export interface LicenseLookup {
  /** A version and the license head, read consistently. */
  get(licenseKey: string, version: string): Promise<LicenseRecord | undefined>;
}
