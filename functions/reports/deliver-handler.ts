import { lambdaScheduledHandler } from '../../lib/wiring/lambda.ts';
import { reportDelivery } from './function.ts';

export const handler = await lambdaScheduledHandler(reportDelivery);
