/**
 * One province's gateway on AWS: the stack `elg-<province>` that each province deploys on its own
 * account. Every physical name carries the province code, so stacks of several provinces can
 * share an account (and a test App) without colliding.
 *
 * - DynamoDB: the tables of lib/store/tables.ts (`elg-<p>-<kind>`), on demand, with point-in-time
 *   recovery, deletion protection, TTL and every index the definition lists; kept on stack deletion.
 * - KMS: per purpose (credential, gateway, audit) one ECC_NIST_P256 SIGN_VERIFY key per generation
 *   (context `keyGenerations`), each kept in the stack under the same logical id and never deleted
 *   by a deploy. `alias/elg-<p>-<purpose>` names the signing generation: the newest, or the one
 *   before it while the newest is staged (context `stagedKeys`). `alias/elg-<p>-<purpose>-g<N>`
 *   names every generation. No function may sign with any other generation; the discovery
 *   function alone reads the public keys of the published ones (ELG_KMS_KEYS_PREVIOUS): earlier
 *   generations and a staged next one, but not those retired (context `retiredKeys`), which no
 *   function may read at all (infra/context.ts keyPlans).
 * - Secrets Manager: `elg/<p>/holder-hash-key`, 32 random bytes as 64 lowercase hex characters,
 *   generated at deploy time, never in the template (ELG_HOLDER_HASH_SECRET_ARN).
 * - Lambda: one function per catalog entry (infra/functions.ts), bundled by infra/bundle.ts; Node.js
 *   22 on ARM, X-Ray active, its own log group, and a role holding exactly what the catalog lists:
 *   kms:Sign on the signing keys of its purposes only, kms:GetPublicKey on the three signing keys
 *   (every function builds its key ring at cold start), item actions on its tables only. No
 *   `*` resource but X-Ray's; /healthz probes storage with DescribeTable on the audit table.
 * - HTTP API: the catalog's routes on the `$default` stage (payload format 2.0), throttled, with
 *   access logs. The sequencer and the delivery function run every minute on EventBridge.
 * - Alarms to the SNS topic `elg-<p>-alarms`: errors and throttles of each function, 5xx of the
 *   API, and the age of the oldest audit event the sequencer has not integrated.
 *
 * Signed calls behind API Gateway: an `ELG-Signature` covers `aud` (the callee's gateway id), the
 * method (`htm`), the path with its query (`htu`) and the SHA-256 of the body bytes (`bsh`); it
 * does not cover the host. The caller resolves the path against the registry's `baseUrl`
 * (`new URL(pathWithQuery, baseUrl)`), and the callee (hono/aws-lambda, payload 2.0) rebuilds the
 * URL from `rawPath` and `rawQueryString` and compares `pathname + search` with `htu`. On the
 * `$default` stage `rawPath` is the request path exactly as sent (no stage prefix) and the API URL
 * has no path of its own, so with `baseUrl` = this API's URL (output ApiUrl) the signed path and
 * the verified path are the same string, and API Gateway passes the body bytes through (decoded
 * again from base64 when it encodes them), so `bsh` matches too; the answer's `ELG-Receipt`
 * header and body reach the caller unchanged. The query is compared after URL parsing on the
 * callee's side, so a signed query must already be in its encoded form (today's signed calls, the
 * interop verify and the agreement deliveries, are POSTs without one). This holds only on the
 * `$default` stage with no base path: `new URL(pathWithQuery, baseUrl)` drops any path of the
 * baseUrl, so a named stage or a custom domain mapped under a base path would not even be reached,
 * and on a named stage `rawPath` carries the stage name, so the path would not match `htu` either.
 */
import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
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
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Architecture, Code, Function as LambdaFn, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { TABLES, type TableKind, tableEnvName, tableNames } from '../lib/store/tables.ts';
import { KEY_PURPOSES, keyPlans, type ProvinceContext } from './context.ts';
import { FUNCTIONS, type FunctionSpec, type KeyPurpose, type TableAccess } from './functions.ts';

