import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { reviews } from './function.ts';

export const handler = await lambdaHttpHandler(reviews);
