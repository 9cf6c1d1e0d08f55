import { randomUUID } from 'node:crypto';
import type { ProvinceAdapters } from '../../lib/wiring/adapters.ts';
import { scheduledFunction } from '../../lib/wiring/function.ts';
import { functionSpec } from '../catalog.ts';
import { integrateAndReport } from './report.ts';
import type { SequencerDeps } from './sequencer.ts';

/** What the sequencer touches, each read now, so that a listing missing from its entry fails at wiring. */
export function sequencerDeps(a: ProvinceAdapters): SequencerDeps {
  const checkpoints = a.signer('audit');
  a.logStore();
  return {
    province: a.province,
    clock: a.clock,
    signer: () => checkpoints,
    logStore: (options) => a.logStore(options),
    loggedEvents: a.loggedEvents,
    witnessing: {
      province: a.province,
      registry: a.registry,
      peers: a.textPeers,
      auditStore: a.auditStore,
      clock: a.clock,
      timeoutMs: a.witnessTimeoutMs,
    },
  };
}

/**
 * Scheduled (every minute, reserved concurrency 1): integrates waiting audit events into the
 * Merkle log, up to 50 batches of 500 started within 40 s (so a run ends before the next tick and
 * the single reserved instance is free for it), collects the cosignatures of the newest checkpoint
 * while it lacks its witness quorum (one bounded collection, ELG_WITNESS_TIMEOUT_MS), then
 * publishes the lag metrics (namespace ELG/Audit) and the witnessing metrics (ELG/Witness). The lease keeps a second invocation out all the same.
 */
export const sequencer = scheduledFunction(functionSpec('sequencer'), (a) => {
  const deps = sequencerDeps(a);
  /**
   * One lease owner per instance: an instance runs one invocation at a time, and the next tick can
   * take back at once the lease a run that failed on storage could not give back.
   */
  const owner = randomUUID();
  return () => integrateAndReport(deps, { maxBatch: 500, maxBatches: 50, budgetMs: 40_000, owner });
});
