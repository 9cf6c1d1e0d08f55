import type { InteropVerifyRequest, InteropVerifyResponse } from '../interop.ts';
import type { VerifyRequest, VerifyResponse } from '../verify.ts';
import { CREDENTIAL, LICENSE_MASKED } from './licenses.ts';
import { AGREEMENT_ID, IDENTIFIER, SHANGHAI_HOUSING, TRACE_ID, TYPE_CODE, TYPE_NAME } from './parties.ts';

/* A platform's verification, and the signed call it makes of the issuing province. */

export const VERIFY_REQUEST: VerifyRequest = {
  credential: CREDENTIAL,
  matterCode: '310000-JS-0012',
  useCause: '办理建筑施工企业安全生产许可',
};

export const VERIFY_RESPONSE: VerifyResponse = {
  verdict: 'valid',
  identifier: IDENTIFIER,
  issuerProvince: '310000',
  status: '01',
  checks: { format: 'pass', issuer: 'pass', signature: 'pass', validity: 'pass', status: 'pass' },
  reasons: [],
  license: LICENSE_MASKED,
  traceId: TRACE_ID,
};

export const INTEROP_VERIFY_REQUEST: InteropVerifyRequest = {
  identifier: IDENTIFIER,
  matterCode: '330000-JS-0107',
  useCause: '浙江省建筑施工企业安全生产许可核验',
  requester: { platform: '浙江政务服务网', officerRef: 'ofr_mpePCgbkGTSUvg04' },
  dataLevel: 2,
};

export const INTEROP_VERIFY_RESPONSE: InteropVerifyResponse = {
  identifier: IDENTIFIER,
  status: '01',
  version: '001',
  currentIdentifier: IDENTIFIER,
  validFrom: '2026-03-01',
  validUntil: '2032-02-28',
  license: {
    identifier: IDENTIFIER,
    typeCode: TYPE_CODE,
    typeName: TYPE_NAME,
    issuer: SHANGHAI_HOUSING,
    areaCode: '310000',
    issueDate: '2026-03-01',
    validFrom: '2026-03-01',
    validUntil: '2032-02-28',
    version: '001',
    status: '01',
    dataLevel: 2,
    number: '沪建安A(2026)000123',
    holder: { name: '张三', typeCode: '111', code: '110105********002X' },
  },
  agreementId: AGREEMENT_ID,
};
