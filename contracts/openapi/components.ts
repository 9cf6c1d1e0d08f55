import { z } from 'zod';
import {
  AgreementDocumentSchema,
  AgreementProposalSchema,
  AgreementSignatureSchema,
  AgreementStateSchema,
  AgreementViewSchema,
  DeliverySchema,
  GrantSchema,
  ProposalDeliverySchema,
  WithdrawalSchema,
} from '../agreement.ts';
import {
  AuditEventsPageSchema,
  AuditedEventSchema,
  ConsistencyProofSchema,
  HolderHashRequestSchema,
  HolderHashResponseSchema,
  InclusionProofSchema,
} from '../audit-api.ts';
import { IdentifierSchema, LicenseStatusSchema } from '../codes/index.ts';
import { TimestampSchema } from '../common.ts';
import { ErrorBodySchema } from '../errors.ts';
import { HolderLicensesPageSchema, HolderUsesPageSchema, InteropHolderUsesRequestSchema } from '../holder.ts';
import {
  DataLevelSchema,
  InteropVerifyRequestSchema,
  InteropVerifyResponseSchema,
  SharedLicenseSchema,
} from '../interop.ts';
import { JwksSchema, PublicJwkSchema } from '../keys.ts';
import {
  IssueRequestSchema,
  IssueResponseSchema,
  LicenseResponseSchema,
  LicenseSchema,
  NewVersionRequestSchema,
  StatusChangeRequestSchema,
} from '../license.ts';
import { GatewayIdSchema } from '../registry.ts';
import {
  FileReportRequestSchema,
  InteropNoticeSchema,
  InteropReportOutcomeSchema,
  InteropReportRequestSchema,
  NoticeReceiptSchema,
  NoticeSchema,
  NoticesPageSchema,
  ReporterSchema,
  ReportFieldSchema,
  ReportFiledSchema,
  ReportOutcomeReceiptSchema,
  ReportQueuedSchema,
  ReportQueuePageSchema,
  ReportViewSchema,
  ResolutionRequestSchema,
} from '../reports.ts';
import {
  BreakerSettingsSchema,
  BreakersPageSchema,
  BreakerViewSchema,
  CallerReviewSchema,
  DecisionRequestSchema,
  DecisionSchema,
  HeldReviewSchema,
  InteropReviewDecisionSchema,
  ReleaseRequestSchema,
  ReviewDecisionReceiptSchema,
  ReviewIdSchema,
  ReviewPendingSchema,
  ReviewPolicySchema,
  ReviewPolicyViewSchema,
  ReviewQueuePageSchema,
  ReviewRuleSchema,
  ReviewStateSchema,
} from '../reviews.ts';
import { VerifyRequestSchema, VerifyResponseSchema } from '../verify.ts';
import { EvidencePageSchema, EvidenceRecordSchema, WitnessedLogsSchema } from '../witness.ts';

/** `GET /healthz`: 200 when storage answers and a registry is loaded, 503 `degraded` otherwise. */
export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  province: GatewayIdSchema,
  dependencies: z.object({
    storage: z.enum(['up', 'down']),
    registry: z.object({
      seq: z.number().int().nonnegative(),
      iat: z.number().int(),
      loadedAt: TimestampSchema,
      from: z.enum(['source', 'store']),
      lastRefreshAt: TimestampSchema.optional(),
      lastError: z.object({ code: z.string(), message: z.string(), at: TimestampSchema }).optional(),
      lastStoreError: z.object({ message: z.string(), at: TimestampSchema }).optional(),
    }),
  }),
});
export type Health = z.infer<typeof HealthSchema>;

/** `GET /v1/licenses/{identifier}`: the credential too when the caller's authority issued it. */
export const LicenseReadSchema = LicenseResponseSchema.extend({ credential: z.string().optional() });

export const AgreementListSchema = z.object({ items: z.array(AgreementViewSchema) });

/** What a gateway answers a delivery: 201 when something new was stored, 200 when all was held. */
export const AgreementReceiptSchema = z.object({
  id: AgreementDocumentSchema.shape.id,
  state: AgreementStateSchema,
  activeParties: z.array(GatewayIdSchema),
  changed: z.boolean(),
});

/**
 * `GET /v1/reviews/{reviewId}`: at the granting province a reviewer reads the held request, at the
 * calling province a platform reads how its held verification ended (docs/protocol.md §18.3, §18.5).
 */
export const ReviewReadSchema = z.union([HeldReviewSchema, CallerReviewSchema]);

