import {
  AgreementProposalSchema,
  type AgreementSignature,
  type AgreementState,
  type ProposalDelivery,
  type Withdrawal,
} from '../../contracts/agreement.ts';
import { AuditAction, type AuditEvent } from '../../contracts/audit.ts';
import { sameDocument } from '../../lib/agreements/canonical.ts';
import { verifyDocumentSignature, verifyWithdrawal } from '../../lib/agreements/signatures.ts';
import { type AgreementRecord, statusOf } from '../../lib/agreements/state.ts';
import { auditEvent } from '../../lib/audit/events.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  SignatureInvalidError,
} from '../../lib/errors.ts';
import { parseWith } from '../../lib/http/json.ts';
import { todayCst } from '../../lib/license/validity.ts';
import type { InboundDeps } from './ports.ts';

/** Who delivered, as the signed-call layer proved it, and the trace the caller started. */
export interface InboundContext {
  caller: string;
  traceId: string;
  method: string;
  path: string;
}

/** What this province answers a delivering province. */
export interface Receipt {
  id: string;
  state: AgreementState;
  activeParties: string[];
  /** False when everything delivered was already held: a retry, answered 200 instead of 201. */
  changed: boolean;
}

/**
 * Deliveries from other provinces (signed calls). The caller must be a party. Signatures and
 * withdrawals prove themselves, so a party may relay another party's as long as it verifies
 * against that party's `gateway` key in the registry; a forged, tampered or foreign one is
 * refused whole, and nothing is stored.
 */
export class AgreementInbox {
  constructor(private readonly deps: InboundDeps) {}

  async receiveProposal(delivery: ProposalDelivery, ctx: InboundContext): Promise<Receipt> {
    const { document, signatures } = delivery;
    const { province, registry } = this.deps;
    const { id, parties, proposer } = document;
    parseWith(
      AgreementProposalSchema,
      {
        name: document.name,
        parties,
        grants: document.grants,
        validFrom: document.validFrom,
        validUntil: document.validUntil,
      },
      'the proposed agreement',
    );
    if (!parties.includes(ctx.caller)) throw new ForbiddenError(`${ctx.caller} is not a party to ${id}`);
    if (!parties.includes(province)) {
      throw new ForbiddenError(`agreement ${id} does not name ${province} as a party`);
    }
    if (!parties.includes(proposer)) throw new ForbiddenError(`the proposer ${proposer} is not a party`);
    if (new Set(signatures.map((s) => s.party)).size !== signatures.length) {
      throw new InvalidRequestError('the proposal carries two signatures of one party');
    }
    if (!signatures.some((s) => s.party === proposer)) {
      throw new SignatureInvalidError(`the proposal carries no signature of its proposer ${proposer}`);
    }
    for (const s of signatures) await verifyDocumentSignature(registry, document, s);
    const now = this.deps.clock.now();
    if (todayCst(now) > document.validUntil) {
      throw new ConflictError(`agreement ${id} ended on ${document.validUntil}; there is nothing to accept`);
    }
    const record: AgreementRecord = { document, signatures, withdrawals: [] };
    const audit = this.event(ctx, id, 'proposal', proposer, now, { signatures: signatures.length });
    if ((await this.deps.store.create({ record, deliveries: [], audit })) === 'created') {
      return this.receipt(record, true);
    }
    const held = await this.load(id);
    if (!sameDocument(held.document, document)) {
      throw new ConflictError(`a different agreement ${id} is already held`);
    }
    let changed = false;
    for (const s of signatures) changed = (await this.store(id, s, ctx)) || changed;
    return this.receipt(await this.load(id), changed);
  }

  async receiveSignature(id: string, signature: AgreementSignature, ctx: InboundContext): Promise<Receipt> {
    const held = await this.load(id);
    this.assertParty(held, ctx.caller);
    await verifyDocumentSignature(this.deps.registry, held.document, signature);
    const changed = await this.store(id, signature, ctx);
    return this.receipt(await this.load(id), changed);
  }

  async receiveWithdrawal(id: string, withdrawal: Withdrawal, ctx: InboundContext): Promise<Receipt> {
    if (withdrawal.agreementId !== id) {
      throw new InvalidRequestError(`the withdrawal names agreement ${withdrawal.agreementId}, not ${id}`);
    }
    const held = await this.load(id);
    this.assertParty(held, ctx.caller);
    await verifyWithdrawal(this.deps.registry, held.document, withdrawal);
    const now = this.deps.clock.now();
    const outcome = await this.deps.store.addWithdrawal({
      agreementId: id,
      withdrawal,
      deliveries: [],
      audit: this.event(ctx, id, 'withdrawal', withdrawal.party, now, {
        withdrawnAt: withdrawal.withdrawnAt,
      }),
    });
    return this.receipt(await this.load(id), outcome === 'added');
  }

  private async store(id: string, signature: AgreementSignature, ctx: InboundContext): Promise<boolean> {
    const now = this.deps.clock.now();
    const outcome = await this.deps.store.addSignature({
      agreementId: id,
      signature,
      deliveries: [],
      audit: this.event(ctx, id, 'signature', signature.party, now, { kid: signature.kid }),
    });
    return outcome === 'added';
  }

  private async load(id: string): Promise<AgreementRecord> {
    const record = await this.deps.store.get(id);
    if (!record) throw new NotFoundError(`no agreement ${id} is held here (yet)`);
    return record;
  }

  private assertParty(record: AgreementRecord, caller: string): void {
    if (!record.document.parties.includes(caller)) {
      throw new ForbiddenError(`${caller} is not a party to ${record.document.id}`);
    }
  }

  private receipt(record: AgreementRecord, changed: boolean): Receipt {
    const { state, activeParties } = statusOf(record, this.deps.clock.now());
    return { id: record.document.id, state, activeParties, changed };
  }

  private event(
    ctx: InboundContext,
    agreementId: string,
    kind: 'proposal' | 'signature' | 'withdrawal',
    party: string,
    now: Date,
    details: Record<string, string | number>,
  ): AuditEvent {
    const event = auditEvent(
      {
        province: this.deps.province,
        traceId: ctx.traceId,
        action: AuditAction.agreementReceive,
        outcome: 'success',
        method: ctx.method,
        path: ctx.path,
        peer: ctx.caller,
        details: { agreementId, kind, party, ...details },
      },
      now,
    );
    return { ...event, actor: { gateway: ctx.caller } };
  }
}
