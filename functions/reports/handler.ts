import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { reports } from './function.ts';

export const handler = await lambdaHttpHandler(reports);
