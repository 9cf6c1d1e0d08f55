import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { gatewayFromEnv } from '../runtime.ts';
import { deliverPending } from './delivery.ts';

const g = await gatewayFromEnv();

/** Scheduled (e.g. every minute): sends the agreement deliveries that are due. */
export const handler = withLambdaLogContext(() => deliverPending(g, g.clock.now()));
