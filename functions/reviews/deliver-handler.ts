import { lambdaScheduledHandler } from '../../lib/wiring/lambda.ts';
import { reviewDelivery } from './function.ts';

export const handler = await lambdaScheduledHandler(reviewDelivery);
