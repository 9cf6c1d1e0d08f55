import { z } from 'zod';
import { TimestampSchema, TraceIdSchema } from './common.ts';
import { ErrorCodeSchema } from './errors.ts';
import { GatewayIdSchema } from './registry.ts';

export const AuditAction = {
  licenseIssue: 'license.issue',
  licenseVersion: 'license.version',
  licenseStatus: 'license.status',
  licenseRead: 'license.read',
  verify: 'verify',
  /** A signed call this province made to another (with the callee's receipt). */
  interopOutbound: 'interop.outbound',
  /** A signed call another province made to this one, answered or refused. */
  interopInbound: 'interop.inbound',
  /** An inbound interop verification: the license shared with the caller. */
  interopVerify: 'interop.verify',
  /** This province's operator proposed an agreement (and signed it). */
  agreementPropose: 'agreement.propose',
  /** This province's operator signed an agreement. */
  agreementSign: 'agreement.sign',
  /** This province's operator withdrew from an agreement. */
  agreementWithdraw: 'agreement.withdraw',
  /** Another province delivered a proposal, a signature or a withdrawal, and it was stored. */
  agreementReceive: 'agreement.receive',
  /** The local federation stored an agreement all parties signed locally (embedded mode only). */
  agreementSeed: 'agreement.seed',
  /** An auditor read the audit trail: events, a proof, a checkpoint or a holder hash. */
  auditQuery: 'audit.query',
  /** A holder listed their licenses (docs/protocol.md §16). */
  holderLicenses: 'holder.licenses',
  /** A holder, or their home province for them by signed call, read the uses of one of their licenses. */
  holderUses: 'holder.uses',
  /** A platform or holder filed an error report on a license (docs/protocol.md §17). */
  reportFile: 'report.file',
  /** Another province delivered an error report on one of this province's licenses. */
  reportReceive: 'report.receive',
  /** The issuing department resolved a report: corrected, rejected or duplicate. */
  reportResolve: 'report.resolve',
  /** The issuing province delivered the outcome of a report this province filed. */
  reportOutcome: 'report.outcome',
  /** A change notice was put on its way to a province that verified the license. */
  noticeSend: 'notice.send',
  /** Another province delivered a change notice about one of its licenses. */
  noticeReceive: 'notice.receive',
  /** The operator changed the review policy (docs/protocol.md §18.1). */
  reviewPolicy: 'review.policy',
  /** An inbound verification was held for a person to decide (§18.2). */
  reviewHold: 'review.hold',
  /** A reviewer approved or rejected a held request (§18.3). */
  reviewDecide: 'review.decide',
  /** A held request was not decided in time and expired (§18.3). */
  reviewExpire: 'review.expire',
  /** The granting province delivered the decision on a request this province made (§18.5). */
  reviewReceive: 'review.receive',
  /** A calling province's breaker tripped (§18.4). */
  breakerTrip: 'breaker.trip',
  /** An operator released a calling province's breaker (§18.4). */
  breakerRelease: 'breaker.release',
  /** This province cosigned another province's checkpoint as its witness (docs/protocol.md §19.2). */
  witnessCosign: 'witness.cosign',
  /** This province, as witness, refused a checkpoint; `details.reason` says why (§19.2). */
  witnessRefuse: 'witness.refuse',
  /** This province, as witness, kept split-view evidence against a log (§19.3). */
  witnessEvidence: 'witness.evidence',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];
export const AuditActionSchema = z.enum(Object.values(AuditAction) as [AuditAction, ...AuditAction[]]);

export const AuditOutcomeSchema = z.enum(['success', 'refused', 'error']);
export type AuditOutcome = z.infer<typeof AuditOutcomeSchema>;

/** Who acted: the authenticated caller, never a citizen. */
export const AuditActorSchema = z.object({
  sub: z.string().optional(),
  roles: z.array(z.string()).optional(),
  uscc: z.string().optional(),
  /** Calling province for inbound cross-province calls. */
  gateway: GatewayIdSchema.optional(),
});

/**
 * One audit event. Holds no raw personal identifiers: a holder appears only as `holderHash`, a
 * keyed hash of holder type and code.
 */
export const AuditEventSchema = z.object({
  eventId: z.string().regex(/^[0-9A-Z]{26}$/),
  province: GatewayIdSchema,
  time: TimestampSchema,
  traceId: TraceIdSchema,
  action: AuditActionSchema,
  outcome: AuditOutcomeSchema,
  actor: AuditActorSchema,
  method: z.string().optional(),
  path: z.string().optional(),
  identifier: z.string().optional(),
  holderHash: z.string().optional(),
  peer: GatewayIdSchema.optional(),
  errorCode: ErrorCodeSchema.optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;
