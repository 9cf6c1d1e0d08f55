import * as ex from '../../examples.ts';
import { GatewayIdSchema } from '../../registry.ts';
import { ReviewIdSchema, ReviewQueueQuerySchema } from '../../reviews.ts';
import { inline, json } from '../json-schema.ts';
import { answer, bearer, errors, queryParams, SIGNED_NOTE, signed } from '../operations.ts';

const reviewIdParam = {
  name: 'reviewId',
  in: 'path',
  required: true,
  description: "the granting province's review id (`<province>-<ULID>`)",
  schema: inline(ReviewIdSchema),
  example: ex.REVIEW_ID,
};

const peerParam = {
  name: 'peer',
  in: 'path',
  required: true,
  description: 'the calling province whose breaker this is (its GB/T 2260 code)',
  schema: inline(GatewayIdSchema),
  example: '330000',
};

/**
 * Manual review and circuit breakers (docs/protocol.md §18; tag `reviews`, the function that serves
 * them all, the signed delivery of decisions included). Held requests themselves arrive on
 * `POST /v1/interop/verify` (tag `interop`), which answers them 202.
 */
export function reviewPaths() {
  return {
    '/v1/review-policy': {
      get: {
        tags: ['reviews'],
        operationId: 'getReviewPolicy',
        summary: 'The review policy and breaker settings in force (role operator)',
        description:
          "The rules, the breaker's settings with the defaults filled in until the operator sets them " +
          '(60,000 calls a minute; a trip when more than 0.2 of at least 50 calls in 10 minutes were ' +
          'answered NOT_FOUND; `whenOpen: "refuse"`), and who changed the policy when.',
        security: bearer,
        responses: {
          '200': answer('the policy in force', 'bearer', json('ReviewPolicyView', ex.REVIEW_POLICY_VIEW)),
          ...errors('bearer', [401, 403, 503], { 403: { example: ex.REVIEW_ERRORS.operatorOnly } }),
        },
      },
      put: {
        tags: ['reviews'],
        operationId: 'setReviewPolicy',
        summary: 'Replace the review policy: which inbound verifications wait for a person (role operator)',
        description:
          'A call `POST /v1/interop/verify` that the agreement allows waits for a reviewer when it matches ' +
          "a rule: its matter code, the identifier's license type, the data level asked (or, when none is " +
          "asked, the grant's `maxDataLevel`) at least `minDataLevel`, and the calling province; an absent " +
          'member matches everything, so `{}` holds every call. At most 100 rules. `breaker` replaces the ' +
          "breaker's settings (absent: the defaults). Every gateway instance reads the policy at most once a " +
          'second, so a change takes effect within 1 s. Audited as `review.policy`.',
        security: bearer,
        requestBody: { required: true, content: json('ReviewPolicy', ex.REVIEW_POLICY) },
        responses: {
          '200': answer('the policy now in force', 'bearer', json('ReviewPolicyView', ex.REVIEW_POLICY_VIEW)),
          ...errors('bearer', [400, 401, 403, 409, 413, 415, 503], {
            400: { example: ex.REVIEW_ERRORS.policyInvalid },
            403: { example: ex.REVIEW_ERRORS.operatorOnly },
            409: {
              description: 'CONFLICT: another change of the policy came in between; read it again',
              example: ex.REVIEW_ERRORS.policyChanged,
            },
          }),
        },
      },
    },
    '/v1/reviews': {
      get: {
        tags: ['reviews'],
        operationId: 'listReviews',
        summary: 'Requests held for a person to decide, or decided ones (role reviewer)',
        description:
          '`pending` (the default) lists the reviews waiting, oldest first; `decided` those approved, ' +
          'rejected or expired, newest first. Each shows everything the request said (the signed request ' +
          'itself), the license type, the data level that would be shared, the agreement, why it was ' +
          'held, the decisions so far and the expiry (72 h after it was held).',
        security: bearer,
        parameters: queryParams(ReviewQueueQuerySchema, ex.REVIEW_QUEUE_QUERY),
        responses: {
          '200': answer('a page of reviews', 'bearer', json('ReviewQueuePage', ex.REVIEW_QUEUE_PAGE)),
          ...errors('bearer', [400, 401, 403, 503], {
            400: { example: ex.REVIEW_ERRORS.queueInvalid },
            403: { example: ex.REVIEW_ERRORS.reviewerOnly },
          }),
        },
      },
    },
    '/v1/reviews/{reviewId}': {
      get: {
        tags: ['reviews'],
        operationId: 'getReview',
        summary: 'One review: held here (role reviewer), or asked for by this province (role platform)',
        description:
          'At the granting province a reviewer reads the held request (`HeldReview`). At the calling ' +
          'province a platform reads how its held verification ended (`CallerReview`, the example): ' +
          '`verdict` is what `POST /v1/verify` answers for it, `unverified` `REVIEW_PENDING` until the ' +
          'decision arrives; then, approved, the verdict of the shared answer; the refusal the approval ' +
          'found (e.g. `invalid` `NOT_FOUND`); or `unverified` `REVIEW_REJECTED` or `REVIEW_EXPIRED`. ' +
          "With the decision come its exact bytes (`decisionBody`) and the granting province's " +
          '`ELG-Signature` over them (`decisionSignature`). Anything else is 404, as for no review.',
        security: bearer,
        parameters: [reviewIdParam],
        responses: {
          '200': answer('the review', 'bearer', json('ReviewRead', ex.CALLER_REVIEW)),
          ...errors('bearer', [401, 403, 404, 503], {
            403: {
              description: 'FORBIDDEN: the token lacks the role reviewer or platform',
              example: ex.REVIEW_ERRORS.reviewerOrPlatform,
            },
            404: {
              description: 'NOT_FOUND: no such review held here (reviewer) or awaited here (platform)',
              example: ex.REVIEW_ERRORS.noReview,
            },
          }),
        },
      },
    },
    '/v1/reviews/{reviewId}/decisions': {
      post: {
        tags: ['reviews'],
        operationId: 'decideReview',
        summary: 'Approve or reject a held request, with a reason (role reviewer, at the granting province)',
        description:
          'One rejection ends the review `rejected`. An approval ends it `approved` once it has the ' +
          'approvals it needs: two different reviewers from data level 3 up (four eyes), one below. At ' +
          'the approval the answer is computed as `POST /v1/interop/verify` answers at that moment (the ' +
          'agreement checked again, the license read then). The outcome is delivered to the calling ' +
          'province by a signed call (`POST /v1/interop/review-decisions`), retried until it is. Audited ' +
          'as `review.decide`.',
        security: bearer,
        parameters: [reviewIdParam],
        requestBody: { required: true, content: json('DecisionRequest', ex.DECISION_REQUEST) },
        responses: {
          '200': answer(
            'the review with this decision (here the second approval: approved)',
            'bearer',
            json('HeldReview', ex.REVIEW_APPROVED),
          ),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503], {
            400: { example: ex.REVIEW_ERRORS.decisionInvalid },
            403: { example: ex.REVIEW_ERRORS.reviewerOnly },
            404: { description: 'NOT_FOUND: no such review held here', example: ex.REVIEW_ERRORS.noReview },
            409: {
              description:
                'CONFLICT: this reviewer decided this review already, it is decided or expired, or it ' +
                'was decided meanwhile',
              example: ex.REVIEW_ERRORS.decidedTwice,
            },
          }),
        },
      },
    },
    '/v1/breakers': {
      get: {
        tags: ['reviews'],
        operationId: 'listBreakers',
        summary:
          "Each calling province's breaker at this province, and the settings in force (role operator)",
        description:
          'A breaker trips when a calling province made more than `callsPerMinute` calls in one minute, ' +
          'or, over the last `windowMinutes`, at least `minCalls` calls of which more than ' +
          "`notFoundShare` were answered NOT_FOUND (a walk over serials). While it is open, that province's " +
          'verifications are answered 429 `CIRCUIT_OPEN`, or held for review (`whenOpen: "review"`), ' +
          'until an operator releases it. Provinces whose breaker never tripped are not listed.',
        security: bearer,
        responses: {
          '200': answer('the breakers', 'bearer', json('BreakersPage', ex.BREAKERS_PAGE)),
          ...errors('bearer', [401, 403, 503], { 403: { example: ex.REVIEW_ERRORS.operatorOnly } }),
        },
      },
    },
    '/v1/breakers/{peer}/release': {
      post: {
        tags: ['reviews'],
        operationId: 'releaseBreaker',
        summary: "Close a calling province's open breaker, with a reason (role operator)",
        description:
          'Counting starts afresh from the minute after the release. Audited as `breaker.release`; the ' +
          'trip was a `breaker.trip` event.',
        security: bearer,
        parameters: [peerParam],
        requestBody: { required: true, content: json('ReleaseRequest', ex.RELEASE_REQUEST) },
        responses: {
          '200': answer('the breaker, closed', 'bearer', json('BreakerView', ex.BREAKER_RELEASED)),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503], {
            400: { example: ex.REVIEW_ERRORS.releaseInvalid },
            403: { example: ex.REVIEW_ERRORS.operatorOnly },
            404: {
              description: 'NOT_FOUND: `peer` is not a province code',
              example: ex.REVIEW_ERRORS.noProvince,
            },
            409: {
              description: 'CONFLICT: the breaker is not open, or it changed meanwhile',
              example: ex.REVIEW_ERRORS.notOpen,
            },
          }),
        },
      },
    },
    '/v1/interop/review-decisions': {
      post: {
        tags: ['reviews'],
        operationId: 'interopReviewDecision',
        summary: 'The granting province tells this province how a verification it held ended (signed call)',
        description:
          `${SIGNED_NOTE} Taken only from the province the review id names and that this province's ` +
          'verification went to, for the identifier asked; stored once, with its exact bytes and the ' +
          "caller's `ELG-Signature` over them, for this province's platforms (`GET /v1/reviews/{reviewId}`). " +
          '`answer` is the interop answer of an approval, `error` the refusal the approval found; a ' +
          'rejection or an expiry shares nothing. A repeat of the same decision answers 200 again.',
        security: signed,
        requestBody: {
          required: true,
          content: json('InteropReviewDecision', ex.INTEROP_REVIEW_DECISION),
        },
        responses: {
          '200': answer('stored', 'signed', json('ReviewDecisionReceipt', ex.REVIEW_DECISION_RECEIPT)),
          ...errors('signed', [400, 401, 404, 409, 413, 503], {
            404: {
              description:
                'NOT_FOUND: no verification of this province waits for the caller under this review id and identifier',
              example: ex.REVIEW_ERRORS.noWait,
            },
            409: {
              description:
                'REPLAYED (this jti was used before) or CONFLICT (the review already holds a different decision)',
              example: ex.REVIEW_ERRORS.otherDecision,
            },
          }),
        },
      },
    },
  };
}
