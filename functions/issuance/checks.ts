import type { Principal } from '../../contracts/auth.ts';
import { type ParsedIdentifier, parseIdentifier } from '../../contracts/codes/index.ts';
import { ForbiddenError, InvalidRequestError } from '../../lib/errors.ts';
import { isAuthorityOf } from '../../lib/license/issuer-province.ts';

/*
 * Who may act on a license, and the identifier it is named by: decided before storage is read, so
 * the answer does not tell another department whether a license exists.
 */

/** A malformed identifier is bad input whoever asks: 400 before any authority or storage check. */
export function parseOrRefuse(identifier: string): ParsedIdentifier {
  const parsed = parseIdentifier(identifier);
  if (!parsed.ok) {
    throw new InvalidRequestError(`identifier: ${parsed.issue.reason}`, [
      {
        path: ['identifier', parsed.issue.segment],
        code: 'invalid_identifier',
        message: parsed.issue.reason,
      },
    ]);
  }
  return parsed.value;
}

/** docs/protocol.md §11.4, §12: a province issues only for authorities of its own province. */
export function isOwnProvince(province: string, principal: Principal): boolean {
  return principal.uscc !== undefined && isAuthorityOf(province, principal.uscc);
}

export function assertOwnProvince(province: string, principal: Principal) {
  if (!isOwnProvince(province, principal)) {
    throw new ForbiddenError(
      `this issuer token's authority (USCC area, characters 3-8) is not of province ${province}`,
    );
  }
}

/** Only from the identifier, never from storage: see `IssuanceService.get`. */
export function assertOwner(province: string, parsed: ParsedIdentifier, principal: Principal) {
  assertOwnProvince(province, principal);
  if (principal.uscc !== parsed.issuerCode) {
    throw new ForbiddenError('only the issuing authority may change this license');
  }
}