/** DynamoDB item actions by access; the Transact* APIs are authorized by these. */
export const TABLE_ACTIONS: Readonly<Record<'describe' | 'getput' | 'read' | 'write', readonly string[]>> = {
  describe: ['dynamodb:DescribeTable'],
  getput: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  read: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DescribeTable',
  ],
  write: [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
};

export function tableActions(access: TableAccess): string[] {
  const parts = access === 'readwrite' ? (['read', 'write'] as const) : [access];
  return [...new Set(parts.flatMap((p) => TABLE_ACTIONS[p]))];
}

/** Default-stage throttling: below what the shared KMS Sign quota (about 1,000/s) can carry. */
export const API_THROTTLE = { rateLimit: 500, burstLimit: 1000 } as const;

/** The custom metric the sequencer emits (CloudWatch EMF): age of the oldest waiting event. */
export const SEQUENCER_LAG_METRIC = {
  namespace: 'ELG/Audit',
  metricName: 'OldestPendingAgeSeconds',
  thresholdSeconds: 300,
  periods: 3,
} as const;

export const stackName = (province: string) => `elg-${province}`;
export const functionName = (province: string, name: string) => `elg-${province}-${name}`;
export const keyAliasName = (province: string, purpose: KeyPurpose, generation?: number) =>
  `alias/elg-${province}-${purpose}${generation === undefined ? '' : `-g${generation}`}`;
export const holderHashSecretName = (province: string) => `elg/${province}/holder-hash-key`;
export const alarmTopicName = (province: string) => `elg-${province}-alarms`;

export interface ProvinceStackProps extends StackProps {
  context: ProvinceContext;
  /** Directory holding one bundle directory per function (the outDir of bundleFunctions). */
  assetDir: string;
  /** The function catalog; the default is infra/functions.ts. */
  functions?: readonly FunctionSpec[];
}

export interface ProvinceKeys {
  /** The generation that signs: the purpose's alias, ELG_KMS_KEY_<PURPOSE> and kms:Sign. */
  current: Key;
  /**
   * Published but not signing, oldest first: earlier generations not retired and a staged next
   * one. Only the discovery function reads them, for the JWKS (ELG_KMS_KEYS_PREVIOUS).
   */
  published: Key[];
  /** Kept in the stack but neither published nor readable by any function, oldest first. */
  retired: Key[];
  /** Every generation, oldest first: generation N is `generations[N - 1]`. */
  generations: Key[];
}

