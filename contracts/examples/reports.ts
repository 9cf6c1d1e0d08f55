import type { ErrorBody, ErrorCode } from '../errors.ts';
import type {
  FileReportRequest,
  InteropNotice,
  InteropReportOutcome,
  InteropReportRequest,
  Notice,
  NoticesPage,
  ReportField,
  ReportFiled,
  ReportQueued,
  ReportQueuePage,
  ReportQueueQuery,
  ReportView,
  ResolutionRequest,
} from '../reports.ts';
import { IDENTIFIER, IDENTIFIER_V2, TRACE_ID, TYPE_CODE } from './parties.ts';

/*
 * An error report on the example license and what became of it (docs/protocol.md §17): on Monday
 * 2 March 2026 a window of Zhejiang's service platform finds that the license names the wrong
 * operating category (建筑电工 instead of 建筑架子工) and files a report at its own gateway,
 * which delivers it to Shanghai; Shanghai's housing department issues version 002 with the right
 * category on the Wednesday and resolves the report as corrected, the outcome goes back to
 * Zhejiang, and Zhejiang, which verified the license, gets a change notice.
 */

/** Zhejiang's platform, as in the holder's uses of the license. */
const ZHEJIANG_PLATFORM = '浙江省政务服务平台';

/** The filing at Zhejiang (a ULID of 09:30 CST, 2 March 2026). */
export const FILING_ID = '01KJP2N7E0Q22XGB44A9MT8BHA';
/** Shanghai's report id: its province and a ULID of the report's arrival. */
export const REPORT_ID = '310000-01KJP2N7TW5Q9A9BC4PNC70H72';
/** Shanghai's notice of version 002. */
export const NOTICE_ID = '310000-01KJVQFBP0H69T61EGRY8G1YJE';

const FILED_AT = '2026-03-02T01:30:00.000Z';
const ARRIVED_AT = '2026-03-02T01:30:00.412Z';
/** Five working days after Monday 2 March: Tuesday to Friday, then Monday. */
const DUE_DATE = '2026-03-09';
const CHANGED_AT = '2026-03-04T06:10:00.000Z';
const RESOLVED_AT = '2026-03-04T06:15:00.000Z';

const FIELDS: ReportField[] = [
  {
    path: 'fields.category',
    problem: '操作类别登记为建筑电工，持证人纸质证书及考核记录均为建筑架子工',
    suggested: '建筑架子工',
  },
];
const DESCRIPTION =
  '持证人在浙江办理建筑施工特种作业人员从业登记时，窗口核验电子证照发现操作类别与纸质证书不一致，请发证部门核实更正。';
const REASON = '经核对考核档案，操作类别录入有误，已更正并签发第 002 版证照';

/** `POST /v1/reports` by the platform (at Zhejiang's gateway, on Shanghai's license). */
export const FILE_REPORT_REQUEST: FileReportRequest = {
  identifier: IDENTIFIER,
  fields: FIELDS,
  description: DESCRIPTION,
};

/** 201: Shanghai holds the report (and, through the signed call, 201 or 200 to Zhejiang's gateway). */
export const REPORT_FILED: ReportFiled = { reportId: REPORT_ID, state: 'open', dueDate: DUE_DATE };

/** 202: Shanghai did not answer yet; Zhejiang's delivery round retries. */
export const REPORT_QUEUED: ReportQueued = { filingId: FILING_ID, state: 'delivering' };

/** The report in Shanghai's department's queue. */
export const REPORT_VIEW: ReportView = {
  reportId: REPORT_ID,
  identifier: IDENTIFIER,
  issuer: '310000',
  state: 'open',
  dueDate: DUE_DATE,
  overdue: false,
  fields: FIELDS,
  description: DESCRIPTION,
  filedAt: ARRIVED_AT,
  reporter: { province: '330000', kind: 'platform', platform: ZHEJIANG_PLATFORM },
};

export const REPORT_QUEUE_QUERY: ReportQueueQuery = { state: 'open', limit: 20 };

export const REPORT_QUEUE_PAGE: ReportQueuePage = { items: [REPORT_VIEW] };

/** `POST /v1/reports/{reportId}/resolution`: version 002 was issued with `"reportId": REPORT_ID`. */
export const RESOLUTION_REQUEST: ResolutionRequest = {
  outcome: 'corrected',
  reason: REASON,
  newIdentifier: IDENTIFIER_V2,
};