/*
 * The interop answer as a request body carries it: the `answer` of a decision delivered by
 * `POST /v1/interop/review-decisions`. The same contracts, extended by nothing, so that the request
 * side names its own schemas: zod's input side of an object is open where its output side is
 * closed, and one named schema cannot be drawn both ways.
 */
export const SharedLicenseInputSchema = SharedLicenseSchema.extend({});
export const InteropVerifyResponseInputSchema = InteropVerifyResponseSchema.extend({
  license: SharedLicenseInputSchema,
});
/** InteropReviewDecisionSchema, refinements kept, with its `answer` drawn on the request side. */
export const InteropReviewDecisionRequestSchema = InteropReviewDecisionSchema.safeExtend({
  answer: InteropVerifyResponseInputSchema.optional(),
});

/** API Gateway's own answer when the stage throttle is reached: not the gateway's error shape. */
export const ThrottledSchema = z.object({ message: z.string() });

/** Where a named schema appears: request bodies (zod input side), answers (output side), or both. */
type Use = 'request' | 'response' | 'both';

/**
 * The zod contracts as named schemas (`#/components/schemas/<name>`). A schema met inside
 * another named one becomes a `$ref` to it. `both`: its input and output JSON Schema must be the
 * same, or the document would describe one side wrongly (checked when the document is built).
 */
