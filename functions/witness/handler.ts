import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { witness } from './function.ts';

export const handler = await lambdaHttpHandler(witness);
