import { z } from 'zod';
import * as ex from '../../examples.ts';
import { FilingIdSchema, NoticesQuerySchema, ReportIdSchema, ReportQueueQuerySchema } from '../../reports.ts';
import { inline, json } from '../json-schema.ts';
import { answer, bearer, errors, queryParams, SIGNED_NOTE, signed } from '../operations.ts';

const reportIdParam = {
  name: 'reportId',
  in: 'path',
  required: true,
  description: "the issuing province's report id (`<province>-<ULID>`)",
  schema: inline(ReportIdSchema),
  example: ex.REPORT_ID,
};

const reportOrFilingParam = {
  ...reportIdParam,
  description:
    "the issuing province's report id (`<province>-<ULID>`), or the reporting province's filing id " +
    '(a ULID: while the report is still delivering, or was refused)',
  schema: inline(z.union([ReportIdSchema, FilingIdSchema])),
};

/**
 * Error reports, their resolution and change notices (docs/protocol.md §17; tag `reports`, the
 * function that serves them all, the signed calls between provinces included).
 */
export function reportPaths() {
  return {
    '/v1/reports': {
      post: {
        tags: ['reports'],
        operationId: 'fileReport',
        summary: 'Report what is wrong in a license, of any province (roles platform, holder)',
        description:
          "A holder may report only its own licenses (the token's `holderType` and `holderCode`); a " +
          "report on another holder's license is 404, as one on a license that does not exist. A " +
          "license of this province goes straight into its issuing department's queue. Another " +
          "province's license: the report is delivered to its issuing province by a signed call " +
          '(`POST /v1/interop/reports`) at once; its acceptance is this answer 201, its refusal ' +
          "(400, 403, 404, with the issuer's code) this answer's, and while it does not answer, 202: " +
          'the delivery is retried until it does. The issuer answers within its deadline, 5 working ' +
          'days by default (`dueDate`); read the report at `GET /v1/reports/{reportId}`.',
        security: bearer,
        requestBody: { required: true, content: json('FileReportRequest', ex.FILE_REPORT_REQUEST) },
        responses: {
          '201': answer(
            'the issuing province holds the report',
            'bearer',
            json('ReportFiled', ex.REPORT_FILED),
          ),
          '202': answer(
            'stored; the issuing province did not answer yet and the delivery is retried',
            'bearer',
            json('ReportQueued', ex.REPORT_QUEUED),
          ),
          ...errors('bearer', [400, 401, 403, 404, 413, 415, 503], {
            400: {
              description:
                "INVALID_REQUEST: the body does not match its contract, or the issuing province's refusal passed on",
              example: ex.REPORT_ERRORS.fileInvalid,
            },
            403: {
              description:
                'FORBIDDEN: the token lacks the role platform or holder; or, for a platform on another ' +
                "province's license, that province's refusal passed on: AGREEMENT_REQUIRED or " +
                'SCOPE_DENIED (no active agreement lets this province verify licenses of that type)',
              example: ex.REPORT_ERRORS.fileForbidden,
            },
            404: {
              description:
                "NOT_FOUND: no such license (its issuing province's answer, for another province's), " +
                'or, for a holder, a license of another holder',
              example: ex.REPORT_ERRORS.noLicense,
            },
          }),
        },
      },
      get: {
        tags: ['reports'],
        operationId: 'listReports',
        summary: "The department's queue: reports on its licenses, open or resolved (role issuer)",
        description:
          "Only reports on licenses whose issuing authority is the token's `uscc`. `open` (the " +
          'default) lists every open report by due date, overdue ones included; `due-soon` those due ' +
          'today or by the next working day; `overdue` those due before today; `resolved` the most ' +
          'recently resolved first.',
        security: bearer,
        parameters: queryParams(ReportQueueQuerySchema, ex.REPORT_QUEUE_QUERY),
        responses: {
          '200': answer('a page of reports', 'bearer', json('ReportQueuePage', ex.REPORT_QUEUE_PAGE)),
          ...errors('bearer', [400, 401, 403, 503], {
            400: { example: ex.REPORT_ERRORS.queueInvalid },
            403: { example: ex.REPORT_ERRORS.issuerOnly },
          }),
        },
      },
    },
    '/v1/reports/{reportId}': {
      get: {
        tags: ['reports'],
        operationId: 'getReport',
        summary: 'One report: its state, due date and outcome (roles platform, holder, issuer)',
        description:
          'The reporting province shows its filings to its platforms and to the holder who filed one; ' +
          "the issuing province shows its reports to the issuing department's issuers. Anyone else " +
          'gets 404, as for no report.',
        security: bearer,
        parameters: [reportOrFilingParam],
        responses: {
          '200': answer('the report', 'bearer', json('ReportView', ex.REPORT_RESOLVED)),
          ...errors('bearer', [401, 403, 404, 503], {
            403: {
              description: 'FORBIDDEN: the token lacks the role platform, holder or issuer',
              example: ex.REPORT_ERRORS.fileForbidden,
            },
            404: {
              description: 'NOT_FOUND: no such report here, or one the caller may not see',
              example: ex.REPORT_ERRORS.noReport,
            },
          }),
        },
      },
    },
    '/v1/reports/{reportId}/resolution': {
      post: {
        tags: ['reports'],
        operationId: 'resolveReport',
        summary: "Answer a report: corrected, rejected or duplicate (role issuer, the license's department)",
        description:
          '`reason` is always given. `corrected` names the new version that carries the correction ' +
          '(`newIdentifier`), and only it: a newer version of the same license, issued by ' +
          '`POST /v1/licenses/{identifier}/versions` with `"reportId"` naming this report. The outcome ' +
          'is delivered to the reporting province by a signed call, retried until it is.',
        security: bearer,
        parameters: [reportIdParam],
        requestBody: { required: true, content: json('ResolutionRequest', ex.RESOLUTION_REQUEST) },
        responses: {
          '200': answer('resolved', 'bearer', json('ReportView', ex.REPORT_RESOLVED)),
          ...errors('bearer', [400, 401, 403, 404, 409, 413, 415, 503], {
            400: {
              description:
                'INVALID_REQUEST: the body does not match its contract, or `newIdentifier` is not a version ' +
                'issued for this report',
              example: ex.REPORT_ERRORS.resolutionInvalid,
            },
            403: {
              description:
                "FORBIDDEN: the token lacks the role issuer, or the report is another department's",
              example: ex.REPORT_ERRORS.issuerOnly,
            },
            404: { description: 'NOT_FOUND: no such report here', example: ex.REPORT_ERRORS.noReport },
            409: {
              description: 'CONFLICT: the report is already resolved',
              example: ex.REPORT_ERRORS.resolved,
            },
          }),
        },
      },
    },
    '/v1/notices': {
      get: {
        tags: ['reports'],
        operationId: 'listNotices',
        summary:
          'Change notices: new versions and statuses of licenses this province verified (role platform)',
        description:
          'Each issuing province tells every province whose verifications of a license it answered in the ' +
          'last 90 days when that license gets a new version or status; newest first.',
        security: bearer,
        parameters: queryParams(NoticesQuerySchema, {}),
        responses: {
          '200': answer('a page of notices', 'bearer', json('NoticesPage', ex.NOTICES_PAGE)),
          ...errors('bearer', [400, 401, 403, 503], { 403: { example: ex.REPORT_ERRORS.platformOnly } }),
        },
      },
    },
    '/v1/interop/reports': {
      post: {
        tags: ['reports'],
        operationId: 'interopReport',
        summary: 'Another province delivers an error report on a license of this province (signed call)',
        description:
          `${SIGNED_NOTE} A platform's report needs an active agreement that lets the caller \`verify\` ` +
          "licenses of the identifier's type (any matter, any level), checked before the license is " +
          "looked up; a holder's report needs none, but the holder must be the license's (else 404, as " +
          'for no license). At most 60 reports a minute from one province (429). Stored once per ' +
          'calling province and `filingId`: 201 the first time, 200 for a repeat, with the report held (`state` `resolved` once it is).',
        security: signed,
        requestBody: {
          required: true,
          content: json('InteropReportRequest', ex.INTEROP_REPORT_REQUEST),
        },
        responses: {
          '201': answer('the report is held', 'signed', json('ReportFiled', ex.REPORT_FILED)),
          '200': answer('this filing was delivered before', 'signed', json('ReportFiled', ex.REPORT_FILED)),
          ...errors('signed', [400, 401, 403, 404, 409, 413, 429, 503], {
            403: {
              description:
                "AGREEMENT_REQUIRED or SCOPE_DENIED: no active agreement lets the caller verify this license type (a platform's report)",
              example: ex.REPORT_ERRORS.scopeDenied,
            },
            404: {
              description:
                "NOT_FOUND: this province issued no such license, or it is not the reporting holder's",
            },
            429: {
              description: 'RATE_LIMITED: the caller delivered more than 60 reports this minute',
              example: ex.REPORT_ERRORS.reportsRateLimited,
            },
          }),
        },
      },
    },
    '/v1/interop/report-outcomes': {
      post: {
        tags: ['reports'],
        operationId: 'interopReportOutcome',
        summary:
          "The issuing province delivers a report's outcome to the province that filed it (signed call)",
        description:
          `${SIGNED_NOTE} Taken only from the province the filing went to; stored once, a repeat of the ` +
          'same outcome answers 200 again.',
        security: signed,
        requestBody: {
          required: true,
          content: json('InteropReportOutcome', ex.INTEROP_REPORT_OUTCOME),
        },
        responses: {
          '200': answer('recorded', 'signed', json('ReportOutcomeReceipt', ex.REPORT_OUTCOME_RECEIPT)),
          ...errors('signed', [400, 401, 404, 409, 413, 503], {
            404: {
              description: 'NOT_FOUND: this province sent no such filing to the caller',
              example: ex.REPORT_ERRORS.noFiling,
            },
            409: {
              description:
                'REPLAYED (this jti was used before) or CONFLICT (the filing already holds a different outcome)',
              example: ex.REPORT_ERRORS.otherOutcome,
            },
          }),
        },
      },
    },
    '/v1/interop/notices': {
      post: {
        tags: ['reports'],
        operationId: 'interopNotice',
        summary: 'The issuing province tells this province that a license it verified changed (signed call)',
        description:
          `${SIGNED_NOTE} Taken only from the province that issued the license, whose code the notice ` +
          "id begins with too; stored once by `noticeId` for this province's platforms " +
          '(`GET /v1/notices`), a repeat answers 200 again.',
        security: signed,
        requestBody: { required: true, content: json('InteropNotice', ex.INTEROP_NOTICE) },
        responses: {
          '200': answer('stored', 'signed', json('NoticeReceipt', ex.NOTICE_RECEIPT)),
          ...errors('signed', [400, 401, 403, 409, 413, 503], {
            403: {
              description: 'FORBIDDEN: the caller did not issue the license, or the notice id is not its own',
              example: ex.REPORT_ERRORS.notIssuer,
            },
          }),
        },
      },
    },
  };
}
