import { lambdaHttpHandler } from '../../lib/wiring/lambda.ts';
import { interop } from './function.ts';

export const handler = await lambdaHttpHandler(interop);
