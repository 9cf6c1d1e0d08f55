import { gatewayFromEnv } from '../runtime.ts';
import { integrate } from './sequencer.ts';

const g = await gatewayFromEnv();

/**
 * Scheduled (e.g. every minute, reserved concurrency 1): integrates waiting audit events into the
 * Merkle log, up to 50 batches of 500. The lease keeps a second invocation out all the same.
 */
export const handler = () => integrate(g, { maxBatch: 500, maxBatches: 50 });
