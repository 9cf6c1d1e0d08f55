import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FUNCTIONS } from '../../../functions/catalog.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/apigw/${name}`, import.meta.url), 'utf8'));

/** An API Gateway HTTP API event, payload format 2.0, as AWS documents it. */
export const HttpApiEventSchema = z.strictObject({
  version: z.literal('2.0'),
  routeKey: z.string(),
  rawPath: z.string().startsWith('/'),
  rawQueryString: z.string(),
  cookies: z.array(z.string()).optional(),
  headers: z.record(z.string().regex(/^[a-z0-9-]+$/, 'lower-case header names'), z.string()),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  pathParameters: z.record(z.string(), z.string()).optional(),
  requestContext: z.strictObject({
    accountId: z.string().regex(/^\d{12}$/),
    apiId: z.string(),
    domainName: z.string(),
    domainPrefix: z.string(),
    http: z.strictObject({
      method: z.string(),
      path: z.string(),
      protocol: z.string(),
      sourceIp: z.string(),
      userAgent: z.string(),
    }),
    requestId: z.string(),
    routeKey: z.string(),
    stage: z.literal('$default'),
    time: z.string().regex(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
    timeEpoch: z.number().int(),
  }),
  body: z.string().optional(),
  isBase64Encoded: z.boolean(),
});
export type HttpApiEvent = z.infer<typeof HttpApiEventSchema>;

/** What a function returns to the HTTP API (payload format 2.0). */
export const HttpApiResultSchema = z.object({
  statusCode: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  isBase64Encoded: z.boolean(),
  cookies: z.array(z.string()).optional(),
});
export type HttpApiResult = z.infer<typeof HttpApiResultSchema>;

/** An EventBridge scheduled event, as a rule with a rate schedule sends it. */
export const ScheduledEventSchema = z.strictObject({
  version: z.literal('0'),
  id: z.uuid(),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()).length(1),
  detail: z.strictObject({}),
});

/** The healthz probe fixture, as recorded. */
export const healthzEvent = (): HttpApiEvent => HttpApiEventSchema.parse(fixture('http-api-v2-healthz.json'));

export function scheduledEvent(rule: string): z.infer<typeof ScheduledEventSchema> {
  const event = ScheduledEventSchema.parse(fixture('eventbridge-scheduled.json'));
  return {
    ...event,
    id: randomUUID(),
    time: `${new Date().toISOString().slice(0, 19)}Z`,
    resources: [`arn:aws-cn:events:cn-north-1:111122223333:rule/${rule}`],
  };
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Path with an optional query string, as the client sent it. */
  path: string;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: string;
  /** Send the body base64-encoded, as API Gateway does for content it takes as binary. */
  base64?: boolean;
}

/**
 * The event API Gateway makes of a request: the healthz fixture with this method, path, query,
 * headers and body, and the route the deployment's catalog selects for it. Headers are
 * lower-cased and repeated query parameters joined with commas, as API Gateway does.
 */
export function httpApiEvent(spec: RequestSpec): HttpApiEvent {
  const base = healthzEvent();
  const [rawPath = '/', rawQueryString = ''] = spec.path.split(/\?(.*)/s);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) query[k] = k in query ? `${query[k]},${v}` : v;
  const route = routeOf(spec.method, rawPath);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body, 'utf8');
  const headers: Record<string, string> = { ...base.headers };
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['content-length'] = String(body?.length ?? 0);
  const now = new Date();
  return HttpApiEventSchema.parse({
    ...base,
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(spec.cookies ? { cookies: spec.cookies } : {}),
    headers,
    queryStringParameters: query,
    ...(route.proxy === undefined ? {} : { pathParameters: { proxy: route.proxy } }),
    requestContext: {
      ...base.requestContext,
      http: { ...base.requestContext.http, method: spec.method, path: rawPath },
      requestId: randomBytes(12).toString('base64'),
      routeKey: route.routeKey,
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body: body.toString(spec.base64 ? 'base64' : 'utf8') }),
    isBase64Encoded: spec.base64 === true,
  });
}

export interface SelectedRoute {
  /** The function the catalog gives the route to. */
  function: string;
  routeKey: string;
  proxy?: string;
}

/**
 * The route an HTTP API built from the catalog (functions/catalog.ts) selects, by its rules: an
 * exact route first, then the greedy `{proxy+}` route with the longest prefix, then `$default`.
 */
