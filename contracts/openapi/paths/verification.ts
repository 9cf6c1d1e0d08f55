import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { answer, bearer, errors } from '../operations.ts';

/** Verification for the province's platforms (tag `verification`). */
export function verificationPaths() {
  return {
    '/v1/verify': {
      post: {
        tags: ['verification'],
        operationId: 'verify',
        summary: 'Verify a credential or identifier from any province (role platform)',
        description:
          "A foreign license is confirmed by a signed call to its issuing province; that province's " +
          '`ELG-Receipt` comes back in `receipt`. A peer that is down or refuses makes the verdict ' +
          '`unverified` with a reason, not an error. `dataLevel` asks for that level of a foreign ' +
          "license (default: the agreement's `maxDataLevel`). When the issuing province holds the " +
          'request for a person to decide (docs/protocol.md §18) the verdict is `unverified` with reason ' +
          '`REVIEW_PENDING` and the `reviewId` under which `GET /v1/reviews/{reviewId}` later shows the ' +
          'outcome, e.g. ' +
          `\`${JSON.stringify(ex.VERIFY_RESPONSE_HELD)}\`; ` +
          "when that province's breaker for this province is open, `unverified` with `CIRCUIT_OPEN`.",
        security: bearer,
        requestBody: { required: true, content: json('VerifyRequest', ex.VERIFY_REQUEST) },
        responses: {
          '200': answer('the verdict', 'bearer', json('VerifyResponse', ex.VERIFY_RESPONSE)),
          ...errors('bearer', [400, 401, 403, 413, 415, 503]),
        },
      },
    },
  };
}