export const COMPONENTS = {
  ErrorBody: { schema: ErrorBodySchema, use: 'response', description: 'Every refusal and failure' },
  Throttled: { schema: ThrottledSchema, use: 'response', description: "API Gateway's answer 429" },
  Identifier: {
    schema: IdentifierSchema,
    use: 'both',
    description:
      'GB/T 36904 e-license identifier: 1.2.156.3005.2, type code, issuer USCC, serial, version, ' +
      'and a mod 37,36 check character',
  },
  LicenseStatus: {
    schema: LicenseStatusSchema,
    use: 'both',
    description:
      '证照状态: 01 有效 valid, 02 暂扣 suspended, 03 撤销 withdrawn, 04 注销 cancelled, 05 失效 lapsed, ' +
      '06 办理转出 transferred out, 07 吊销 revoked, 99 其他 other',
  },
  GatewayId: { schema: GatewayIdSchema, use: 'both', description: 'A province: its GB/T 2260 code' },
  DataLevel: {
    schema: DataLevelSchema,
    use: 'both',
    description: '分类分级: 1 public, 2 internal, 3 sensitive, 4 restricted (never leaves the province)',
  },
  PublicJwk: { schema: PublicJwkSchema, use: 'response' },
  Jwks: { schema: JwksSchema, use: 'response' },
  Health: { schema: HealthSchema, use: 'response' },
  IssueRequest: { schema: IssueRequestSchema, use: 'request' },
  NewVersionRequest: { schema: NewVersionRequestSchema, use: 'request' },
  StatusChangeRequest: { schema: StatusChangeRequestSchema, use: 'request' },
  License: { schema: LicenseSchema, use: 'response' },
  IssueResponse: { schema: IssueResponseSchema, use: 'response' },
  LicenseResponse: { schema: LicenseResponseSchema, use: 'response' },
  LicenseRead: { schema: LicenseReadSchema, use: 'response' },
  VerifyRequest: { schema: VerifyRequestSchema, use: 'request' },
  VerifyResponse: { schema: VerifyResponseSchema, use: 'response' },
  SharedLicense: { schema: SharedLicenseSchema, use: 'response' },
  // Both: a held review shows the request as it was signed (§18.3).
  InteropVerifyRequest: { schema: InteropVerifyRequestSchema, use: 'both' },
  InteropVerifyResponse: { schema: InteropVerifyResponseSchema, use: 'response' },
  HolderLicensesPage: { schema: HolderLicensesPageSchema, use: 'response' },
  HolderUsesPage: { schema: HolderUsesPageSchema, use: 'response' },
  InteropHolderUsesRequest: { schema: InteropHolderUsesRequestSchema, use: 'request' },
  Grant: { schema: GrantSchema, use: 'both' },
  AgreementProposal: { schema: AgreementProposalSchema, use: 'request' },
  AgreementDocument: {
    schema: AgreementDocumentSchema,
    use: 'request',
    description: 'What every party signs: the RFC 8785 canonical JSON of exactly these members',
  },
  AgreementSignature: { schema: AgreementSignatureSchema, use: 'both' },
  Withdrawal: { schema: WithdrawalSchema, use: 'both' },
  Delivery: { schema: DeliverySchema, use: 'response' },
  AgreementView: { schema: AgreementViewSchema, use: 'response' },
  AgreementList: { schema: AgreementListSchema, use: 'response' },
  ProposalDelivery: { schema: ProposalDeliverySchema, use: 'request' },
  AgreementReceipt: { schema: AgreementReceiptSchema, use: 'response' },
  AuditedEvent: { schema: AuditedEventSchema, use: 'response' },
  AuditEventsPage: { schema: AuditEventsPageSchema, use: 'response' },
  InclusionProof: { schema: InclusionProofSchema, use: 'response' },
  ConsistencyProof: { schema: ConsistencyProofSchema, use: 'response' },
  HolderHashRequest: { schema: HolderHashRequestSchema, use: 'request' },
  HolderHashResponse: { schema: HolderHashResponseSchema, use: 'response' },
  ReportField: {
    schema: ReportFieldSchema,
    use: 'both',
    description:
      'A field of the license reported wrong: its path as the API shows it, the problem, a suggested value',
  },
  FileReportRequest: { schema: FileReportRequestSchema, use: 'request' },
  ReportFiled: { schema: ReportFiledSchema, use: 'response' },
  ReportQueued: { schema: ReportQueuedSchema, use: 'response' },
  Reporter: { schema: ReporterSchema, use: 'response' },
  ReportView: { schema: ReportViewSchema, use: 'response' },
  ReportQueuePage: { schema: ReportQueuePageSchema, use: 'response' },
  ResolutionRequest: { schema: ResolutionRequestSchema, use: 'request' },
  InteropReportRequest: { schema: InteropReportRequestSchema, use: 'request' },
  InteropReportOutcome: { schema: InteropReportOutcomeSchema, use: 'request' },
  ReportOutcomeReceipt: { schema: ReportOutcomeReceiptSchema, use: 'response' },
  InteropNotice: { schema: InteropNoticeSchema, use: 'request' },
  NoticeReceipt: { schema: NoticeReceiptSchema, use: 'response' },
  Notice: { schema: NoticeSchema, use: 'response' },
  NoticesPage: { schema: NoticesPageSchema, use: 'response' },
  ReviewId: {
    schema: ReviewIdSchema,
    use: 'both',
    description: "The granting province's id of a held request: its code, `-` and a ULID",
  },
  ReviewState: { schema: ReviewStateSchema, use: 'both' },
  ReviewRule: {
    schema: ReviewRuleSchema,
    use: 'both',
    description: 'A call matching every member given waits for a person; an absent member matches everything',
  },
  BreakerSettings: {
    schema: BreakerSettingsSchema,
    use: 'both',
    description:
      "When a calling province's breaker trips, and whether its calls are then refused or held for review",
  },
  ReviewPolicy: { schema: ReviewPolicySchema, use: 'request' },
  ReviewPolicyView: { schema: ReviewPolicyViewSchema, use: 'response' },
  ReviewPending: { schema: ReviewPendingSchema, use: 'response' },
  Decision: { schema: DecisionSchema, use: 'response' },
  HeldReview: { schema: HeldReviewSchema, use: 'response' },
  ReviewQueuePage: { schema: ReviewQueuePageSchema, use: 'response' },
  DecisionRequest: { schema: DecisionRequestSchema, use: 'request' },
  CallerReview: { schema: CallerReviewSchema, use: 'response' },
  ReviewRead: {
    schema: ReviewReadSchema,
    use: 'response',
    description:
      'A reviewer at the granting province reads the held review; a platform at the calling province its wait',
  },
  SharedLicenseInput: {
    schema: SharedLicenseInputSchema,
    use: 'request',
    description: 'SharedLicense as a request body carries it (in InteropVerifyResponseInput)',
  },
  InteropVerifyResponseInput: {
    schema: InteropVerifyResponseInputSchema,
    use: 'request',
    description:
      "InteropVerifyResponse as a request body carries it: the `answer` of a review decision's delivery",
  },
  InteropReviewDecision: { schema: InteropReviewDecisionRequestSchema, use: 'request' },
  ReviewDecisionReceipt: { schema: ReviewDecisionReceiptSchema, use: 'response' },
  BreakerView: { schema: BreakerViewSchema, use: 'response' },
  BreakersPage: { schema: BreakersPageSchema, use: 'response' },
  ReleaseRequest: { schema: ReleaseRequestSchema, use: 'request' },
  EvidenceRecord: {
    schema: EvidenceRecordSchema,
    use: 'response',
    description: 'Split-view evidence: two checkpoints signed by one log that cannot both be true (§19.3)',
  },
  EvidencePage: { schema: EvidencePageSchema, use: 'response' },
  WitnessedLogs: { schema: WitnessedLogsSchema, use: 'response' },
} as const satisfies Record<string, { schema: z.ZodType; use: Use; description?: string }>;
export type ComponentName = keyof typeof COMPONENTS;
