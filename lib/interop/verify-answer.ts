import type { Authorization, AuthorizationQuery } from '../../contracts/agreement.ts';
import { identifierKey, parseIdentifier } from '../../contracts/codes/index.ts';
import type { InteropVerifyRequest, InteropVerifyResponse } from '../../contracts/interop.ts';
import { AgreementRequiredError, NotFoundError, ScopeDeniedError } from '../errors.ts';
import { issuerProvinceOf } from '../license/issuer-province.ts';
import type { LicenseRecord } from '../license/records.ts';
import { type FieldLevels, shareLicense } from '../license/share.ts';

/** Enforcement at the grantor: an active agreement must grant the caller this very call. */
export interface AgreementAuthorizer {
  authorize(query: AuthorizationQuery): Promise<Authorization>;
}

/** Reads the province's own licenses, to answer another province about one. */
export interface LicenseLookup {
  /** A version and the license head, read consistently. */
  get(licenseKey: string, version: string): Promise<LicenseRecord | undefined>;
}

export interface InteropDeps {
  province: string;
  licenses: LicenseLookup;
  agreementPolicy: AgreementAuthorizer;
  fieldLevels?: FieldLevels;
}

/** What allows a call: the agreement, the highest level it grants, the identifier's license type. */
export interface Grant {
  agreementId: string;
  maxDataLevel: number;
  licenseType: string;
}

export interface InteropVerifyOutcome {
  response: InteropVerifyResponse;
  holderHash: string;
  dataLevel: number;
}

/**
 * The issuing province's side of a cross-province verification (the interop function, and a held
 * request approved by its reviewers, docs/protocol.md §18): the agreement is checked first,
 * from the identifier alone, so a caller without a grant learns nothing, not even whether the
 * license exists.
 */
export class InteropService {
  constructor(private readonly deps: InteropDeps) {}

  /**
   * The grant that allows this call, decided from the identifier alone (no license is read): the
   * agreement, the level the caller may see, and the license type. Throws as `verify` refuses.
   */
  async authorize(caller: string, request: InteropVerifyRequest): Promise<Grant> {
    const parsed = parseIdentifier(request.identifier);
    if (!parsed.ok) throw new NotFoundError(`not an identifier: ${parsed.issue.reason}`);
    const auth = await this.grant(caller, request, parsed.value.typeCode);
    return {
      agreementId: auth.agreementId,
      maxDataLevel: auth.maxDataLevel,
      licenseType: parsed.value.typeCode,
    };
  }

  private async grant(caller: string, request: InteropVerifyRequest, licenseType: string) {
    const auth = await this.deps.agreementPolicy.authorize({
      grantor: this.deps.province,
      grantee: caller,
      action: 'verify',
      licenseType,
      matterCode: request.matterCode,
      ...(request.dataLevel === undefined ? {} : { dataLevel: request.dataLevel }),
    });
    if (!auth.ok) {
      throw auth.code === 'AGREEMENT_REQUIRED'
        ? new AgreementRequiredError(auth.message)
        : new ScopeDeniedError(auth.message);
    }
    return auth;
  }

  /**
   * The answer to a verification call; `granted`, when the caller already holds the grant
   * `authorize` gave for this very request, is not decided again.
   */
  async verify(
    caller: string,
    request: InteropVerifyRequest,
    granted?: Grant,
  ): Promise<InteropVerifyOutcome> {
    const parsed = parseIdentifier(request.identifier);
    if (!parsed.ok) throw new NotFoundError(`not an identifier: ${parsed.issue.reason}`);
    const id = parsed.value;
    const auth = granted ?? (await this.grant(caller, request, id.typeCode));
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
