import { lambdaScheduledHandler } from '../../lib/wiring/lambda.ts';
import { sequencer } from './function.ts';

export const handler = await lambdaScheduledHandler(sequencer);
