import type {
  AuditEventsPage,
  AuditedEvent,
  AuditQuery,
  ConsistencyProof,
  HolderHashRequest,
  HolderHashResponse,
  InclusionProof,
} from '../audit-api.ts';
import { EVENT_ID, IDENTIFIER, SHANGHAI_HOUSING, TRACE_ID, TYPE_CODE } from './parties.ts';

/* The audit trail of the examples: its events, and the proofs against its checkpoint. */

export const AUDITED_EVENT: AuditedEvent = {
  eventId: EVENT_ID,
  province: '310000',
  time: '2026-03-01T02:00:00.000Z',
  traceId: 'd922e31a8618180869ad942e52c81742',
  action: 'license.issue',
  outcome: 'success',
  actor: { sub: 'issuer@sh-housing', roles: ['issuer'], uscc: SHANGHAI_HOUSING.uscc },
  method: 'POST',
  path: '/v1/licenses',
  identifier: IDENTIFIER,
  holderHash: 'TMrGDyNRVfplyz5VVNQJUlmZ1Eu2XAIBSqRiebeLWlE',
  details: { version: '001', idempotencyKey: 'req-2026-000123', typeCode: TYPE_CODE },
  leafIndex: 1,
};

export const AUDIT_EVENTS_PAGE: AuditEventsPage = {
  items: [
    AUDITED_EVENT,
    {
      eventId: '01KJKHZE80T8N6NGBA2F1Q17X3',
      province: '310000',
      time: '2026-03-01T02:00:00.000Z',
      traceId: TRACE_ID,
      action: 'verify',
      outcome: 'success',
      actor: { sub: 'platform@sh-zwfw', roles: ['platform'] },
      method: 'POST',
      path: '/v1/verify',
      identifier: IDENTIFIER,
      holderHash: 'TMrGDyNRVfplyz5VVNQJUlmZ1Eu2XAIBSqRiebeLWlE',
      details: {
        matterCode: '310000-JS-0012',
        presented: 'credential',
        verdict: 'valid',
        useCause: '办理建筑施工企业安全生产许可',
      },
      leafIndex: 7,
    },
  ],
  cursor: 'eyJ2IjoxLCJ0IjoiMjAyNi0wMy0wMVQwMjowMDowMC4wMDBaIiwiZSI6IjAxS0pLSFpFODBUOE42TkdCQTJGMVExN1gzIn0',
};

export const AUDIT_QUERY: AuditQuery = {
  identifier: IDENTIFIER,
  from: '2026-03-01T00:00:00Z',
  to: '2026-03-31T23:59:59Z',
  limit: 50,
};

/** The signed note of a tree of 10 events (C2SP checkpoint). */
export const CHECKPOINT =
  'elg/310000/audit\n10\nBkcIPd+bf2rtrnIpt2DupYrgI1+ccTbETI4Uak05pZU=\n\n' +
  '— elg/310000/audit DyVKljBEAiAFKy2uIViSc+PHsiVxIaxlERuVJDTf20MDLr6/cXn9nQIgPWE9VaIteCFnlGc3wL1UlIorDIawV6986qexVsFhBQ8=\n';

export const INCLUSION_PROOF: InclusionProof = {
  index: 1,
  treeSize: 10,
  leafHash: 'gS87/zelyECEEjHy0w8l0YTmJL9U06l0IKAjdi7wCBk=',
  proof: [
    '7Gxicwjn3sQXzKNJDyfO+pKhQdDJrTp1oU4dd8l92Ks=',
    'QW+Ui7XNvcp66+BFqEgjWxZHG897vxNxMMhfOveAhL0=',
    'vWW9e2xIzAZ8C1M5L2gczhFlnZDNnEPV3p8wRQEP/WY=',
    'T13OnpHOoXy7Ys3s3SqK5Q0XRx0bQOj00W3BWwZ8M74=',
  ],
  checkpoint: CHECKPOINT,
};

export const CONSISTENCY_PROOF: ConsistencyProof = {
  from: 1,
  to: 3,
  proof: ['gS87/zelyECEEjHy0w8l0YTmJL9U06l0IKAjdi7wCBk=', 'Wnueg35nWeErhP8Oz366Zs4Z1+l5+bhbzh0EHS3aax8='],
};

export const HOLDER_HASH_REQUEST: HolderHashRequest = {
  holderTypeCode: '111',
  holderCode: '11010519491231002X',
};
export const HOLDER_HASH_RESPONSE: HolderHashResponse = {
  holderHash: 'TMrGDyNRVfplyz5VVNQJUlmZ1Eu2XAIBSqRiebeLWlE',
};
