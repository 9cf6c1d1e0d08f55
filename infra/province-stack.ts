/**
 * One province's gateway on AWS: the stack `elg-<province>` that each province deploys on its own
 * account. Every physical name carries the province code, so stacks of several provinces can
 * share an account (and a test App) without colliding.
 *
 * - DynamoDB: the tables of lib/store/tables.ts (`elg-<p>-<kind>`), on demand, with point-in-time
 *   recovery, deletion protection, TTL and every index the definition lists; kept on stack deletion.
 * - KMS: per purpose one SIGN_VERIFY key per generation (context `keyGenerations`), ECC_NIST_P256
 *   for credential, gateway and audit, ECC_NIST_EDWARDS25519 for witness, each kept in the stack
 *   under the same logical id and never deleted by a deploy. `alias/elg-<p>-<purpose>` names the signing generation: the newest, or the one
 *   before it while the newest is staged (context `stagedKeys`). `alias/elg-<p>-<purpose>-g<N>`
 *   names every generation. No function may sign with any other generation; the discovery
 *   function alone reads the public keys of the published ones (ELG_KMS_KEYS_PREVIOUS): earlier
 *   generations and a staged next one, but not those retired (context `retiredKeys`), which no
 *   function may read at all (infra/context.ts keyPlans).
 * - Secrets Manager: `elg/<p>/holder-hash-key`, 32 random bytes as 64 lowercase hex characters,
 *   generated at deploy time, never in the template; named (ELG_HOLDER_HASH_SECRET_ARN) only to
 *   the functions whose entry lists it.
 * - Lambda: one function per catalog entry (functions/catalog.ts), bundled by infra/bundle.ts; Node.js
 *   22 on ARM, X-Ray active, its own log group, and a role and an environment holding exactly what
 *   its entry lists and nothing else: kms:Sign and kms:GetPublicKey (and ELG_KMS_KEY_<PURPOSE>) on
 *   the signing keys of the purposes it signs with only, except discovery, which publishes the
 *   JWKS and so reads the public keys of every purpose (and of the published generations) and
 *   signs with none; item actions on its tables only (and ELG_TABLE_<KIND> for those only: the
 *   registry's only for the functions that load the trust registry); the holder-hash secret only
 *   for the functions whose entry lists it; the registry and identity-provider settings only for
 *   the functions that load the registry or take bearer tokens (lib/config.ts settingsOf); the
 *   report calendar (context `reportDueWorkingDays`, `publicHolidays`, `makeupWorkdays`, checked at
 *   synth) only for those that date error reports. No `*` resource but X-Ray's; /healthz probes
 *   storage with DescribeTable on the audit table.
 * - HTTP API: the catalog's routes on the `$default` stage (payload format 2.0), throttled, with
 *   access logs. The sequencer and the three delivery functions (agreements; reports and notices;
 *   review decisions and expiries) run every minute on EventBridge.
 * - Alarms to the SNS topic `elg-<p>-alarms`: errors and throttles of each function, 5xx of the
 *   API, the age of the oldest audit event the sequencer has not integrated, error reports open
 *   past their due date (`ReportsOverdue`, counted by every report-delivery round), a calling
 *   province's breaker tripping (`BreakerTrips`, from interop) and breakers left open
 *   (`BreakersOpen`, the gauge of every review-delivery run).
 *
 * One concept a file: infra/constructs/tables.ts, keys.ts, gateway-function.ts (the one way a
 * function is built, and the bind step that gives it a table, key or secret with its environment
 * variable and its grant together, from its catalog entry), http-api.ts and alarms.ts; every
 * physical name is infra/names.ts. Each builds directly in this stack, so logical ids stay put.
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
import { Annotations, CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { KeyPurpose } from '../contracts/keys.ts';
import { FUNCTIONS, type FunctionSpec } from '../functions/catalog.ts';
import type { TableKind } from '../lib/store/tables.ts';
import { ProvinceAlarms } from './constructs/alarms.ts';
import { bindCatalogEntry, GatewayFunction } from './constructs/gateway-function.ts';
import { createHttpApi } from './constructs/http-api.ts';
import { createKeys, type ProvinceKeys } from './constructs/keys.ts';
import { createTables } from './constructs/tables.ts';
import type { ProvinceContext } from './context.ts';
import { holderHashSecretName, KEY_PURPOSES, keyAliasName, pascal, stackName } from './names.ts';

export {
  alarmName,
  BREAKER_TRIPPED_ALARM,
  BREAKERS_OPEN_ALARM,
  REPORTS_OVERDUE_METRIC,
  SEQUENCER_LAG_METRIC,
} from './constructs/alarms.ts';
export { API_THROTTLE, routeKeyOf } from './constructs/http-api.ts';
export type { ProvinceKeys } from './constructs/keys.ts';
export { leadingKeysCondition, TABLE_ACTIONS, tableActions } from './constructs/tables.ts';
export {
  alarmTopicName,
  functionName,
  holderHashSecretName,
  keyAliasName,
  stackName,
} from './names.ts';

export interface ProvinceStackProps extends StackProps {
  context: ProvinceContext;
  /** Directory holding one bundle directory per function (the outDir of bundleFunctions). */
  assetDir: string;
  /** The function catalog; the default is functions/catalog.ts. */
  functions?: readonly FunctionSpec[];
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

    this.tables = createTables(this, p);
    this.keys = createKeys(this, ctx);
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
    const alarms = new ProvinceAlarms(this, p, ctx.alarmEmail);
    this.alarmTopic = alarms.topic;

    // Settings only; every table, key and secret comes with its grant from the catalog entry.
    const settings = {
      ELG_PROVINCE_ID: p,
      ELG_PROVINCE_NAME: ctx.provinceName,
      ELG_REGISTRY_URL: ctx.registryUrl,
      ELG_REGISTRY_ROOT_JWK: ctx.registryRootJwk,
      ELG_IDP_ISSUER: ctx.idpIssuer,
      ELG_IDP_AUDIENCE: ctx.idpAudience,
      ELG_IDP_JWKS_URL: ctx.idpJwksUrl,
      // The report calendar (docs/protocol.md §17.3), checked at synth (infra/context.ts); an
      // empty list is left unset, which the functions read as none.
      ELG_REPORT_DUE_WORKING_DAYS: String(ctx.reportDueWorkingDays),
      ...(ctx.publicHolidays.length > 0 ? { ELG_PUBLIC_HOLIDAYS: ctx.publicHolidays.join(',') } : {}),
      ...(ctx.makeupWorkdays.length > 0 ? { ELG_MAKEUP_WORKDAYS: ctx.makeupWorkdays.join(',') } : {}),
    };
    if (ctx.publicHolidays.length === 0 && catalog.some((f) => f.reportCalendar)) {
      Annotations.of(this).addWarningV2(
        'elg:noPublicHolidays',
        'context publicHolidays is not given: error report deadlines count every Monday to Friday as a ' +
          "working day (docs/protocol.md §17.3); list the year's holidays, e.g. -c publicHolidays=2025-10-01,2025-10-02",
      );
    }
    const resources = { tables: this.tables, keys: this.keys, holderHashSecret: this.holderHashSecret };
    const functions = catalog.map((spec) =>
      bindCatalogEntry(
        new GatewayFunction(this, {
          province: p,
          spec,
          assetDir,
          logRetentionDays: ctx.logRetentionDays,
          settings,
          alarms,
        }),
        resources,
      ),
    );
    this.functions = new Map(functions.map((f) => [f.spec.name, f.fn]));

    ({ api: this.api, stage: this.stage } = createHttpApi(this, p, functions, ctx.logRetentionDays));
    alarms.apiServerErrors(p, this.stage);
    alarms.sequencerLag(p);
    alarms.reportsOverdue(p);
    alarms.breakerTripped(p);
    alarms.breakersOpen(p);
    alarms.splitView(p);
    alarms.logUnwitnessed(p);

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
}
