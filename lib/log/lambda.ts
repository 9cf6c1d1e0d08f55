import type { Logger } from '@aws-lambda-powertools/logger';
import { log } from './logger.ts';

/**
 * A Lambda handler whose log lines carry its invocation (function name, request id, cold start),
 * as Powertools' injectLambdaContext would add them. Lambda calls a handler with (event, context);
 * the handler's own signature is kept.
 */
export function withLambdaLogContext<A extends unknown[], R>(handler: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    const context: unknown = args[1];
    if (isLambdaContext(context)) log.addContext(context as Parameters<Logger['addContext']>[0]);
    return handler(...args);
  };
}

function isLambdaContext(value: unknown): value is { awsRequestId: string } {
  return typeof value === 'object' && value !== null && 'awsRequestId' in value;
}
