import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { agreements } from './function.ts';

export const handler = await lambdaHttpHandler(agreements);
