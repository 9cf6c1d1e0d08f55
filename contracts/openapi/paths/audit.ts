import { AuditQuerySchema, ConsistencyQuerySchema } from '../../audit-api.ts';
import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { answer, bearer, errors, eventIdParam, queryParams } from '../operations.ts';

/** The audit trail and its Merkle log proofs (tag `audit`). */
export function auditPaths() {
  return {
    '/v1/audit/events': {
      get: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary:
          'Audit events by trace, license, holder hash, peer, action and time, in time order (role auditor)',
        description:
          'Without traceId, identifier, holderHash, peer or action, `from` is required and the range ' +
          'spans at most 31 days. A page may hold fewer than `limit` events and still carry a cursor.',
        security: bearer,
        parameters: queryParams(AuditQuerySchema, ex.AUDIT_QUERY),
        responses: {
          '200': answer('a page of events', 'bearer', json('AuditEventsPage', ex.AUDIT_EVENTS_PAGE)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/audit/events/{eventId}': {
      get: {
        tags: ['audit'],
        operationId: 'getAuditEvent',
        summary: 'One audit event, with its leaf index once integrated into the log (role auditor)',
        security: bearer,
        parameters: [eventIdParam],
        responses: {
          '200': answer('the event', 'bearer', json('AuditedEvent', ex.AUDITED_EVENT)),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
    '/v1/audit/events/{eventId}/proof': {
      get: {
        tags: ['audit'],
        operationId: 'getInclusionProof',
        summary: 'RFC 9162 inclusion proof of an event against the latest checkpoint (role auditor)',
        description: '409 while the event waits to be integrated into the log; retry shortly.',
        security: bearer,
        parameters: [eventIdParam],
        responses: {
          '200': answer('the proof', 'bearer', json('InclusionProof', ex.INCLUSION_PROOF)),
          ...errors('bearer', [400, 401, 403, 404, 409, 503]),
        },
      },
    },
    '/v1/audit/checkpoint': {
      get: {
        tags: ['audit'],
        operationId: 'getCheckpoint',
        summary: 'The latest checkpoint: a C2SP signed note by the audit key (role auditor)',
        security: bearer,
        responses: {
          '200': answer('signed note', 'bearer', {
            'text/plain; charset=utf-8': { schema: { type: 'string' }, example: ex.CHECKPOINT },
          }),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
    '/v1/audit/consistency': {
      get: {
        tags: ['audit'],
        operationId: 'getConsistencyProof',
        summary: 'RFC 9162 consistency proof between two tree sizes (role auditor)',
        security: bearer,
        parameters: queryParams(ConsistencyQuerySchema, { from: 1, to: 3 }),
        responses: {
          '200': answer('the proof', 'bearer', json('ConsistencyProof', ex.CONSISTENCY_PROOF)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/audit/holder-hash': {
      post: {
        tags: ['audit'],
        operationId: 'holderHash',
        summary: "A holder's keyed hash, to query events by holderHash (role auditor)",
        description: "A POST, so the holder's code travels in a body and never in a URL or an access log.",
        security: bearer,
        requestBody: { required: true, content: json('HolderHashRequest', ex.HOLDER_HASH_REQUEST) },
        responses: {
          '200': answer('the hash', 'bearer', json('HolderHashResponse', ex.HOLDER_HASH_RESPONSE)),
          ...errors('bearer', [400, 401, 403, 413, 415, 503]),
        },
      },
    },
  };
}
