import { defaultIsContentTypeBinary, handle } from 'hono/aws-lambda';
import { withLambdaLogContext } from '../log/lambda.ts';
import { adaptersFromEnv } from './from-env.ts';
import { functionApp, type HttpFunction, type ScheduledFunction, scheduledRun } from './function.ts';

/**
 * The Lambda handler of an HTTP function (API Gateway HTTP API, payload 2.0): its adapters built
 * once at cold start from the settings its scope lists, its app wrapped by hono/aws-lambda.
 */
export async function lambdaHttpHandler(fn: HttpFunction) {
  const app = functionApp(fn, await adaptersFromEnv(fn.scope));
  return withLambdaLogContext(handle(app, { isContentTypeBinary }));
}

/**
 * Text answers go to API Gateway as text, the C2SP ones included (`text/x.tlog.size` of a witness's
 * 409, §19.2), which hono's default would base64-encode; anything else as hono decides.
 */
function isContentTypeBinary(contentType: string): boolean {
  return /^text\//i.test(contentType) ? false : defaultIsContentTypeBinary(contentType);
}

/** The Lambda handler of a scheduled function (EventBridge): one run per invocation. */
export async function lambdaScheduledHandler<R>(fn: ScheduledFunction<R>) {
  const run = scheduledRun(fn, await adaptersFromEnv(fn.scope));
  return withLambdaLogContext(() => run());
}
