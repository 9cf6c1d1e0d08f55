import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { agreementIdParam, answer, bearer, errors, LOCATION, SIGNED_NOTE, signed } from '../operations.ts';

/** Agreements (tag `agreements`): the operator's routes and the signed deliveries of other parties. */
export function agreementPaths() {
  return {
    '/v1/agreements': {
      get: {
        tags: ['agreements'],
        operationId: 'listAgreements',
        summary: 'Agreements this province takes part in (role operator)',
        security: bearer,
        responses: {
          '200': answer('the agreements', 'bearer', json('AgreementList', ex.AGREEMENT_LIST)),
          ...errors('bearer', [401, 403, 503]),
        },
      },
      post: {
        tags: ['agreements'],
        operationId: 'proposeAgreement',
        summary: 'Propose a bilateral agreement or an alliance, signed by this province (role operator)',
        description: 'The proposal is delivered to every other party by the delivery function.',
        security: bearer,
        requestBody: { required: true, content: json('AgreementProposal', ex.AGREEMENT_PROPOSAL) },
        responses: {
          '201': answer(
            'proposed and signed',
            'bearer',
            json('AgreementView', ex.AGREEMENT_VIEW),
            LOCATION(`/v1/agreements/${ex.AGREEMENT_ID}`),
          ),
          ...errors('bearer', [400, 401, 403, 409, 413, 415, 503]),
        },
      },
    },
    '/v1/agreements/{id}': {
      get: {
        tags: ['agreements'],
        operationId: 'getAgreement',
        summary: 'One agreement, its signatures, withdrawals and pending deliveries (role operator)',
        security: bearer,
        parameters: [agreementIdParam],
        responses: {
          '200': answer('the agreement', 'bearer', json('AgreementView', ex.AGREEMENT_VIEW)),
          ...errors('bearer', [401, 403, 404, 503]),
        },
      },
    },
    '/v1/agreements/{id}/signatures': {
      post: {
        tags: ['agreements'],
        operationId: 'signAgreement',
        summary: "Sign an agreement with this province's gateway key (role operator)",
        description: 'No body. 201 when signed now, 200 when this province had signed already.',
        security: bearer,
        parameters: [agreementIdParam],
        responses: {
          '201': answer('signed', 'bearer', json('AgreementView', ex.AGREEMENT_SIGNED)),
          '200': answer('signed before', 'bearer', json('AgreementView', ex.AGREEMENT_SIGNED)),
          ...errors('bearer', [401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/agreements/{id}/withdrawal': {
      post: {
        tags: ['agreements'],
        operationId: 'withdrawFromAgreement',
        summary: 'Withdraw this province from an agreement (role operator)',
        description:
          'No body. 201 when withdrawn now, 200 when withdrawn before. An alliance goes on without ' +
          'the withdrawn party.',
        security: bearer,
        parameters: [agreementIdParam],
        responses: {
          '201': answer('withdrawn', 'bearer', json('AgreementView', ex.AGREEMENT_WITHDRAWN)),
          '200': answer('withdrawn before', 'bearer', json('AgreementView', ex.AGREEMENT_WITHDRAWN)),
          ...errors('bearer', [401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/interop/agreements': {
      post: {
        tags: ['agreements'],
        operationId: 'deliverProposal',
        summary: 'Another party delivers a proposal with the signatures it holds (signed call)',
        description: `${SIGNED_NOTE} Every signature must verify against its party's gateway key.`,
        security: signed,
        requestBody: { required: true, content: json('ProposalDelivery', ex.PROPOSAL_DELIVERY) },
        responses: {
          '201': answer('stored', 'signed', json('AgreementReceipt', ex.AGREEMENT_RECEIPT)),
          '200': answer(
            'held already',
            'signed',
            json('AgreementReceipt', { ...ex.AGREEMENT_RECEIPT, changed: false }),
          ),
          ...errors('signed', [400, 401, 403, 409, 413, 503]),
        },
      },
    },
    '/v1/interop/agreements/{id}/signatures': {
      post: {
        tags: ['agreements'],
        operationId: 'deliverSignature',
        summary: "Another party delivers a party's signature of an agreement (signed call)",
        description: SIGNED_NOTE,
        security: signed,
        parameters: [agreementIdParam],
        requestBody: { required: true, content: json('AgreementSignature', ex.ZHEJIANG_SIGNATURE) },
        responses: {
          '201': answer(
            'stored',
            'signed',
            json('AgreementReceipt', { ...ex.AGREEMENT_RECEIPT, state: 'active' }),
          ),
          '200': answer(
            'held already',
            'signed',
            json('AgreementReceipt', { ...ex.AGREEMENT_RECEIPT, state: 'active', changed: false }),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
    },
    '/v1/interop/agreements/{id}/withdrawal': {
      post: {
        tags: ['agreements'],
        operationId: 'deliverWithdrawal',
        summary: "Another party delivers a party's signed withdrawal (signed call)",
        description: SIGNED_NOTE,
        security: signed,
        parameters: [agreementIdParam],
        requestBody: { required: true, content: json('Withdrawal', ex.WITHDRAWAL) },
        responses: {
          '201': answer(
            'stored',
            'signed',
            json('AgreementReceipt', {
              ...ex.AGREEMENT_RECEIPT,
              state: 'withdrawn',
              activeParties: ['310000'],
            }),
          ),
          '200': answer(
            'held already',
            'signed',
            json('AgreementReceipt', {
              ...ex.AGREEMENT_RECEIPT,
              state: 'withdrawn',
              activeParties: ['310000'],
              changed: false,
            }),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 503]),
        },
      },
    },
  };
}
