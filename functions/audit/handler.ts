import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { audit } from './function.ts';

export const handler = await lambdaHttpHandler(audit);