export class ProvinceStack extends Stack {
  readonly province: string;
  readonly tables: Readonly<Record<TableKind, Table>>;
  readonly keys: Readonly<Record<KeyPurpose, ProvinceKeys>>;
  readonly holderHashSecret: Secret;
  readonly functions: ReadonlyMap<string, LambdaFn>;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: ProvinceStackProps) {
    const { context: ctx, assetDir, functions: catalog = FUNCTIONS, ...stackProps } = props;
    const p = ctx.province;
    super(scope, id, {
      description: `E-license gateway of province ${p} (${ctx.provinceName}): cross-province e-license exchange`,
      ...(ctx.account || ctx.region ? { env: { account: ctx.account, region: ctx.region } } : {}),
      ...stackProps,
      stackName: stackName(p),
    });
    this.province = p;
    Tags.of(this).add('elg:province', p);
    const retention = ctx.logRetentionDays;

    this.tables = this.createTables(p);
    this.keys = this.createKeys(p, ctx);
    this.holderHashSecret = new Secret(this, 'HolderHashKey', {
      secretName: holderHashSecretName(p),
      description: `Key of the holder hashes in province ${p}'s audit events (32 bytes, hex)`,
      generateSecretString: {
        passwordLength: 64,
        excludeUppercase: true,
        excludePunctuation: true,
        excludeCharacters: 'ghijklmnopqrstuvwxyz',
        includeSpace: false,
        requireEachIncludedType: false,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const environment: Record<string, string> = {
      ELG_PROVINCE_ID: p,
      ELG_PROVINCE_NAME: ctx.provinceName,
      ...Object.fromEntries(TABLES.map((t) => [tableEnvName(t.kind), this.tables[t.kind].tableName])),
      ...Object.fromEntries(
        KEY_PURPOSES.map((k) => [`ELG_KMS_KEY_${k.toUpperCase()}`, this.keys[k].current.keyArn]),
      ),
      ELG_REGISTRY_URL: ctx.registryUrl,
      ELG_REGISTRY_ROOT_JWK: ctx.registryRootJwk,
      ELG_IDP_ISSUER: ctx.idpIssuer,
      ELG_IDP_AUDIENCE: ctx.idpAudience,
      ELG_IDP_JWKS_URL: ctx.idpJwksUrl,
    };
    const publishedKeyArns = KEY_PURPOSES.flatMap((k) => this.keys[k].published.map((key) => key.keyArn));
    // Published but not signing: earlier generations and a staged next one, as `purpose=keyArn`
    // entries (lib/config.ts): the purpose cannot be read from a KMS key.
    const publishedKeys = KEY_PURPOSES.flatMap((k) =>
      this.keys[k].published.map((key) => `${k}=${key.keyArn}`),
    ).join(',');

    const functions = new Map<string, LambdaFn>();
    for (const spec of catalog) {
      const id = pascal(spec.name);
      const name = functionName(p, spec.name);
      const logGroup = new LogGroup(this, `${id}Logs`, {
        logGroupName: `/aws/lambda/${name}`,
        retention,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new Role(this, `${id}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Function ${name}: only what the function catalog lists for ${spec.name}`,
        inlinePolicies: {
          access: new PolicyDocument({
            statements: this.statementsFor(spec, logGroup, publishedKeyArns),
          }),
        },
      });
      const fn = new LambdaFn(this, `${id}Function`, {
        functionName: name,
        description: spec.description,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        code: Code.fromAsset(join(assetDir, spec.name)),
        handler: 'index.handler',
        memorySize: spec.memoryMb,
        timeout: Duration.seconds(spec.timeoutSeconds),
        role,
        logGroup,
        tracing: Tracing.ACTIVE,
        environment: {
          ...environment,
          ELG_HOLDER_HASH_SECRET_ARN: this.holderHashSecret.secretArn,
          ...(spec.publishesKeys && publishedKeyArns.length > 0
            ? { ELG_KMS_KEYS_PREVIOUS: publishedKeys }
            : {}),
        },
        ...(spec.reservedConcurrency === undefined
          ? {}
          : { reservedConcurrentExecutions: spec.reservedConcurrency }),
        // A scheduled run that failed or was throttled is not retried: the next tick runs anyway.
        ...(spec.scheduleMinutes === undefined ? {} : { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
      });
      functions.set(spec.name, fn);
      if (spec.scheduleMinutes !== undefined) {
        new Rule(this, `${id}Schedule`, {
          ruleName: `${name}-schedule`,
          description: `Runs ${name} every ${spec.scheduleMinutes} minute(s)`,
          schedule: Schedule.rate(Duration.minutes(spec.scheduleMinutes)),
          targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
        });
      }
    }
    this.functions = functions;

    ({ api: this.api, stage: this.stage } = this.createApi(p, catalog, retention));
    this.alarmTopic = this.createAlarms(p, ctx, catalog);

    new CfnOutput(this, 'ApiUrl', {
      description: "The gateway's base URL: its baseUrl in the national trust registry",
      value: this.stage.url,
    });
    new CfnOutput(this, 'JwksUrl', {
      description: "The province's public keys with purposes",
      value: `${this.stage.url}.well-known/jwks.json`,
    });
    for (const k of KEY_PURPOSES) {
      new CfnOutput(this, `${pascal(k)}KeyArn`, {
        description: `The ${k} key that signs (${keyAliasName(p, k)})`,
        value: this.keys[k].current.keyArn,
      });
    }
    new CfnOutput(this, 'HolderHashSecretArn', { value: this.holderHashSecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  private createTables(p: string): Record<TableKind, Table> {
    const names = tableNames(`elg-${p}`);
    const tables: Partial<Record<TableKind, Table>> = {};
    for (const def of TABLES) {
      const table = new Table(this, `${pascal(def.kind)}Table`, {
        tableName: names[def.kind],
        partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
        ...(def.sortKey ? { sortKey: { name: def.sortKey, type: AttributeType.STRING } } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
      });
      // CloudFormation adds or removes one index per update: add new indexes one deploy at a time.
      for (const index of def.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        });
      }
      tables[def.kind] = table;
    }
    return tables as Record<TableKind, Table>;
  }

  private createKeys(p: string, ctx: ProvinceContext): Record<KeyPurpose, ProvinceKeys> {
    const plans = keyPlans(ctx);
    const keys: Partial<Record<KeyPurpose, ProvinceKeys>> = {};
    for (const purpose of KEY_PURPOSES) {
      const plan = plans[purpose];
      const all: Key[] = [];
      for (let g = 1; g <= plan.generations; g++) {
        // The construct id and the properties of a generation never change, whether it signs, is
        // staged, published or retired: adding, staging or retiring one leaves the others in place,
        // and no deploy updates a key that may be pending deletion.
        const key = new Key(this, `${pascal(purpose)}KeyG${g}`, {
          description: `Province ${p} ${purpose} signing key, generation ${g}`,
          keySpec: KeySpec.ECC_NIST_P256,
          keyUsage: KeyUsage.SIGN_VERIFY,
          removalPolicy: RemovalPolicy.RETAIN,
        });
        new Alias(this, `${pascal(purpose)}KeyG${g}Alias`, {
          aliasName: keyAliasName(p, purpose, g),
          targetKey: key,
          removalPolicy: RemovalPolicy.RETAIN,
        });
        all.push(key);
      }
      const generation = (g: number): Key => {
        const key = all[g - 1];
        if (!key) throw new Error(`no ${purpose} key generation ${g}`);
        return key;
      };
      const current = generation(plan.signing);
      new Alias(this, `${pascal(purpose)}KeyAlias`, {
        aliasName: keyAliasName(p, purpose),
        targetKey: current,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      keys[purpose] = {
        current,
        published: plan.published.map(generation),
        retired: plan.retired.map(generation),
        generations: all,
      };
    }
    return keys as Record<KeyPurpose, ProvinceKeys>;
  }

  /** Exactly what the catalog lists for the function, statement by statement. */
  private statementsFor(
    spec: FunctionSpec,
    logGroup: LogGroup,
    publishedKeyArns: string[],
  ): PolicyStatement[] {
    const statements = [
      new PolicyStatement({
        sid: 'OwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
      new PolicyStatement({
        sid: 'PublicKeys',
        actions: ['kms:GetPublicKey'],
        resources: [
          ...KEY_PURPOSES.map((k) => this.keys[k].current.keyArn),
          ...(spec.publishesKeys ? publishedKeyArns : []),
        ],
      }),
    ];
    if (spec.signsWith.length > 0) {
      statements.push(
        new PolicyStatement({
          sid: 'Sign',
          actions: ['kms:Sign'],
          resources: spec.signsWith.map((k) => this.keys[k].current.keyArn),
        }),
      );
    }
    for (const def of TABLES) {
      const access = spec.tables[def.kind];
      if (!access) continue;
      const table = this.tables[def.kind];
      statements.push(
        new PolicyStatement({
          sid: `Table${pascal(def.kind)}`,
          actions: tableActions(access),
          resources: [table.tableArn],
        }),
      );
      if (spec.queriesIndexes?.includes(def.kind)) {
        if (!def.indexes?.length)
          throw new Error(`${spec.name} queries indexes of ${def.kind}, which has none`);
        if (access === 'write') throw new Error(`${spec.name} queries ${def.kind} without read access`);
        statements.push(
          new PolicyStatement({
            sid: `Table${pascal(def.kind)}Indexes`,
            actions: ['dynamodb:Query'],
            resources: [`${table.tableArn}/index/*`],
          }),
        );
      }
    }
    statements.push(
      new PolicyStatement({
        sid: 'HolderHashKey',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.holderHashSecret.secretArn],
      }),
    );
    return statements;
  }

  private createApi(p: string, catalog: readonly FunctionSpec[], retention: number) {
    const api = new HttpApi(this, 'Api', {
      apiName: `elg-${p}`,
      description: `E-license gateway of province ${p}`,
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      logGroupName: `/aws/apigateway/elg-${p}`,
      retention,
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
    for (const spec of catalog) {
      const fn = this.functions.get(spec.name);
      if (!fn || spec.routes.length === 0) continue;
      const integration = new HttpLambdaIntegration(`${pascal(spec.name)}Integration`, fn, {
        payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
      });
      for (const route of spec.routes) {
        new HttpRoute(this, `Route ${route.replaceAll('/', '|')}`, {
          httpApi: api,
          routeKey: routeKeyOf(route),
          integration,
        });
      }
    }
    return { api, stage };
  }

  private createAlarms(p: string, ctx: ProvinceContext, catalog: readonly FunctionSpec[]): Topic {
    const topic = new Topic(this, 'Alarms', {
      topicName: alarmTopicName(p),
      displayName: `E-license gateway ${p} alarms`,
    });
    if (ctx.alarmEmail) topic.addSubscription(new EmailSubscription(ctx.alarmEmail));
    const action = new SnsAction(topic);
    const alarm = (
      id: string,
      name: string,
      metric: IMetric,
      description: string,
      options: { threshold?: number; periods?: number; missing?: TreatMissingData } = {},
    ) => {
      const a = new Alarm(this, id, {
        alarmName: name,
        alarmDescription: description,
        metric,
        threshold: options.threshold ?? 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.periods ?? 1,
        datapointsToAlarm: options.periods ?? 1,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    for (const spec of catalog) {
      const fn = this.functions.get(spec.name);
      if (!fn) continue;
      const id = pascal(spec.name);
      const name = functionName(p, spec.name);
      alarm(
        `${id}Errors`,
        `${name}-errors`,
        fn.metricErrors(fiveMinutes),
        `${name} failed in the last 5 minutes`,
      );
      alarm(
        `${id}Throttles`,
        `${name}-throttles`,
        fn.metricThrottles(fiveMinutes),
        `${name} was throttled in the last 5 minutes`,
      );
    }
    alarm(
      'Api5xx',
      `elg-${p}-api-5xx`,
      this.stage.metricServerError(fiveMinutes),
      `The gateway API of province ${p} answered 5xx in the last 5 minutes`,
    );
    alarm(
      'SequencerLag',
      `elg-${p}-audit-sequencer-lag`,
      new Metric({
        namespace: SEQUENCER_LAG_METRIC.namespace,
        metricName: SEQUENCER_LAG_METRIC.metricName,
        dimensionsMap: { Province: p },
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      `Audit events of province ${p} have waited more than ${SEQUENCER_LAG_METRIC.thresholdSeconds} s ` +
        'for the sequencer, or the sequencer reports nothing',
      {
        threshold: SEQUENCER_LAG_METRIC.thresholdSeconds,
        periods: SEQUENCER_LAG_METRIC.periods,
        // A silent sequencer is a problem too.
        missing: TreatMissingData.BREACHING,
      },
    );
    return topic;
  }
}

/** `GET /v1/x/{proxy+}` or `$default` as an HTTP API route key. */
export function routeKeyOf(route: string): HttpRouteKey {
  if (route === '$default') return HttpRouteKey.DEFAULT;
  const m = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/\S*)$/.exec(route);
  if (!m?.[1] || !m[2]) throw new Error(`not a route: ${route}`);
  return HttpRouteKey.with(m[2], HttpMethod[m[1] as keyof typeof HttpMethod]);
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
