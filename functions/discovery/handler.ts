import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { discovery } from './function.ts';

export const handler = await lambdaHttpHandler(discovery);
