import { handle } from 'hono/aws-lambda';
import { createBaseApp } from '../../lib/http/base.ts';
import { withLambdaLogContext } from '../../lib/log/lambda.ts';
import { gatewayFromEnv, previousKeysFromEnv } from '../runtime.ts';
import { discoveryRoutes } from './app.ts';

const [g, previousKeys] = await Promise.all([gatewayFromEnv(), previousKeysFromEnv()]);
const app = createBaseApp(g).route('/', discoveryRoutes(g, { previousKeys }));

export const handler = withLambdaLogContext(handle(app));