/** The report as resolved, at Shanghai. */
export const REPORT_RESOLVED: ReportView = {
  ...REPORT_VIEW,
  state: 'resolved',
  outcome: 'corrected',
  reason: REASON,
  newIdentifier: IDENTIFIER_V2,
  resolvedAt: RESOLVED_AT,
};

/** Zhejiang's gateway delivers the filing to Shanghai (signed). */
export const INTEROP_REPORT_REQUEST: InteropReportRequest = {
  filingId: FILING_ID,
  identifier: IDENTIFIER,
  fields: FIELDS,
  description: DESCRIPTION,
  reporter: { kind: 'platform', platform: ZHEJIANG_PLATFORM },
  filedAt: FILED_AT,
};

/** Shanghai tells Zhejiang the outcome (signed). */
export const INTEROP_REPORT_OUTCOME: InteropReportOutcome = {
  reportId: REPORT_ID,
  filingId: FILING_ID,
  identifier: IDENTIFIER,
  outcome: 'corrected',
  reason: REASON,
  newIdentifier: IDENTIFIER_V2,
  resolvedAt: RESOLVED_AT,
};

export const REPORT_OUTCOME_RECEIPT = { reportId: REPORT_ID, state: 'resolved' } as const;

/** Shanghai tells Zhejiang, which verified the license, of version 002 (signed). */
export const INTEROP_NOTICE: InteropNotice = {
  noticeId: NOTICE_ID,
  identifier: IDENTIFIER,
  change: 'version',
  newIdentifier: IDENTIFIER_V2,
  status: '01',
  time: CHANGED_AT,
};

export const NOTICE_RECEIPT = { noticeId: NOTICE_ID } as const;

export const NOTICE: Notice = { ...INTEROP_NOTICE, from: '310000', receivedAt: '2026-03-04T06:10:01.204Z' };

export const NOTICES_PAGE: NoticesPage = { items: [NOTICE] };

/** The refusals of these routes, each as its route answers it. */
export const REPORT_ERRORS = {
  fileInvalid: errorBody(
    'INVALID_REQUEST',
    'the body is invalid: fields: Too small: expected array to have >=1 items',
    [{ path: ['fields'], code: 'too_small', message: 'Too small: expected array to have >=1 items' }],
  ),
  noLicense: errorBody('NOT_FOUND', `province 310000 issued no license ${IDENTIFIER}`),
  fileForbidden: errorBody('FORBIDDEN', 'this call needs the role platform or holder'),
  queueInvalid: errorBody(
    'INVALID_REQUEST',
    'the query is invalid: state: Invalid option: expected one of "open"|"due-soon"|"overdue"|"resolved"',
    [
      {
        path: ['state'],
        code: 'invalid_value',
        message: 'Invalid option: expected one of "open"|"due-soon"|"overdue"|"resolved"',
      },
    ],
  ),
  issuerOnly: errorBody('FORBIDDEN', 'this call needs the role issuer'),
  platformOnly: errorBody('FORBIDDEN', 'this call needs the role platform'),
  noReport: errorBody('NOT_FOUND', `no report ${REPORT_ID} here`),
  resolutionInvalid: errorBody(
    'INVALID_REQUEST',
    'the body is invalid: newIdentifier: a corrected report names the new version that carries the correction',
    [
      {
        path: ['newIdentifier'],
        code: 'custom',
        message: 'a corrected report names the new version that carries the correction',
      },
    ],
  ),
  resolved: errorBody('CONFLICT', `report ${REPORT_ID} is already corrected`),
  scopeDenied: errorBody(
    'SCOPE_DENIED',
    `no active agreement grants 330000 verify on 310000's licenses of type ${TYPE_CODE} for any matter`,
  ),
  reportsRateLimited: errorBody('RATE_LIMITED', '330000 delivered more than 60 reports this minute'),
  noFiling: errorBody('NOT_FOUND', `no report of this province went to 310000 as ${FILING_ID}`),
  otherOutcome: errorBody('CONFLICT', `the filing ${FILING_ID} already holds another outcome`),
  notIssuer: errorBody('FORBIDDEN', '320000 may only send notices of the licenses it issued'),
} as const satisfies Record<string, ErrorBody>;

function errorBody(code: ErrorCode, message: string, issues?: ErrorBody['error']['issues']): ErrorBody {
  return { error: { code, message, traceId: TRACE_ID, ...(issues ? { issues } : {}) } };
}
