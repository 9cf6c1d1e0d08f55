import { lambdaScheduledHandler } from '../../lib/wiring/lambda.ts';
import { delivery } from './function.ts';

export const handler = await lambdaScheduledHandler(delivery);
