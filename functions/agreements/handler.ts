import { handle } from 'hono/aws-lambda';
import { createBaseApp } from '../../lib/http/base.ts';
import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { gatewayFromEnv } from '../runtime.ts';
import { agreementApp } from './app.ts';

const g = await gatewayFromEnv();
const app = createBaseApp(g).route('/', agreementApp(g));

export const handler = withLambdaLogContext(handle(app));
