import { handle } from 'hono/aws-lambda';
import { createBaseApp } from '../../lib/http/base.ts';
import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { interopService, signedCallDeps } from '../gateway.ts';
import { gatewayFromEnv } from '../runtime.ts';
import { interopRoutes } from './app.ts';

const g = await gatewayFromEnv();
const app = createBaseApp(g).route(
  '/',
  interopRoutes({ service: interopService(g), signed: signedCallDeps(g), maxBodyBytes: g.maxBodyBytes }),
);

export const handler = withLambdaLogContext(handle(app));
