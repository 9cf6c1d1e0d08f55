import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Code, Function as LambdaFn, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { KeyPurpose } from '../../contracts/keys.ts';
import type { FunctionSpec, TableAccess } from '../../functions/catalog.ts';
import { keyPurposesOf, settingsOf } from '../../lib/config.ts';
import { TABLES, type TableKind, tableEnvName } from '../../lib/store/tables.ts';
import { KEYED_ACTIONS, type KeyedAction, type LeadingKeys, SecretKind } from '../../lib/wiring/scope.ts';
import { functionName, HOLDER_HASH_SECRET_ENV, keyEnvName, PUBLISHED_KEYS_ENV, pascal } from '../names.ts';
import { FIVE_MINUTES_SUM, type ProvinceAlarms } from './alarms.ts';
import { type ProvinceKeyring, publishedKeys } from './keys.ts';
import { type GrantCondition, keyedGrants, type ProvinceTables, tableActions } from './tables.ts';

/**
 * One Lambda function of the catalog (functions/catalog.ts), built the one way every gateway
 * function is: Node.js 22 on ARM, the bundle infra/bundle.ts made for it, X-Ray active, its own
 * log group (kept), errors and throttles alarms, a schedule when the catalog gives one, and a role
 * whose inline policy starts with its own log streams and holds nothing else until bound.
 *
 * A resource reaches the function only through a bind call, which sets the environment variable
 * that names it and adds the grant on it in the same step (bindTable, bindKey, bindPublishedKeys,
 * bindSecret); bindCatalogEntry makes exactly the calls the catalog entry asks for. So a function
 * cannot name a key it may not read, nor hold a grant on a resource it is not told about.
 *
 * Not a construct of its own: its resources are built in `scope` under `<Name>Logs`, `<Name>Role`,
 * `<Name>Function`, `<Name>Schedule`, `<Name>Errors` and `<Name>Throttles`, so their logical ids
 * are those the stack has always had and a deploy replaces nothing.
 */
export interface GatewayFunctionProps {
  province: string;
  spec: FunctionSpec;
  /** Directory holding one bundle directory per function (the outDir of bundleFunctions). */
  assetDir: string;
  logRetentionDays: number;
  /** Settings that are neither resources nor permissions (province, registry, identity provider). */
  settings: Readonly<Record<string, string>>;
  alarms: ProvinceAlarms;
}

/** How a function uses a signing key: it signs with it, or only publishes its public key (discovery). */
export type KeyUse = 'verify' | 'sign';

export class GatewayFunction {
  readonly spec: FunctionSpec;
  /** `elg-<p>-<name>`. */
  readonly name: string;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly fn: LambdaFn;
  private readonly policy = new PolicyDocument();
  private readonly statements = new Map<string, PolicyStatement>();

