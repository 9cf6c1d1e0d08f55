import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { answer, errors, SIGNED_NOTE, signed } from '../operations.ts';

/** Signed verification calls from other provinces (tag `interop`). */
export function interopPaths() {
  return {
    '/v1/interop/verify': {
      post: {
        tags: ['interop'],
        operationId: 'interopVerify',
        summary: 'Another province confirms a license of this province (signed call)',
        description:
          `${SIGNED_NOTE} An active agreement must grant the caller \`verify\` on the license type and ` +
          'matter; the license is shared up to the granted data level, or the level asked ' +
          '(`dataLevel`). A call that the review policy holds (docs/protocol.md §18), or any call of a ' +
          'province whose breaker here is open with `whenOpen: "review"`, waits for a person: it is ' +
          'answered 202 with the review id before any license is read, and the decision comes later by ' +
          "`POST /v1/interop/review-decisions` to the caller. While the caller's breaker is open (with " +
          'the default `whenOpen: "refuse"`) every call is answered 429 `CIRCUIT_OPEN` until an operator ' +
          'here releases it.',
        security: signed,
        requestBody: { required: true, content: json('InteropVerifyRequest', ex.INTEROP_VERIFY_REQUEST) },
        responses: {
          '200': answer(
            'the live status and the shared license',
            'signed',
            json('InteropVerifyResponse', ex.INTEROP_VERIFY_RESPONSE),
          ),
          '202': answer(
            'held for a person to decide; it expires 72 h later (the example: a level-3 request of a public-security matter)',
            'signed',
            json('ReviewPending', ex.REVIEW_PENDING),
          ),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 429, 503], {
            429: {
              description:
                "CIRCUIT_OPEN: this province's breaker for the caller is open (too many calls in a minute, " +
                'or too many of them answered NOT_FOUND); refused until an operator releases it',
              example: ex.REVIEW_ERRORS.circuitOpen,
            },
          }),
        },
      },
    },
  };
}
