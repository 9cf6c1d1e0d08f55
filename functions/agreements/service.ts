import type { AgreementDocument, AgreementProposal, AgreementView } from '../../contracts/agreement.ts';
import { AuditAction } from '../../contracts/audit.ts';
import type { FieldIssue } from '../../contracts/errors.ts';
import { firstIssueText } from '../../contracts/issue-text.ts';
import { signDocument, signWithdrawal } from '../../lib/agreements/signatures.ts';
import { type AgreementRecord, statusOf } from '../../lib/agreements/state.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../../lib/errors.ts';
import { ulid } from '../../lib/ids.ts';
import { todayCst } from '../../lib/license/validity.ts';
import type { Signer } from '../../lib/signing/signer.ts';
import { deliveriesOf } from './outbox.ts';
import type { AgreementRegistry, AgreementRepository } from './ports.ts';
import { viewOf } from './views.ts';

export interface AgreementDeps {
  province: string;
  store: AgreementRepository;
  /** Keys to verify other parties' signatures, and which provinces are active. */
  registry: AgreementRegistry;
  /** This province's `gateway` key: it signs agreements and withdrawals. */
  signer: Signer;
  clock: Clock;
}

/** What an operator step answers: the agreement, and whether this call changed it. */
export interface StepResult {
  view: AgreementView;
  changed: boolean;
}

/**
 * The operator's side of agreements (docs/protocol.md §8.3): propose, sign, withdraw, read. Each step
 * is signed with this province's gateway key and stored in one transaction with its audit event
 * and a delivery to every other remaining party.
 */
export class AgreementService {
  constructor(readonly deps: AgreementDeps) {}

  async propose(proposal: AgreementProposal, ctx: CallContext): Promise<AgreementView> {
    const { province, registry, store, clock } = this.deps;
    const now = clock.now();
    const issues: FieldIssue[] = [];
    if (!proposal.parties.includes(province)) {
      issues.push({
        path: ['parties'],
        code: 'custom',
        message: `this province (${province}) must be a party`,
      });
    }
    proposal.parties.forEach((p, i) => {
      if (registry.province(p)?.status !== 'active') {
        issues.push({
          path: ['parties', i],
          code: 'custom',
          message: `${p} is not an active province in the trust registry`,
        });
      }
    });
    if (proposal.validUntil < todayCst(now)) {
      issues.push({
        path: ['validUntil'],
        code: 'custom',
        message: 'the agreement would already have ended',
      });
    }
    if (issues.length > 0) {
      throw new InvalidRequestError(`the proposal is invalid: ${firstIssueText({ issues })}`, issues);
    }
    const document: AgreementDocument = {
      id: `agr_${ulid(now)}`,
      ...proposal,
      proposer: province,
      proposedAt: now.toISOString(),
    };
    const signature = await signDocument(this.deps.signer, province, document);
    const record: AgreementRecord = { document, signatures: [signature], withdrawals: [] };
    const others = document.parties.filter((p) => p !== province);
    const deliveries = deliveriesOf(
      { kind: 'proposal', body: { document, signatures: [signature] } },
      others,
      ctx.traceId,
      now,
    );
    const audit = this.event(ctx, AuditAction.agreementPropose, document.id, now, {
      parties: document.parties.join(','),
      validFrom: document.validFrom,
      validUntil: document.validUntil,
    });
    if ((await store.create({ record, deliveries, audit })) === 'exists') {
      throw new ConflictError(`agreement ${document.id} already exists`);
    }
    return viewOf(record, deliveries, now);
  }

  async list(): Promise<AgreementView[]> {
    const [records, deliveries] = await Promise.all([
      this.deps.store.list(),
      this.deps.store.pendingDeliveries(),
    ]);
    const now = this.deps.clock.now();
    return records.map((r) => viewOf(r, deliveries, now));
  }

  async get(id: string): Promise<AgreementView> {
    const record = await this.load(id);
    return viewOf(record, await this.deps.store.pendingDeliveries(), this.deps.clock.now());
  }

  /** This province signs; signing twice changes nothing. */
  async sign(id: string, ctx: CallContext): Promise<StepResult> {
    const { province, store } = this.deps;
    const record = await this.load(id);
    const now = this.deps.clock.now();
    if (record.signatures.some((s) => s.party === province)) {
      return { view: await this.get(id), changed: false };
    }
    const { state, activeParties } = statusOf(record, now);
    if (state === 'withdrawn' || state === 'expired') {
      throw new ConflictError(`agreement ${id} is ${state}; there is nothing to sign`);
    }
    if (!activeParties.includes(province)) {
      throw new ConflictError(`this province withdrew from agreement ${id}`);
    }
    const signature = await signDocument(this.deps.signer, province, record.document);
    const outcome = await store.addSignature({
      agreementId: id,
      signature,
      deliveries: deliveriesOf(
        { kind: 'signature', agreementId: id, body: signature },
        activeParties.filter((p) => p !== province),
        ctx.traceId,
        now,
      ),
      audit: this.event(ctx, AuditAction.agreementSign, id, now, { kid: signature.kid }),
    });
    return { view: await this.get(id), changed: outcome === 'added' };
  }

  /** This province withdraws; a bilateral agreement ends, an alliance goes on without it. */
  async withdraw(id: string, ctx: CallContext): Promise<StepResult> {
    const { province, store } = this.deps;
    const record = await this.load(id);
    const now = this.deps.clock.now();
    if (record.withdrawals.some((w) => w.party === province)) {
      return { view: await this.get(id), changed: false };
    }
    const { state, activeParties } = statusOf(record, now);
    if (state === 'withdrawn' || state === 'expired') {
      throw new ConflictError(`agreement ${id} is already ${state}`);
    }
    const withdrawal = await signWithdrawal(this.deps.signer, {
      agreementId: id,
      party: province,
      withdrawnAt: now.toISOString(),
    });
    const outcome = await store.addWithdrawal({
      agreementId: id,
      withdrawal,
      deliveries: deliveriesOf(
        { kind: 'withdrawal', agreementId: id, body: withdrawal },
        activeParties.filter((p) => p !== province),
        ctx.traceId,
        now,
      ),
      audit: this.event(ctx, AuditAction.agreementWithdraw, id, now, { stateBefore: state }),
    });
    return { view: await this.get(id), changed: outcome === 'added' };
  }

  private async load(id: string): Promise<AgreementRecord> {
    const record = await this.deps.store.get(id);
    if (!record) throw new NotFoundError(`no agreement ${id}`);
    return record;
  }

  private event(
    ctx: CallContext,
    action: AuditAction,
    agreementId: string,
    now: Date,
    details: Record<string, string>,
  ) {
    return callEvent(
      this.deps.province,
      ctx,
      {
        action,
        details: { agreementId, ...details },
      },
      now,
    );
  }
}
