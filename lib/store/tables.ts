import type {
  AttributeDefinition,
  CreateTableCommandInput,
  KeySchemaElement,
} from '@aws-sdk/client-dynamodb';

/**
 * The province's DynamoDB tables. One definition here serves the local federation (created on
 * DynamoDB Local at start) and the CDK stack.
 */
export const TableKind = {
  licenses: 'licenses',
  audit: 'audit',
  nonces: 'nonces',
  agreements: 'agreements',
} as const;
export type TableKind = (typeof TableKind)[keyof typeof TableKind];

export type TableNames = Readonly<Record<TableKind, string>>;

export function tableNames(prefix: string): TableNames {
  return {
    licenses: `${prefix}-licenses`,
    audit: `${prefix}-audit`,
    nonces: `${prefix}-nonces`,
    agreements: `${prefix}-agreements`,
  };
}

export interface TableDefinition {
  kind: TableKind;
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, where DynamoDB TTL applies. */
  ttlAttribute?: string;
}

export const TABLES: readonly TableDefinition[] = [
  /** License versions, license heads, serial counters and idempotency records. */
  { kind: 'licenses', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  /** Audit events, written with the change they record. */
  { kind: 'audit', partitionKey: 'eventId' },
  /** Single-use `jti` of inbound signed calls, kept past the 300 s window and then expired. */
  { kind: 'nonces', partitionKey: 'jti', ttlAttribute: 'ttl' },
  /** Agreements, their signatures and withdrawals, and the outbox of pending deliveries. */
  { kind: 'agreements', partitionKey: 'pk', sortKey: 'sk' },
];

export function createTableInput(def: TableDefinition, name: string): CreateTableCommandInput {
  const attrs: AttributeDefinition[] = [{ AttributeName: def.partitionKey, AttributeType: 'S' }];
  const keys: KeySchemaElement[] = [{ AttributeName: def.partitionKey, KeyType: 'HASH' }];
  if (def.sortKey) {
    attrs.push({ AttributeName: def.sortKey, AttributeType: 'S' });
    keys.push({ AttributeName: def.sortKey, KeyType: 'RANGE' });
  }
  return {
    TableName: name,
    AttributeDefinitions: attrs,
    KeySchema: keys,
    BillingMode: 'PAY_PER_REQUEST',
  };
}
