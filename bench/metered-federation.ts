import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../federation/dynamodb-local.ts';
import { type Federation, type RunningProvince, startFederation } from '../federation/federation.ts';
import { FEDERATION } from '../federation/provinces.ts';
import { SCHEDULED_FUNCTIONS } from '../functions/province.ts';
import { sequencerDeps } from '../functions/sequencer/function.ts';
import { integrate } from '../functions/sequencer/sequencer.ts';
import { meterDynamo } from './dynamo-meter.ts';
import { processCpuMs } from './process-cpu.ts';

export interface MeteredFederation {
  f: Federation;
  /** Counts what the gateways send DynamoDB (bench/dynamo-meter.ts). */
  meter: ReturnType<typeof meterDynamo>;
  /** The DynamoDB Local of this run, for measurements of its own. */
  endpoint: string;
  /** The CPU time DynamoDB Local's engine has used so far, in ms (NaN where it cannot be read). */
  engineCpuMs(): number;
  stop(): Promise<void>;
}

/**
 * A throw-away federation of `ids` on a DynamoDB Local of its own, its client metered, the
 * scheduled loops off: a bench integrates the log when it chooses, and measures that apart.
 */
export async function meteredFederation(
  ids: readonly string[],
  name: string,
  baseUrlOverrides?: Record<string, string>,
): Promise<MeteredFederation> {
  const dir = await mkdtemp(join(tmpdir(), `elg-bench-${name}-`));
  const ddb = await startDynamoDbLocal();
  let meter: ReturnType<typeof meterDynamo> | undefined;
  const f = await startFederation({
    dir,
    dynamodbEndpoint: ddb.endpoint,
    ports: 'ephemeral',
    provinces: FEDERATION.filter((p) => ids.includes(p.id)),
    scheduled: false,
    ...(baseUrlOverrides ? { baseUrlOverrides } : {}),
    instrument: (doc) => {
      meter = meterDynamo(doc);
    },
  });
  const stop = async () => {
    await f.stop();
    await ddb.stop();
    await rm(dir, { recursive: true, force: true });
  };
  if (!meter) {
    await stop();
    throw new Error('the federation did not hand over its DynamoDB client');
  }
  return { f, meter, endpoint: ddb.endpoint, engineCpuMs: () => processCpuMs(ddb.pid), stop };
}

/** Integrates every waiting event of each province into its log, as its sequencer would. */
export async function integrateAll(provinces: readonly RunningProvince[]): Promise<void> {
  for (const p of provinces) {
    const deps = sequencerDeps(p.gateway.scopedTo(SCHEDULED_FUNCTIONS.sequencer.scope));
    for (let round = 0; round < 1000; round++) {
      const report = await integrate(deps, { maxBatch: 500, maxBatches: 20 });
      if (report.outcome !== 'integrated') break;
    }
  }
}

/** A call as a province's own caller makes it (its dev token for `role`); GET without a body. Throws on an error answer. */
export async function callGateway(
  p: RunningProvince,
  role: keyof RunningProvince['tokens'],
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${p.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${p.tokens[role]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}
