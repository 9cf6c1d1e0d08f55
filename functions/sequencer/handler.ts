import { randomUUID } from 'node:crypto';
import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { gatewayFromEnv } from '../runtime.ts';
import { integrateAndReport } from './report.ts';

const g = await gatewayFromEnv();
/**
 * One lease owner per instance: an instance runs one invocation at a time, and the next tick can
 * take back at once the lease a run that failed on storage could not give back.
 */
const owner = randomUUID();

/**
 * Scheduled (e.g. every minute, reserved concurrency 1): integrates waiting audit events into the
 * Merkle log, up to 50 batches of 500 started within 40 s (so a run ends before the next tick and
 * the single reserved instance is free for it), then publishes the lag metrics (namespace
 * ELG/Audit). The lease keeps a second invocation out all the same.
 */
export const handler = withLambdaLogContext(() =>
  integrateAndReport(g, { maxBatch: 500, maxBatches: 50, budgetMs: 40_000, owner }),
);
