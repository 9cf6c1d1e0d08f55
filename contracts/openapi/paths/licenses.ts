import * as ex from '../../examples.ts';
import { json } from '../json-schema.ts';
import { answer, bearer, errors, identifierParam, LOCATION } from '../operations.ts';

/** The province's own licenses (tag `issuance`): issue, read, new versions, status changes. */
export function licensePaths() {
  return {
    '/v1/licenses': {
      post: {
        tags: ['issuance'],
        operationId: 'issueLicense',
        summary: 'Issue an e-license (role issuer)',
        description:
          'The issuer token may issue only as its own authority (`issuer.uscc`). With the same ' +
          '`Idempotency-Key` and body, a retry answers the license issued the first time.',
        security: bearer,
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description: '8-128 letters, digits, `. _ : -`; kept for 24 hours',
            schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{8,128}$' },
            example: 'req-2026-000123',
          },
        ],
        requestBody: { required: true, content: json('IssueRequest', ex.ISSUE_REQUEST) },
        responses: {
          '201': answer('issued', 'bearer', json('IssueResponse', ex.ISSUE_RESPONSE), {
            ...LOCATION(`/v1/licenses/${ex.IDENTIFIER}`),
            'Idempotent-Replayed': {
              description: '`true` when this answers a retry with the same Idempotency-Key',
              schema: { type: 'string', enum: ['true'] },
              example: 'true',
            },
          }),
          ...errors('bearer', [400, 401, 403, 413, 415, 422, 503]),
        },
      },
    },
    '/v1/licenses/{identifier}': {
      get: {
        tags: ['issuance'],
        operationId: 'getLicense',
        summary: 'Read a license (roles issuer, platform)',
        description:
          'Issuers read the licenses of their own authority, with the credential; platforms read ' +
          "any of this province's, the holder's code masked.",
        security: bearer,
        parameters: [identifierParam],
        responses: {
          '200': answer('the license', 'bearer', json('LicenseRead', ex.LICENSE_READ)),
          ...errors('bearer', [400, 401, 403, 404, 503]),
        },
      },
    },
    '/v1/licenses/{identifier}/versions': {
      post: {
        tags: ['issuance'],
        operationId: 'newLicenseVersion',
        summary: 'Change a license (变更): a new version supersedes the current one (role issuer)',
        security: bearer,
        parameters: [identifierParam],
        requestBody: { required: true, content: json('NewVersionRequest', ex.NEW_VERSION_REQUEST) },
        responses: {
          '201': answer(
            'the new version',
            'bearer',
            json('IssueResponse', ex.NEW_VERSION_RESPONSE),
            LOCATION(`/v1/licenses/${ex.IDENTIFIER_V2}`),
          ),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503]),
        },
      },
    },
    '/v1/licenses/{identifier}/status': {
      post: {
        tags: ['issuance'],
        operationId: 'changeLicenseStatus',
        summary: 'Change the status: suspend, withdraw, cancel, revoke ... (role issuer)',
        security: bearer,
        parameters: [identifierParam],
        requestBody: { required: true, content: json('StatusChangeRequest', ex.STATUS_CHANGE_REQUEST) },
        responses: {
          '200': answer('changed', 'bearer', json('LicenseResponse', ex.STATUS_CHANGE_RESPONSE)),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503]),
        },
      },
    },
  };
}
