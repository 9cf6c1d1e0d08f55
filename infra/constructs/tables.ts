import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { TableAccess } from '../../functions/catalog.ts';
import { projectionOf, TABLES, type TableKind, tableNames } from '../../lib/store/tables.ts';
import { KEYED_ACTIONS, type KeyedAction, type LeadingKeys } from '../../lib/wiring/scope.ts';
import { pascal } from '../names.ts';

/**
 * The province's DynamoDB tables, one per definition of lib/store/tables.ts (`elg-<p>-<kind>`):
 * on demand, point-in-time recovery, deletion protection, TTL and every index the definition
 * lists; kept on stack deletion. Built directly in `scope` (construct id `<Kind>Table`), so the
 * logical ids are those of the stack itself. What a function may do with a table is an access of
 * the catalog (functions/catalog.ts) turned into item actions here; GatewayFunction.bindTable grants
 * them together with the table's name.
 */
export type ProvinceTables = Readonly<Record<TableKind, Table>>;

/** The one item action of each thing a `keyed` access does (lib/wiring/scope.ts KeyedAction). */
export const KEYED_ITEM_ACTIONS: Readonly<Record<KeyedAction, string>> = {
  get: 'dynamodb:GetItem',
  query: 'dynamodb:Query',
  put: 'dynamodb:PutItem',
  update: 'dynamodb:UpdateItem',
  delete: 'dynamodb:DeleteItem',
  check: 'dynamodb:ConditionCheckItem',
};

/**
 * DynamoDB item actions by access; the Transact* APIs are authorized by these, item by item
 * (a transaction's Put by PutItem, its Delete by DeleteItem, its ConditionCheck by
 * ConditionCheckItem, and so on; a Put's or a Delete's own condition by nothing more).
 */
export const TABLE_ACTIONS: Readonly<
  Record<'describe' | 'getput' | 'keyed' | 'read' | 'write', readonly string[]>
> = {
  describe: ['dynamodb:DescribeTable'],
  getput: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  // Never granted together: each action alone, on the partitions the catalog entry lists for it
  // (keyedGrants).
  keyed: KEYED_ACTIONS.map((a) => KEYED_ITEM_ACTIONS[a]),
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

/** The IAM condition of a grant, as a policy statement's `Condition` holds it. */
export type GrantCondition = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/**
 * The condition of one action of a `keyed` grant: every partition key the request touches
 * matches one of `leadingKeys` (IAM StringLike patterns). GetItem, PutItem, UpdateItem,
 * DeleteItem and ConditionCheckItem always name their item's partition key, and a Query of the
 * table the one partition it reads, so ForAllValues never holds vacuously for them.
 */
export function leadingKeysCondition(leadingKeys: readonly string[]): GrantCondition {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } };
}

/** One statement of a `keyed` grant: one action, on the partitions listed for it. */
export interface KeyedGrant {
  use: KeyedAction;
  action: string;
  condition: GrantCondition;
}

/**
 * A `keyed` table's grants: for each action its leading keys list partitions for (in the order
 * of KEYED_ACTIONS: get, query, put, update, delete, check), that action alone under the condition
 * of its own partitions; none for an action that lists none. So no action holds on a partition
 * listed for another only (PutItem never on a `check` partition, DeleteItem never on a `put` one).
 */
export function keyedGrants(leadingKeys: LeadingKeys): KeyedGrant[] {
  return KEYED_ACTIONS.flatMap((use) => {
    const keys = leadingKeys[use] ?? [];
    return keys.length === 0
      ? []
      : [{ use, action: KEYED_ITEM_ACTIONS[use], condition: leadingKeysCondition(keys) }];
  });
}

export function createTables(scope: Construct, province: string): ProvinceTables {
  const names = tableNames(`elg-${province}`);
  const tables: Partial<Record<TableKind, Table>> = {};
  for (const def of TABLES) {
    const table = new Table(scope, `${pascal(def.kind)}Table`, {
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
    // An index's keys and projection cannot change in place: see ensureTables (lib/store/dynamo.ts).
    for (const index of def.indexes ?? []) {
      const projection = projectionOf(def, index);
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[projection.ProjectionType ?? 'ALL'],
        ...(projection.NonKeyAttributes ? { nonKeyAttributes: projection.NonKeyAttributes } : {}),
      });
    }
    tables[def.kind] = table;
  }
  return tables as ProvinceTables;
}
