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
  log: 'log',
  registry: 'registry',
} as const;
export type TableKind = (typeof TableKind)[keyof typeof TableKind];

export type TableNames = Readonly<Record<TableKind, string>>;

export function tableNames(prefix: string): TableNames {
  return {
    licenses: `${prefix}-licenses`,
    audit: `${prefix}-audit`,
    nonces: `${prefix}-nonces`,
    agreements: `${prefix}-agreements`,
    log: `${prefix}-log`,
    registry: `${prefix}-registry`,
  };
}

/** The environment variable naming a table to a deployed function: `ELG_TABLE_<KIND>`. */
export function tableEnvName(kind: TableKind): `ELG_TABLE_${Uppercase<TableKind>}` {
  return `ELG_TABLE_${kind.toUpperCase() as Uppercase<TableKind>}`;
}

/** Every table's environment variable with its name, as the stack sets them. */
export function tableEnvironment(names: TableNames): Record<string, string> {
  return Object.fromEntries(Object.values(TableKind).map((kind) => [tableEnvName(kind), names[kind]]));
}

export interface TableDefinition {
  kind: TableKind;
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, where DynamoDB TTL applies. */
  ttlAttribute?: string;
  /** Global secondary indexes (all projecting every attribute); sparse when the key may be absent. */
  indexes?: readonly IndexDefinition[];
}

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
}

/**
 * Audit event indexes. Every sort key is the event id, a ULID, so each index is in time order and
 * a time range is a key range. `pending` is sparse and sharded: events wait there, spread over
 * PENDING_SHARDS partitions so writers never contend on one, until the sequencer integrates them.
 */
export const AuditIndex = {
  pending: 'pending',
  byTrace: 'byTrace',
  byIdentifier: 'byIdentifier',
  byHolder: 'byHolder',
  byPeer: 'byPeer',
  byAction: 'byAction',
  byDay: 'byDay',
} as const;

export const PENDING_SHARDS = 8;

export const TABLES: readonly TableDefinition[] = [
  /** License versions, license heads, serial counters and idempotency records. */
  { kind: 'licenses', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  /** Audit events, written with the change they record. */
  {
    kind: 'audit',
    partitionKey: 'eventId',
    indexes: [
      { name: AuditIndex.pending, partitionKey: 'pendingShard', sortKey: 'eventId' },
      { name: AuditIndex.byTrace, partitionKey: 'traceId', sortKey: 'eventId' },
      { name: AuditIndex.byIdentifier, partitionKey: 'identifier', sortKey: 'eventId' },
      { name: AuditIndex.byHolder, partitionKey: 'holderHash', sortKey: 'eventId' },
      { name: AuditIndex.byPeer, partitionKey: 'peer', sortKey: 'eventId' },
      { name: AuditIndex.byAction, partitionKey: 'action', sortKey: 'eventId' },
      { name: AuditIndex.byDay, partitionKey: 'day', sortKey: 'eventId' },
    ],
  },
  /** Single-use `jti` of inbound signed calls, kept past the 300 s window and then expired. */
  { kind: 'nonces', partitionKey: 'jti', ttlAttribute: 'ttl' },
  /** Agreements, their signatures and withdrawals, and the outbox of pending deliveries. */
  { kind: 'agreements', partitionKey: 'pk', sortKey: 'sk' },
  /** The province's Merkle log over its audit events: leaves, tree nodes, checkpoints, head. */
  { kind: 'log', partitionKey: 'pk', sortKey: 'sk' },
  /**
   * The last good copy of the national trust registry (one item), so functions can start while
   * the registry URL is down.
   */
  { kind: 'registry', partitionKey: 'pk' },
];

export function createTableInput(def: TableDefinition, name: string): CreateTableCommandInput {
  const names = new Set([def.partitionKey, ...(def.sortKey ? [def.sortKey] : [])]);
  for (const i of def.indexes ?? []) names.add(i.partitionKey).add(i.sortKey);
  const attrs: AttributeDefinition[] = [...names].map((n) => ({ AttributeName: n, AttributeType: 'S' }));
  const keys: KeySchemaElement[] = [{ AttributeName: def.partitionKey, KeyType: 'HASH' }];
  if (def.sortKey) keys.push({ AttributeName: def.sortKey, KeyType: 'RANGE' });
  return {
    TableName: name,
    AttributeDefinitions: attrs,
    KeySchema: keys,
    BillingMode: 'PAY_PER_REQUEST',
    ...(def.indexes?.length
      ? {
          GlobalSecondaryIndexes: def.indexes.map((i) => ({
            IndexName: i.name,
            KeySchema: [
              { AttributeName: i.partitionKey, KeyType: 'HASH' },
              { AttributeName: i.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }
      : {}),
  };
}
