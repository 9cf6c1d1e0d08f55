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

/**
 * Whether an authority's USCC belongs to a province: its area (characters 3-8) lies in it, i.e.
 * the area's first two digits are the province's. Central-level authorities (area `100000`) and
 * malformed codes belong to no province. A token's USCC is only shape-checked, so this reads it
 * defensively.
 */
export function isAuthorityOf(province: string, uscc: string): boolean {
  const own = provinceOf(uscc.slice(2, 8));
  return own !== undefined && own === provinceOf(province);
}