  constructor(scope: Construct, props: GatewayFunctionProps) {
    const { spec } = props;
    const id = pascal(spec.name);
    this.spec = spec;
    this.name = functionName(props.province, spec.name);
    this.logGroup = new LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${this.name}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.grant('OwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], [this.logGroup.logGroupArn]);
    this.role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Function ${this.name}: only what the function catalog lists for ${spec.name}`,
      inlinePolicies: { access: this.policy },
    });
    this.fn = new LambdaFn(scope, `${id}Function`, {
      functionName: this.name,
      description: spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      code: Code.fromAsset(join(props.assetDir, spec.name)),
      handler: 'index.handler',
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      // Only the settings the function reads (lib/config.ts settingsOf): a function that takes no
      // bearer tokens is not told where the identity provider is, nor one that loads no registry its URL.
      environment: settingsFor(spec, props.settings),
      ...(spec.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: spec.reservedConcurrency }),
      // A scheduled run that failed or was throttled is not retried: the next tick runs anyway.
      ...(spec.scheduleMinutes === undefined ? {} : { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
    });
    if (spec.scheduleMinutes !== undefined) {
      new Rule(scope, `${id}Schedule`, {
        ruleName: `${this.name}-schedule`,
        description: `Runs ${this.name} every ${spec.scheduleMinutes} minute(s)`,
        schedule: Schedule.rate(Duration.minutes(spec.scheduleMinutes)),
        targets: [new LambdaFunction(this.fn, { retryAttempts: 0 })],
      });
    }
    props.alarms.alarm(
      `${id}Errors`,
      `${this.name}-errors`,
      this.fn.metricErrors(FIVE_MINUTES_SUM),
      `${this.name} failed in the last 5 minutes`,
    );
    props.alarms.alarm(
      `${id}Throttles`,
      `${this.name}-throttles`,
      this.fn.metricThrottles(FIVE_MINUTES_SUM),
      `${this.name} was throttled in the last 5 minutes`,
    );
  }

  /**
   * ELG_TABLE_<KIND> and the table's item actions for `access` (and Query on its indexes when
   * `queriesIndexes`). A `keyed` access takes `leadingKeys` and is granted action by action, one
   * statement each, `Table<Kind><Action>`: `Get` GetItem on the `get` partitions only, `Query`
   * Query of the table on the `query` ones only, and so on to `Check` ConditionCheckItem on the
   * `check` ones only, each under its own dynamodb:LeadingKeys condition; it queries no index, and
   * no other access takes leading keys. A table the catalog entry does not list is neither named
   * nor granted.
   */
  bindTable(
    kind: TableKind,
    table: Table,
    access: TableAccess,
    options: { queriesIndexes?: readonly string[]; leadingKeys?: LeadingKeys } = {},
  ): this {
    this.fn.addEnvironment(tableEnvName(kind), table.tableName);
    const indexes = options.queriesIndexes ?? [];
    const defined = new Set((TABLES.find((t) => t.kind === kind)?.indexes ?? []).map((i) => i.name));
    for (const index of indexes) {
      if (!defined.has(index))
        throw new Error(`${this.spec.name} queries ${kind}/${index}, which is no index`);
    }
    if (indexes.length > 0 && access !== 'read' && access !== 'readwrite')
      throw new Error(`${this.spec.name} queries ${kind} without read access`);
    const leadingKeys = options.leadingKeys ?? {};
    if (Array.isArray(leadingKeys))
      throw new Error(
        `${this.spec.name} lists leadingKeys of ${kind} for no action (${KEYED_ACTIONS.join(', ')})`,
      );
    for (const use of Object.keys(leadingKeys)) {
      if (!KEYED_ACTIONS.includes(use as KeyedAction))
        throw new Error(`${this.spec.name} lists leadingKeys of ${kind} for ${use}, which keyed does not do`);
    }
    const listed = Object.values(leadingKeys).some((keys) => (keys ?? []).length > 0);
    if (access === 'keyed' && !listed)
      throw new Error(`${this.spec.name} has keyed access to ${kind} without leadingKeys`);
    if (access !== 'keyed' && listed)
      throw new Error(`${this.spec.name} lists leadingKeys of ${kind}, whose access ${access} takes none`);
    if (access === 'keyed') {
      for (const g of keyedGrants(leadingKeys))
        this.grant(`Table${pascal(kind)}${pascal(g.use)}`, [g.action], [table.tableArn], g.condition);
    } else {
      this.grant(`Table${pascal(kind)}`, tableActions(access), [table.tableArn]);
    }
    if (indexes.length > 0) {
      this.grant(
        `Table${pascal(kind)}Indexes`,
        ['dynamodb:Query'],
        indexes.map((i) => `${table.tableArn}/index/${i}`),
      );
    }
    return this;
  }

  /** ELG_KMS_KEY_<PURPOSE> and kms:GetPublicKey on the key; kms:Sign too when it signs. */
  bindKey(purpose: KeyPurpose, key: IKey, use: KeyUse): this {
    this.fn.addEnvironment(keyEnvName(purpose), key.keyArn);
    this.grant('PublicKeys', ['kms:GetPublicKey'], [key.keyArn]);
    if (use === 'sign') this.grant('Sign', ['kms:Sign'], [key.keyArn]);
    return this;
  }

  /**
   * ELG_KMS_KEYS_PREVIOUS as `purpose=keyArn` entries (lib/config.ts; the purpose cannot be read
   * from a KMS key) and kms:GetPublicKey on each: the generations published but not signing.
   */
  bindPublishedKeys(keys: readonly { purpose: KeyPurpose; key: IKey }[]): this {
    if (keys.length === 0) return this;
    this.fn.addEnvironment(
      PUBLISHED_KEYS_ENV,
      keys.map(({ purpose, key }) => `${purpose}=${key.keyArn}`).join(','),
    );
    this.grant(
      'PublicKeys',
      ['kms:GetPublicKey'],
      keys.map(({ key }) => key.keyArn),
    );
    return this;
  }

  /** The secret's ARN in `variable` and secretsmanager:GetSecretValue on it (statement `sid`). */
  bindSecret(variable: string, sid: string, secret: ISecret): this {
    this.fn.addEnvironment(variable, secret.secretArn);
    this.grant(sid, ['secretsmanager:GetSecretValue'], [secret.secretArn]);
    return this;
  }

  /**
   * One statement per sid, in the order first granted; a later grant adds its resources. A
   * condition, when given, holds for the whole statement.
   */
  private grant(
    sid: string,
    actions: readonly string[],
    resources: readonly string[],
    condition?: GrantCondition,
  ): void {
    const existing = this.statements.get(sid);
    if (existing) {
      if (
        existing.actions.join() !== actions.join() ||
        JSON.stringify(existing.conditions) !== JSON.stringify(condition ?? {})
      )
        throw new Error(`statement ${sid} granted twice differently`);
      existing.addResources(...resources);
      return;
    }
    const statement = new PolicyStatement({
      sid,
      actions: [...actions],
      resources: [...resources],
      ...(condition ? { conditions: structuredClone(condition) as Record<string, unknown> } : {}),
    });
    this.statements.set(sid, statement);
    this.policy.addStatements(statement);
  }
}

/** What the catalog's entries bind to: the province's tables, keys and holder-hash secret. */
export interface GatewayResources {
  tables: ProvinceTables;
  keys: ProvinceKeyring;
  holderHashSecret: ISecret;
}

/**
 * Exactly what the catalog entry lists, one bind call per resource, and nothing else: the keys it
 * signs with (all current keys, signing with none, for the function that publishes them, and the
 * published generations besides), its tables with their access, the holder-hash secret when it
 * reads it. The same scope decides what the function's code may be handed (lib/wiring), so its
 * environment, its grants and its wiring agree.
 */
export function bindCatalogEntry(fn: GatewayFunction, r: GatewayResources): GatewayFunction {
  const { spec } = fn;
  for (const purpose of keyPurposesOf(spec)) {
    fn.bindKey(purpose, r.keys[purpose].current, spec.signsWith.includes(purpose) ? 'sign' : 'verify');
  }
  if (spec.publishesKeys) fn.bindPublishedKeys(publishedKeys(r.keys));
  for (const kind of Object.keys(spec.leadingKeys ?? {})) {
    if (spec.tables[kind as TableKind] === undefined)
      throw new Error(`${spec.name} lists leadingKeys of ${kind}, a table its entry does not list`);
  }
  for (const def of TABLES) {
    const access = spec.tables[def.kind];
    if (access === undefined) continue;
    fn.bindTable(def.kind, r.tables[def.kind], access, {
      queriesIndexes: spec.queriesIndexes?.[def.kind] ?? [],
      leadingKeys: spec.leadingKeys?.[def.kind] ?? {},
    });
  }
  if ((spec.secrets ?? []).includes(SecretKind.holderHash)) {
    fn.bindSecret(HOLDER_HASH_SECRET_ENV, 'HolderHashKey', r.holderHashSecret);
  }
  return fn;
}

/** The settings among `settings` that a function with this entry reads. */
function settingsFor(spec: FunctionSpec, settings: Readonly<Record<string, string>>): Record<string, string> {
  const read = new Set<string>(settingsOf(spec));
  return Object.fromEntries(Object.entries(settings).filter(([name]) => read.has(name)));
}
