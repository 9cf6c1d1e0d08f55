import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { verification } from './function.ts';

export const handler = await lambdaHttpHandler(verification);
