import { identifierKey, parseIdentifier } from '../../contracts/codes/index.ts';
import type { InteropVerifyRequest, InteropVerifyResponse } from '../../contracts/interop.ts';
import { AgreementRequiredError, NotFoundError, ScopeDeniedError } from '../../lib/errors.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import { type FieldLevels, shareLicense } from '../../lib/license/share.ts';
import type { AgreementAuthorizer } from './authorization.ts';
import type { LicenseLookup } from './ports.ts';

export interface InteropDeps {
  province: string;
  licenses: LicenseLookup;
  agreementPolicy: AgreementAuthorizer;
  fieldLevels?: FieldLevels;
}

export interface InteropVerifyOutcome {
  response: InteropVerifyResponse;
  holderHash: string;
  dataLevel: number;
}

/**
 * The issuing province's side of a cross-province verification: the agreement is checked first,
 * from the identifier alone, so a caller without a grant learns nothing, not even whether the
 * license exists.
 */
export class InteropService {
  constructor(private readonly deps: InteropDeps) {}

  async verify(caller: string, request: InteropVerifyRequest): Promise<InteropVerifyOutcome> {
    const parsed = parseIdentifier(request.identifier);
    if (!parsed.ok) throw new NotFoundError(`not an identifier: ${parsed.issue.reason}`);
    const id = parsed.value;
    const auth = await this.deps.agreementPolicy.authorize({
      grantor: this.deps.province,
      grantee: caller,
      action: 'verify',
      licenseType: id.typeCode,
      matterCode: request.matterCode,
      ...(request.dataLevel === undefined ? {} : { dataLevel: request.dataLevel }),
    });
    if (!auth.ok) {
      throw auth.code === 'AGREEMENT_REQUIRED'
        ? new AgreementRequiredError(auth.message)
        : new ScopeDeniedError(auth.message);
    }
    const found =
      issuerProvinceOf(id) === this.deps.province
        ? await this.deps.licenses.get(identifierKey(id), id.version)
        : undefined;
    if (!found)
      throw new NotFoundError(`province ${this.deps.province} issued no license ${request.identifier}`);
    const { version, head } = found;
    const level = request.dataLevel ?? auth.maxDataLevel;
    const license = {
      ...version.license,
      status: head.status,
    };
    return {
      response: {
        identifier: id.identifier,
        status: head.status,
        version: head.currentVersion,
        currentIdentifier: head.currentIdentifier,
        validFrom: version.license.validFrom,
        ...(version.license.validUntil ? { validUntil: version.license.validUntil } : {}),
        license: shareLicense(license, level, this.deps.fieldLevels),
        agreementId: auth.agreementId,
      },
      holderHash: head.holderHash,
      dataLevel: level,
    };
  }
}