export function routeOf(method: string, path: string): SelectedRoute {
  let best: (SelectedRoute & { prefix: number }) | undefined;
  let fallback: SelectedRoute | undefined;
  for (const spec of FUNCTIONS) {
    for (const routeKey of spec.routes) {
      if (routeKey === '$default') {
        fallback = { function: spec.name, routeKey };
        continue;
      }
      const [routeMethod, pattern = ''] = routeKey.split(' ');
      if (routeMethod !== method && routeMethod !== 'ANY') continue;
      if (pattern === path) return { function: spec.name, routeKey };
      if (pattern.endsWith('/{proxy+}')) {
        const prefix = pattern.slice(0, -'{proxy+}'.length);
        const proxy = path.startsWith(prefix) ? path.slice(prefix.length) : '';
        if (proxy !== '' && (!best || prefix.length > best.prefix)) {
          best = { function: spec.name, routeKey, proxy, prefix: prefix.length };
        }
      }
    }
  }
  if (best) return { function: best.function, routeKey: best.routeKey, proxy: best.proxy };
  if (fallback) return fallback;
  throw new Error(`no route of the catalog takes ${method} ${path}`);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `01/Jun/2026:08:00:00 +0000`, the requestContext.time format. */
function apiGatewayTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The Lambda context the runtime passes along with each event. */
export function lambdaContext(functionName: string) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `elg-310000-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws-cn:lambda:cn-north-1:111122223333:function:elg-310000-${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/elg-310000-${functionName}`,
    logStreamName: '2026/06/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 15_000,
  };
}

export type HttpFunction =
  | 'discovery'
  | 'issuance'
  | 'verification'
  | 'interop'
  | 'agreements'
  | 'reports'
  | 'reviews'
  | 'audit'
  | 'witness';
export type ScheduledFunction = 'delivery' | 'report-delivery' | 'review-delivery' | 'sequencer';
/** Every function of the catalog (functions/catalog.ts), by name. */
export type FunctionName = HttpFunction | ScheduledFunction;

const HANDLERS: Record<FunctionName, () => Promise<{ handler: unknown }>> = {
  discovery: () => import('../../../functions/discovery/handler.ts'),
  issuance: () => import('../../../functions/issuance/handler.ts'),
  verification: () => import('../../../functions/verification/handler.ts'),
  interop: () => import('../../../functions/interop/handler.ts'),
  agreements: () => import('../../../functions/agreements/handler.ts'),
  reports: () => import('../../../functions/reports/handler.ts'),
  reviews: () => import('../../../functions/reviews/handler.ts'),
  audit: () => import('../../../functions/audit/handler.ts'),
  witness: () => import('../../../functions/witness/handler.ts'),
  delivery: () => import('../../../functions/agreements/deliver-handler.ts'),
  'report-delivery': () => import('../../../functions/reports/deliver-handler.ts'),
  'review-delivery': () => import('../../../functions/reviews/deliver-handler.ts'),
  sequencer: () => import('../../../functions/sequencer/handler.ts'),
};

/** Where a function's environment comes from: the world, as the stack sets it for that function. */
export interface LambdaEnvironment {
  enter(name: FunctionName): void;
}

/**
 * A function's cold start: imports its handler module, which builds its adapters from process.env
 * at import, as in a new execution environment (a module already imported is not started again;
 * vi.resetModules makes the next import a new one). Rejects as the cold start fails.
 */
export async function handlerOf(name: FunctionName): Promise<(event: unknown, context: unknown) => unknown> {
  const { handler } = await HANDLERS[name]();
  if (typeof handler !== 'function') throw new TypeError(`the handler module of ${name} exports no handler`);
  return handler as (event: unknown, context: unknown) => unknown;
}

export type Invoke = (event: HttpApiEvent) => Promise<HttpApiResult>;

/**
 * Starts a function with the environment the stack gives it (and only that), and returns a caller
 * that checks the catalog routes each event to it.
 */
export async function httpFunction(name: HttpFunction, world: LambdaEnvironment): Promise<Invoke> {
  world.enter(name);
  const handler = await handlerOf(name);
  return async (event) => {
    const selected = routeOf(event.requestContext.http.method, event.rawPath).function;
    if (selected !== name) {
      throw new Error(`the catalog routes ${event.routeKey} to ${selected}, not to ${name}`);
    }
    return HttpApiResultSchema.parse(await handler(event, lambdaContext(name)));
  };
}

export type Scheduled = (
  event: ReturnType<typeof scheduledEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<unknown>;

/** Starts a scheduled function with the environment the stack gives it; EventBridge invokes it so. */
export async function scheduledFunction(
  name: ScheduledFunction,
  world: LambdaEnvironment,
): Promise<Scheduled> {
  world.enter(name);
  const handler = await handlerOf(name);
  return async (event, context) => handler(event, context);
}

/** The `{"error": {...}}` body of a refusal. */
export const ErrorResultSchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string().min(1),
    traceId: z.string().regex(/^[0-9a-f]{32}$/),
    issues: z.array(z.unknown()).optional(),
  }),
});

export function errorOf(result: HttpApiResult) {
  return ErrorResultSchema.parse(JSON.parse(result.body)).error;
}
