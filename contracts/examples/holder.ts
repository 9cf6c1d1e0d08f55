import type {
  HolderLicensesPage,
  HolderUsesPage,
  HolderUsesQuery,
  InteropHolderUsesRequest,
} from '../holder.ts';
import { INCLUSION_PROOF } from './audit.ts';
import { JWKS } from './discovery.ts';
import { LICENSE } from './licenses.ts';
import { EVENT_ID, IDENTIFIER } from './parties.ts';

/* What a holder sees of the example license: their licenses, and its uses with their proofs. */

const AUDIT_KEY = JWKS.keys.find((k) => k.purpose === 'audit');
if (!AUDIT_KEY) throw new Error('the example JWKS has no audit key');

export const HOLDER_LICENSES_PAGE: HolderLicensesPage = {
  items: [
    {
      identifier: IDENTIFIER,
      province: '310000',
      typeCode: LICENSE.typeCode,
      typeName: LICENSE.typeName,
      number: LICENSE.number,
      issuer: { name: LICENSE.issuer.name },
      holderName: LICENSE.holder.name,
      version: '001',
      status: '01',
      validFrom: LICENSE.validFrom,
      ...(LICENSE.validUntil ? { validUntil: LICENSE.validUntil } : {}),
    },
  ],
};

export const HOLDER_USES_QUERY: HolderUsesQuery = { identifier: IDENTIFIER, from: '2026-03-01', limit: 20 };

export const HOLDER_USES_PAGE: HolderUsesPage = {
  license: HOLDER_LICENSES_PAGE.items[0] as HolderLicensesPage['items'][number],
  items: [
    { time: '2026-11-20T06:00:00.000Z', province: '320000', sealed: true, until: '2027-03-01' },
    {
      time: '2026-03-01T02:00:00.000Z',
      province: '330000',
      platform: '浙江省政务服务平台',
      matterCode: '330000-JS-0001',
      useCause: '办理建筑施工特种作业人员从业登记',
      dataLevel: 2,
      outcome: 'success',
      identifier: IDENTIFIER,
      eventId: EVENT_ID,
      proof: {
        index: INCLUSION_PROOF.index,
        treeSize: INCLUSION_PROOF.treeSize,
        leafHash: INCLUSION_PROOF.leafHash,
        proof: INCLUSION_PROOF.proof,
        checkpoint: INCLUSION_PROOF.checkpoint,
      },
    },
  ],
  auditKey: AUDIT_KEY,
};

export const INTEROP_HOLDER_USES_REQUEST: InteropHolderUsesRequest = {
  identifier: IDENTIFIER,
  holder: { typeCode: '111', code: '11010519491231002X' },
  limit: 20,
};
