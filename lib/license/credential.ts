import { CREDENTIAL_JWS_TYPE, type CredentialClaims } from '../../contracts/credential.ts';
import type { License } from '../../contracts/license.ts';
import { signCompactJws } from '../signing/jws.ts';
import type { Signer } from '../signing/signer.ts';
import { validityWindow } from './validity.ts';

type LicenseData = Omit<License, 'status' | 'statusReason' | 'statusChangedAt' | 'supersededBy'>;

/** Claims of the credential for one license version (docs/protocol.md §5.1). */
export function credentialClaims(license: LicenseData, issuedAt: Date): CredentialClaims {
  const { nbf, exp } = validityWindow(license.validFrom, license.validUntil);
  return {
    iss: license.province,
    jti: license.identifier,
    iat: Math.floor(issuedAt.getTime() / 1000),
    nbf,
    ...(exp === undefined ? {} : { exp }),
    lic: {
      typeCode: license.typeCode,
      typeName: license.typeName,
      number: license.number,
      issuer: license.issuer,
      holder: license.holder,
      areaCode: license.areaCode,
      issueDate: license.issueDate,
      version: license.version,
      fields: license.fields,
    },
  };
}

export async function signCredential(signer: Signer, license: LicenseData, issuedAt: Date): Promise<string> {
  if (signer.purpose !== 'credential') {
    throw new TypeError(`credentials are signed with the credential key, not the ${signer.purpose} key`);
  }
  return signCompactJws(signer, { typ: CREDENTIAL_JWS_TYPE }, credentialClaims(license, issuedAt));
}
