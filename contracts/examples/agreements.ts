import type {
  AgreementDocument,
  AgreementProposal,
  AgreementSignature,
  AgreementView,
  ProposalDelivery,
  Withdrawal,
} from '../agreement.ts';
import { AGREEMENT_ID, SHANGHAI_KIDS, TYPE_CODE, ZHEJIANG_GATEWAY_KID } from './parties.ts';

/* The agreement of Shanghai and Zhejiang: proposed, signed, withdrawn from, and its deliveries. */

const GRANT = {
  grantor: '310000',
  grantee: '330000',
  actions: ['verify' as const],
  licenseTypes: [TYPE_CODE],
  matterCodes: ['*'],
  maxDataLevel: 2,
};

export const AGREEMENT_PROPOSAL: AgreementProposal = {
  name: '沪浙建筑施工特种作业证照互认',
  parties: ['310000', '330000'],
  grants: [GRANT],
  validFrom: '2026-03-01',
  validUntil: '2028-12-31',
};

export const AGREEMENT_DOCUMENT: AgreementDocument = {
  id: AGREEMENT_ID,
  ...AGREEMENT_PROPOSAL,
  proposer: '310000',
  proposedAt: '2026-03-01T02:00:00.000Z',
};

export const SHANGHAI_SIGNATURE: AgreementSignature = {
  party: '310000',
  kid: SHANGHAI_KIDS.gateway,
  signature: 's6EdiHyag1UxoYGJEJgpOodtaGUkDUkE3DnXZk-bDLP34lIb66mIOb5xD65B3gFy6pLFhrK32Fr3XSotqistTg',
};

export const ZHEJIANG_SIGNATURE: AgreementSignature = {
  party: '330000',
  kid: ZHEJIANG_GATEWAY_KID,
  signature: 'Qm3v9Xc2LrT8pZk1WnY6aHs4JdG0eFbU7oRiVyN5tMwKqE3xCjS8lPuA2gDhO9fIzB1rT6kY4nWmV7cX0sL5eQ',
};

export const WITHDRAWAL: Withdrawal = {
  agreementId: AGREEMENT_ID,
  party: '330000',
  withdrawnAt: '2026-09-30T16:00:00.000Z',
  kid: ZHEJIANG_GATEWAY_KID,
  signature: '58z-fRmMmtKpwEUiXQKHURs122q4U7tyEohLUfqcMaFqYHcoN9d8SV4r7WfJe-AlUDBY2u1wEs6YJC_FEId2qA',
};

export const AGREEMENT_VIEW: AgreementView = {
  ...AGREEMENT_DOCUMENT,
  state: 'proposed',
  signatures: [SHANGHAI_SIGNATURE],
  withdrawals: [],
  activeParties: ['310000', '330000'],
  pendingDeliveries: [
    {
      to: '330000',
      kind: 'proposal',
      party: '310000',
      attempts: 0,
      nextAttemptAt: '2026-03-01T02:00:00.000Z',
    },
  ],
};

export const AGREEMENT_SIGNED: AgreementView = {
  ...AGREEMENT_VIEW,
  state: 'active',
  signatures: [SHANGHAI_SIGNATURE, ZHEJIANG_SIGNATURE],
  pendingDeliveries: [
    {
      to: '330000',
      kind: 'signature',
      party: '310000',
      attempts: 0,
      nextAttemptAt: '2026-03-02T01:30:00.000Z',
    },
  ],
};

export const AGREEMENT_WITHDRAWN: AgreementView = {
  ...AGREEMENT_SIGNED,
  state: 'withdrawn',
  withdrawals: [
    {
      agreementId: AGREEMENT_ID,
      party: '310000',
      withdrawnAt: '2026-09-30T16:00:00.000Z',
      kid: SHANGHAI_KIDS.gateway,
      signature: '58z-fRmMmtKpwEUiXQKHURs122q4U7tyEohLUfqcMaFqYHcoN9d8SV4r7WfJe-AlUDBY2u1wEs6YJC_FEId2qA',
    },
  ],
  activeParties: ['330000'],
  pendingDeliveries: [
    {
      to: '330000',
      kind: 'withdrawal',
      party: '310000',
      attempts: 0,
      nextAttemptAt: '2026-09-30T16:00:00.000Z',
    },
  ],
};

export const AGREEMENT_LIST = { items: [AGREEMENT_VIEW] };

export const PROPOSAL_DELIVERY: ProposalDelivery = {
  document: { ...AGREEMENT_DOCUMENT, proposer: '330000', proposedAt: '2026-03-01T02:00:00.000Z' },
  signatures: [ZHEJIANG_SIGNATURE],
};

/** What a gateway answers a delivering gateway. */
export const AGREEMENT_RECEIPT = {
  id: AGREEMENT_ID,
  state: 'proposed' as const,
  activeParties: ['310000', '330000'],
  changed: true,
};
