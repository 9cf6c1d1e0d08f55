import type { z } from 'zod';
import { AgreementSignatureSchema, ProposalDeliverySchema, WithdrawalSchema } from './agreement.ts';
import { HolderUsesPageSchema, InteropHolderUsesRequestSchema } from './holder.ts';
import { InteropVerifyRequestSchema, InteropVerifyResponseSchema, type RequestClaims } from './interop.ts';
import { AgreementReceiptSchema } from './openapi.ts';
import {
  InteropNoticeSchema,
  InteropReportOutcomeSchema,
  InteropReportRequestSchema,
  NoticeReceiptSchema,
  ReportFiledSchema,
  ReportOutcomeReceiptSchema,
} from './reports.ts';
import { InteropReviewDecisionSchema, ReviewDecisionReceiptSchema } from './reviews.ts';

/**
 * The signed routes between gateways (docs/protocol.md §7, §8.4), declared once: where the callee
 * mounts them and what the caller sends them. In its own module because contracts/agreement.ts
 * imports contracts/interop.ts.
 */
export interface InteropRouteSpec {
  method: RequestClaims['htm'];
  /** Hono's form: `:name` for a path parameter. */
  path: `/${string}`;
  request: z.ZodType;
  response: z.ZodType;
}

export const InteropRoute = {
  /** Another province confirms the live status of one of this province's licenses. */
  verify: {
    method: 'POST',
    path: '/v1/interop/verify',
    request: InteropVerifyRequestSchema,
    response: InteropVerifyResponseSchema,
  },
  /** A holder's home province asks the issuer for the uses of one of the holder's licenses (§16). */
  holderUses: {
    method: 'POST',
    path: '/v1/interop/holder-uses',
    request: InteropHolderUsesRequestSchema,
    response: HolderUsesPageSchema,
  },
  /** A reporting province delivers an error report on one of this province's licenses (§17). */
  report: {
    method: 'POST',
    path: '/v1/interop/reports',
    request: InteropReportRequestSchema,
    response: ReportFiledSchema,
  },
  /** The issuing province tells the reporting province how a report was resolved (§17). */
  reportOutcome: {
    method: 'POST',
    path: '/v1/interop/report-outcomes',
    request: InteropReportOutcomeSchema,
    response: ReportOutcomeReceiptSchema,
  },
  /** The issuing province tells a province that relied on a license that it changed (§17). */
  notice: {
    method: 'POST',
    path: '/v1/interop/notices',
    request: InteropNoticeSchema,
    response: NoticeReceiptSchema,
  },
  /** The granting province tells the caller how a held verification ended (§18.3). */
  reviewDecision: {
    method: 'POST',
    path: '/v1/interop/review-decisions',
    request: InteropReviewDecisionSchema,
    response: ReviewDecisionReceiptSchema,
  },
  /** A party delivers a proposal with the signatures it holds. */
  agreementProposal: {
    method: 'POST',
    path: '/v1/interop/agreements',
    request: ProposalDeliverySchema,
    response: AgreementReceiptSchema,
  },
  /** A party delivers a party's signature of an agreement. */
  agreementSignature: {
    method: 'POST',
    path: '/v1/interop/agreements/:id/signatures',
    request: AgreementSignatureSchema,
    response: AgreementReceiptSchema,
  },
  /** A party delivers a party's signed withdrawal. */
  agreementWithdrawal: {
    method: 'POST',
    path: '/v1/interop/agreements/:id/withdrawal',
    request: WithdrawalSchema,
    response: AgreementReceiptSchema,
  },
} as const satisfies Record<string, InteropRouteSpec>;

/** The parameters a path names: `{ id: string }` for `/v1/interop/agreements/:id/signatures`. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? { [K in Name]: string } & PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? { [K in Name]: string }
    : Record<never, never>;

export type RouteParams<R extends InteropRouteSpec> = PathParams<R['path']>;
/** What a caller may send a route: its request contract's input side. */
export type RouteBody<R extends InteropRouteSpec> = z.input<R['request']>;
/** What a route answers with success: its response contract's output side. */
export type RouteAnswer<R extends InteropRouteSpec> = z.output<R['response']>;

/** The path of a route with its parameters filled in (each one URL-encoded). */
export function pathOf<R extends InteropRouteSpec>(route: R, params: RouteParams<R>): string {
  const values = params as Record<string, string>;
  return route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TypeError(`${route.path}: no value for :${name}`);
    return encodeURIComponent(value);
  });
}
