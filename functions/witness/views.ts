import { AuditAction } from '../../contracts/audit.ts';
import type { EvidencePage, EvidenceQuery, EvidenceRecord, WitnessedLogs } from '../../contracts/witness.ts';
import { auditOrigin } from '../../lib/audit/checkpoint.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import type { AuditSink } from '../../lib/audit/sink.ts';
import type { Clock } from '../../lib/clock.ts';
import type { WitnessRegistry } from '../../lib/witness/witness.ts';
import type { WitnessRepository } from './ports.ts';

export interface WitnessViewDeps {
  province: string;
  store: Pick<WitnessRepository, 'state' | 'evidence' | 'evidenceList'>;
  registry: Pick<WitnessRegistry, 'witnessPolicy'> & { provinces(): readonly { id: string }[] };
  auditStore: AuditSink;
  clock: Clock;
}

const DEFAULT_LIMIT = 20;

/** What auditors read of this witness (docs/protocol.md §19.3); each read is one `audit.query` event. */
export class WitnessViews {
  constructor(private readonly deps: WitnessViewDeps) {}

  /** Every log the registry says this province witnesses, with what it last cosigned of each. */
  async logs(ctx: CallContext): Promise<WitnessedLogs> {
    const { deps } = this;
    const witnessed = deps.registry
      .provinces()
      .map((p) => p.id)
      .filter((id) => deps.registry.witnessPolicy(id)?.witnesses.includes(deps.province))
      .sort();
    const logs = await Promise.all(
      witnessed.map(async (logProvince) => {
        const origin = auditOrigin(logProvince);
        const state = await deps.store.state(origin);
        return {
          origin,
          logProvince,
          ...(state
            ? {
                cosigned: {
                  treeSize: state.treeSize,
                  rootHash: state.rootHash,
                  cosignedAt: state.cosignedAt,
                  caller: state.caller,
                },
              }
            : {}),
        };
      }),
    );
    await this.record(ctx, { query: 'witness-logs' });
    return { logs };
  }

  async evidenceList(query: EvidenceQuery, ctx: CallContext): Promise<EvidencePage> {
    const page = await this.deps.store.evidenceList({
      limit: query.limit ?? DEFAULT_LIMIT,
      ...(query.cursor === undefined ? {} : { after: query.cursor }),
    });
    await this.record(ctx, { query: 'witness-evidence', count: page.items.length });
    return { items: page.items, ...(page.next === undefined ? {} : { cursor: page.next }) };
  }

  async evidence(evidenceId: string, ctx: CallContext): Promise<EvidenceRecord | undefined> {
    const record = await this.deps.store.evidence(evidenceId);
    if (record) await this.record(ctx, { query: 'witness-evidence', evidenceId });
    return record;
  }

  private async record(ctx: CallContext, details: Record<string, string | number>) {
    await this.deps.auditStore.write(
      callEvent(this.deps.province, ctx, { action: AuditAction.auditQuery, details }, this.deps.clock.now()),
    );
  }
}
