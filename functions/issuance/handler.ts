import { handle } from 'hono/aws-lambda';
import { createBaseApp } from '../../lib/http/base.ts';
import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { issuanceService } from '../gateway.ts';
import { gatewayFromEnv } from '../runtime.ts';
import { issuanceRoutes } from './app.ts';

const g = await gatewayFromEnv();
const app = createBaseApp(g).route(
  '/',
  issuanceRoutes({ service: issuanceService(g), auth: g.auth, maxBodyBytes: g.maxBodyBytes }),
);

export const handler = withLambdaLogContext(handle(app));
