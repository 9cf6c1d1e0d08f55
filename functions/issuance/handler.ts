import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { issuance } from './function.ts';

export const handler = await lambdaHttpHandler(issuance);
