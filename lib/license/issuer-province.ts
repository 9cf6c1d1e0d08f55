import { type ParsedIdentifier, provinceOf } from '../../contracts/codes/index.ts';

/**
 * The province that issued a license. An identifier names no province, so it is read from the
 * issuer code's GB/T 2260 area: characters 3-8 of a USCC, or an area-code issuer code itself.
 */
export function issuerProvinceOf(
  identifier: Pick<ParsedIdentifier, 'issuerCode' | 'issuerCodeKind'>,
): string | undefined {
  const area =
    identifier.issuerCodeKind === 'uscc' ? identifier.issuerCode.slice(2, 8) : identifier.issuerCode;
  return provinceOf(area);
}
