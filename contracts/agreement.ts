import { z } from 'zod';
import { DateSchema, TimestampSchema, text } from './common.ts';
import { type DataLevel, DataLevelSchema } from './interop.ts';
import { GatewayIdSchema } from './registry.ts';

export const AgreementActionSchema = z.enum(['verify', 'status', 'fetch']);
export type AgreementAction = z.infer<typeof AgreementActionSchema>;

const partyOrAll = z.union([GatewayIdSchema, z.literal('*')]);

/** Who may do what with whose licenses (docs/protocol.md §8.1). `*` as grantor or grantee: every party. */
export const GrantSchema = z.strictObject({
  grantor: partyOrAll,
  grantee: partyOrAll,
  actions: z.array(AgreementActionSchema).min(1),
  licenseTypes: z.array(z.union([z.literal('*'), z.string().regex(/^[0-9A-Z]{18}\d{3}$/)])).min(1),
  matterCodes: z.array(z.string().regex(/^(\*|[0-9A-Za-z][0-9A-Za-z._-]{0,63})$/)).min(1),
  maxDataLevel: DataLevelSchema,
});
export type Grant = z.infer<typeof GrantSchema>;

/** What an operator proposes (`POST /v1/agreements`). */
export const AgreementProposalSchema = z
  .strictObject({
    name: text(200),
    parties: z.array(GatewayIdSchema).min(2).max(34),
    grants: z.array(GrantSchema).min(1).max(100),
    validFrom: DateSchema,
    validUntil: DateSchema,
  })
  .superRefine((p, ctx) => {
    if (new Set(p.parties).size !== p.parties.length) {
      ctx.addIssue({ code: 'custom', path: ['parties'], message: 'a party is listed twice' });
    }
    if (p.validUntil < p.validFrom) {
      ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'validUntil is before validFrom' });
    }
    p.grants.forEach((g, i) => {
      for (const side of ['grantor', 'grantee'] as const) {
        if (g[side] !== '*' && !p.parties.includes(g[side])) {
          ctx.addIssue({ code: 'custom', path: ['grants', i, side], message: `${g[side]} is not a party` });
        }
      }
    });
  });
export type AgreementProposal = z.infer<typeof AgreementProposalSchema>;

/**
 * The signed document: every party signs the RFC 8785 canonical JSON of exactly these members
 * with its `gateway` key.
 */
export const AgreementDocumentSchema = z.strictObject({
  id: z.string().regex(/^agr_[0-9A-Z]{26}$/),
  name: z.string(),
  parties: z.array(GatewayIdSchema).min(2),
  grants: z.array(GrantSchema).min(1),
  validFrom: DateSchema,
  validUntil: DateSchema,
  proposer: GatewayIdSchema,
  proposedAt: TimestampSchema,
});
export type AgreementDocument = z.infer<typeof AgreementDocumentSchema>;

/** A party's signature: base64url ES256 (r||s) over the canonical document. */
export const AgreementSignatureSchema = z.strictObject({
  party: GatewayIdSchema,
  kid: z.string().min(1),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type AgreementSignature = z.infer<typeof AgreementSignatureSchema>;

/** A party's signed withdrawal: ES256 over the canonical `{agreementId, party, withdrawnAt}`. */
export const WithdrawalSchema = z.strictObject({
  agreementId: z.string(),
  party: GatewayIdSchema,
  withdrawnAt: TimestampSchema,
  kid: z.string().min(1),
  signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type Withdrawal = z.infer<typeof WithdrawalSchema>;

export const AgreementStateSchema = z.enum(['proposed', 'active', 'withdrawn', 'expired']);
export type AgreementState = z.infer<typeof AgreementStateSchema>;

export const DeliverySchema = z.object({
  to: GatewayIdSchema,
  kind: z.enum(['proposal', 'signature', 'withdrawal']),
  /** Whose signature or withdrawal is on its way (the proposer for a proposal). */
  party: GatewayIdSchema.optional(),
  attempts: z.number().int(),
  nextAttemptAt: TimestampSchema,
  lastError: z.string().optional(),
});

/** An agreement as `GET /v1/agreements` lists it. */
export const AgreementViewSchema = AgreementDocumentSchema.extend({
  state: AgreementStateSchema,
  signatures: z.array(AgreementSignatureSchema),
  withdrawals: z.array(WithdrawalSchema),
  /** Parties still in the agreement (an alliance continues without a withdrawn party). */
  activeParties: z.array(GatewayIdSchema),
  pendingDeliveries: z.array(DeliverySchema),
});
export type AgreementView = z.infer<typeof AgreementViewSchema>;

/** `POST /v1/interop/agreements` (signed): a proposal with the signatures its sender holds. */
export const ProposalDeliverySchema = z.strictObject({
  document: AgreementDocumentSchema,
  /** At least the proposer's; every one must verify. */
  signatures: z.array(AgreementSignatureSchema).min(1).max(34),
});
export type ProposalDelivery = z.infer<typeof ProposalDeliverySchema>;

/** What an inbound call asks of the grantor's agreements (docs/protocol.md §8.5). */
export const AuthorizationQuerySchema = z.object({
  grantor: GatewayIdSchema,
  grantee: GatewayIdSchema,
  action: AgreementActionSchema,
  licenseType: z.string(),
  /** The matter handled; absent when any matter will do (an error report, docs/protocol.md §17.2). */
  matterCode: z.string().optional(),
  /** The level asked for; any level up to the grant's maxDataLevel when absent. */
  dataLevel: DataLevelSchema.optional(),
});
export type AuthorizationQuery = z.infer<typeof AuthorizationQuerySchema>;

export type Authorization =
  | { ok: true; agreementId: string; maxDataLevel: DataLevel }
  | { ok: false; code: 'AGREEMENT_REQUIRED' | 'SCOPE_DENIED'; message: string };
