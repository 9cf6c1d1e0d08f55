import { handle } from 'hono/aws-lambda';
import { createBaseApp } from '../../lib/http/base.ts';
import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { gatewayFromEnv } from '../runtime.ts';
import { auditApp } from './app.ts';

const g = await gatewayFromEnv();
const app = createBaseApp(g).route('/', auditApp(g));

export const handler = withLambdaLogContext(handle(app));
