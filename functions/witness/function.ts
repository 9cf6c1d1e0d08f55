import { Hono } from 'hono';
import { witnessName } from '../../contracts/registry.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';
import { MetricUnit, publishMetrics } from '../../lib/metrics/emf.ts';
import { PROVINCE_DIMENSION, WITNESS_METRICS_NAMESPACE, WitnessMetric } from '../../lib/metrics/names.ts';
import type { ProvinceAdapters } from '../../lib/wiring/adapters.ts';
import { httpFunction } from '../../lib/wiring/function.ts';
import { cosignWith } from '../../lib/witness/cosignature.ts';
import { Witness } from '../../lib/witness/witness.ts';
import { functionSpec } from '../catalog.ts';
import { witnessAuditorRoutes, witnessRoutes } from './app.ts';
import { WitnessViews } from './views.ts';

/**
 * The witness over a function's adapters: the witness table, the registry (who witnesses which
 * log, the logs' audit keys) and the province's witness key, which only this function signs with.
 * Each piece of evidence newly kept is published as ELG/Witness SplitViewEvidence 1, which the
 * stack alarms on (`elg-<p>-split-view`).
 */
export function witnessOf(a: ProvinceAdapters): Witness {
  const signer = a.signer('witness');
  const name = witnessName(a.province);
  const write = a.writeMetrics;
  return new Witness({
    province: a.province,
    registry: a.registry,
    store: a.witnessStore,
    cosign: (note, timestamp) => cosignWith(signer, note, name, timestamp),
    clock: a.clock,
    onEvidence: (record) =>
      publishMetrics(
        {
          namespace: WITNESS_METRICS_NAMESPACE,
          dimensions: { [PROVINCE_DIMENSION]: a.province },
          metrics: [{ name: WitnessMetric.splitViewEvidence, unit: MetricUnit.Count, value: 1 }],
          timestamp: new Date(record.receivedAt),
        },
        write,
      ),
  });
}

/**
 * Witnessing (docs/protocol.md §19): the signed add-checkpoint call of C2SP tlog-witness, and the
 * auditors' routes over what this province witnessed and the split-view evidence it kept.
 */
export const witness = httpFunction(functionSpec('witness'), (a) =>
  new Hono<GatewayEnv>().route('/', witnessRoutes({ witness: witnessOf(a), signed: a.signedCalls })).route(
    '/',
    witnessAuditorRoutes({
      views: new WitnessViews({
        province: a.province,
        store: a.witnessStore,
        registry: a.registry,
        auditStore: a.auditStore,
        clock: a.clock,
      }),
      auth: a.auth,
    }),
  ),
);
