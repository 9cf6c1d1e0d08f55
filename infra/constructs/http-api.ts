import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { pascal } from '../names.ts';
import type { GatewayFunction } from './gateway-function.ts';

/**
 * The province's HTTP API: the catalog's routes on the `$default` stage (payload format 2.0, no
 * base path; see infra/province-stack.ts on why signed calls need exactly that), throttled, with
 * access logs that carry the route but never a query string or header. Built directly in
 * `scope`, so the logical ids are the stack's own.
 */

/** Default-stage throttling: below what the shared KMS Sign quota (about 1,000/s) can carry. */
export const API_THROTTLE = { rateLimit: 500, burstLimit: 1000 } as const;

export function createHttpApi(
  scope: Construct,
  province: string,
  functions: readonly GatewayFunction[],
  logRetentionDays: number,
): { api: HttpApi; stage: HttpStage } {
  const api = new HttpApi(scope, 'Api', {
    apiName: `elg-${province}`,
    description: `E-license gateway of province ${province}`,
    createDefaultStage: false,
  });
  const accessLogs = new LogGroup(scope, 'ApiAccessLogs', {
    logGroupName: `/aws/apigateway/elg-${province}`,
    retention: logRetentionDays,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stage = api.addStage('DefaultStage', {
    autoDeploy: true,
    throttle: API_THROTTLE,
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogs),
      // No query strings and no headers: what reaches the log is the route, never a personal code.
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          time: '$context.requestTime',
          ip: '$context.identity.sourceIp',
          method: '$context.httpMethod',
          route: '$context.routeKey',
          path: '$context.path',
          status: '$context.status',
          length: '$context.responseLength',
          latencyMs: '$context.responseLatency',
          integrationLatencyMs: '$context.integrationLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      ),
    },
  });
  for (const f of functions) {
    if (f.spec.routes.length === 0) continue;
    const integration = new HttpLambdaIntegration(`${pascal(f.spec.name)}Integration`, f.fn, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    for (const route of f.spec.routes) {
      new HttpRoute(scope, `Route ${route.replaceAll('/', '|')}`, {
        httpApi: api,
        routeKey: routeKeyOf(route),
        integration,
      });
    }
  }
  return { api, stage };
}

/** `GET /v1/x/{proxy+}` or `$default` as an HTTP API route key. */
export function routeKeyOf(route: string): HttpRouteKey {
  if (route === '$default') return HttpRouteKey.DEFAULT;
  const m = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/\S*)$/.exec(route);
  if (!m?.[1] || !m[2]) throw new Error(`not a route: ${route}`);
  return HttpRouteKey.with(m[2], HttpMethod[m[1] as keyof typeof HttpMethod]);
}
