import type { ErrorBody } from '../../errors.ts';
import { TRACE_ID } from '../../examples/parties.ts';
import {
  EvidenceIdSchema,
  type EvidencePage,
  EvidenceQuerySchema,
  type EvidenceRecord,
  TLOG_SIZE_CONTENT_TYPE,
  WITNESS_TEXT_CONTENT_TYPE,
  type WitnessedLogs,
} from '../../witness.ts';
import { inline, json } from '../json-schema.ts';
import { answer, bearer, errors, queryParams, SIGNED_NOTE, signed } from '../operations.ts';

const ROOT_10 = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
const ROOT_16 = 'DWr4QHTHN6k+rJYDLV1fOBxt24+zIH47PUkHEP2b67I=';
const ROOT_16_FORKED = 'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=';
const SIG = (s: string) =>
  `\u2014 elg/310000/audit ${s}MEUCIQDh2P0B3mFkVh4YvZ8j3oJ9c7Ykq0dZ2w1hXr2Lx3x6QQIgJ4xj8dWbHn5Fz3v8eJkq1Zb2YtV7n4rU6sQe9wPm3Xk=\n`;
const note = (size: number, root: string, sig: string) => `elg/310000/audit\n${size}\n${root}\n\n${SIG(sig)}`;

/** The add-checkpoint request of a log at 310000 from size 10 to 16 (docs/protocol.md §19.2). */
export const ADD_CHECKPOINT_EXAMPLE =
  'old 10\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n' +
  `/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n${note(16, ROOT_16, 'y2V1')}`;
export const COSIGNATURE_EXAMPLE =
  '\u2014 elg/320000/witness TkF4fgAAAABqHTwA3Pt5Z40UGcK6Nog9L5tSn6wFpZ1eo4iVhZ3+ZLLU2nzgrln1ZAHWzGFKEKYnX6OLJl+i5CCnab+ohTxu9r4fBg==\n';

export const EVIDENCE_EXAMPLE: EvidenceRecord = {
  evidenceId: '5f0c2a7de1b94c3a8e6f1d2b3c4a5e6f',
  kind: 'fork',
  origin: 'elg/310000/audit',
  logProvince: '310000',
  cosigned: { treeSize: 10, rootHash: ROOT_10, note: note(10, ROOT_10, 'y2V1') },
  submitted: {
    treeSize: 16,
    rootHash: ROOT_16_FORKED,
    note: note(16, ROOT_16_FORKED, 'y2V1'),
    oldSize: 10,
    proof: ['jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=', '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8='],
  },
  caller: '310000',
  traceId: TRACE_ID,
  receivedAt: '2026-06-01T08:00:00.000Z',
};
const EVIDENCE_PAGE: EvidencePage = { items: [EVIDENCE_EXAMPLE] };
const WITNESSED_LOGS: WitnessedLogs = {
  logs: [
    {
      origin: 'elg/310000/audit',
      logProvince: '310000',
      cosigned: { treeSize: 16, rootHash: ROOT_16, cosignedAt: '2026-06-01T08:00:00.000Z', caller: '310000' },
    },
    { origin: 'elg/330000/audit', logProvince: '330000' },
  ],
};

const error = (code: ErrorBody['error']['code'], message: string): ErrorBody => ({
  error: { code, message, traceId: TRACE_ID },
});

const evidenceIdParam = {
  name: 'evidenceId',
  in: 'path',
  required: true,
  description: 'the evidence id: 16 bytes of SHA-256 over both note texts, in hex',
  schema: inline(EvidenceIdSchema),
  example: EVIDENCE_EXAMPLE.evidenceId,
};

