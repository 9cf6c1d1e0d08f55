import { maskCode } from '../../contracts/codes/index.ts';
import type { DataLevel, SharedLicense } from '../../contracts/interop.ts';
import type { License } from '../../contracts/license.ts';

/**
 * Level of a license type's own data field (分类分级). Fields are sensitive (3) unless a type's
 * classification says otherwise; level 4 fields never leave the issuing province.
 */
export type FieldLevels = (typeCode: string, field: string) => DataLevel;

export const defaultFieldLevels: FieldLevels = () => 3;

/**
 * The license as another province may see it at `level`: 1 public (type, status, validity,
 * issuer), 2 internal (+ holder name, license number, holder code masked), 3 sensitive (+ holder
 * code, fields of level 3). Level 4 data is never shared.
 */
export function shareLicense(
  license: License,
  level: DataLevel,
  levels: FieldLevels = defaultFieldLevels,
): SharedLicense {
  const shared: SharedLicense = {
    identifier: license.identifier,
    typeCode: license.typeCode,
    typeName: license.typeName,
    issuer: license.issuer,
    areaCode: license.areaCode,
    issueDate: license.issueDate,
    validFrom: license.validFrom,
    ...(license.validUntil ? { validUntil: license.validUntil } : {}),
    version: license.version,
    status: license.status,
    dataLevel: level,
  };
  if (level < 2) return shared;
  shared.number = license.number;
  shared.holder = {
    name: license.holder.name,
    typeCode: license.holder.typeCode,
    code: level >= 3 ? license.holder.code : maskCode(license.holder.code),
  };
  const fields = Object.entries(license.fields).filter(([name]) => {
    const l = levels(license.typeCode, name);
    return l <= level && l < 4;
  });
  if (fields.length > 0) shared.fields = Object.fromEntries(fields);
  return shared;
}