/** Witnessing (docs/protocol.md §19; tag `witness`, the function that serves it all). */
export function witnessPaths() {
  return {
    '/v1/witness/add-checkpoint': {
      post: {
        tags: ['witness'],
        operationId: 'addCheckpoint',
        summary: "Cosign another province's checkpoint as its witness (C2SP tlog-witness, signed call)",
        description:
          `${SIGNED_NOTE} The body is the C2SP tlog-witness request: \`old <size>\`, at most 63 ` +
          'consistency proof lines, an empty line, the signed checkpoint. Checked in this order: the form ' +
          '(400), the origin is a log this province witnesses (404), a published audit key of the log signed ' +
          'it (403), the old size is at most its size (400) and is the size last cosigned (409), the same ' +
          'root at the same size (409), the consistency proof (422); then a compare-and-set of the size last ' +
          'cosigned, and the answer: one cosignature/v1 line. A 409 is `text/x.tlog.size`: the size last ' +
          'cosigned and a newline. A checkpoint signed by the log that contradicts what was cosigned is kept ' +
          'as split-view evidence. Audited as `witness.cosign` or `witness.refuse`.',
        security: signed,
        requestBody: {
          required: true,
          content: {
            [WITNESS_TEXT_CONTENT_TYPE]: { schema: { type: 'string' }, example: ADD_CHECKPOINT_EXAMPLE },
          },
        },
        responses: {
          '200': answer('the cosignature/v1 signature line', 'signed', {
            [WITNESS_TEXT_CONTENT_TYPE]: { schema: { type: 'string' }, example: COSIGNATURE_EXAMPLE },
          }),
          ...errors('signed', [400, 401, 403, 404, 413, 422, 503], {
            403: {
              description:
                'CHECKPOINT_SIGNATURE_INVALID: no published audit key of the log signed the checkpoint',
              example: error(
                'CHECKPOINT_SIGNATURE_INVALID',
                'no published audit key of 310000 signed this checkpoint',
              ),
            },
            404: {
              description: 'WITNESS_UNKNOWN_LOG: the origin is no log this province witnesses',
              example: error('WITNESS_UNKNOWN_LOG', 'elg/650000/audit is no log province 320000 witnesses'),
            },
            422: {
              description: 'CONSISTENCY_PROOF_INVALID: the proof from the size last cosigned does not verify',
              example: error(
                'CONSISTENCY_PROOF_INVALID',
                'the consistency proof from size 10 to 16 does not verify',
              ),
            },
          }),
          '409': answer(
            'WITNESS_SIZE_MISMATCH or WITNESS_ROOT_MISMATCH: the old size is not the size last cosigned, another ' +
              'request cosigned first, or that size has another root; the body is the size last cosigned ' +
              '(REPLAYED, a jti used before, is answered in the JSON error shape)',
            'signed',
            { [TLOG_SIZE_CONTENT_TYPE]: { schema: { type: 'string' }, example: '16\n' } },
          ),
        },
      },
    },
    '/v1/witness/logs': {
      get: {
        tags: ['witness'],
        operationId: 'listWitnessedLogs',
        summary:
          'The logs this province witnesses and what it last cosigned of each (role auditor or operator)',
        description: 'Each log whose registry witness policy names this province. Audited as `audit.query`.',
        security: bearer,
        responses: {
          '200': answer('the logs witnessed', 'bearer', json('WitnessedLogs', WITNESSED_LOGS)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/witness/evidence': {
      get: {
        tags: ['witness'],
        operationId: 'listEvidence',
        summary: 'Split-view evidence this witness kept, newest first (role auditor)',
        description:
          'Each record holds both checkpoints signed by the log, verbatim: the one cosigned and the one ' +
          'contradicting it, with the old size and proof lines sent. Audited as `audit.query`.',
        security: bearer,
        parameters: queryParams(EvidenceQuerySchema, { limit: 20 }),
        responses: {
          '200': answer('a page of evidence', 'bearer', json('EvidencePage', EVIDENCE_PAGE)),
          ...errors('bearer', [400, 401, 403, 503]),
        },
      },
    },
    '/v1/witness/evidence/{evidenceId}': {
      get: {
        tags: ['witness'],
        operationId: 'getEvidence',
        summary: 'One split-view evidence record (role auditor)',
        security: bearer,
        parameters: [evidenceIdParam],
        responses: {
          '200': answer('the record', 'bearer', json('EvidenceRecord', EVIDENCE_EXAMPLE)),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
  };
}
