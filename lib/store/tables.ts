import { createHash } from 'node:crypto';
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  KeySchemaElement,
  Projection,
} from '@aws-sdk/client-dynamodb';
import { AuditAction } from '../../contracts/audit.ts';
import { EVENT_FILTERS } from '../audit/search.ts';

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
  reports: 'reports',
  reviews: 'reviews',
  witness: 'witness',
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
    reports: `${prefix}-reports`,
    reviews: `${prefix}-reviews`,
    witness: `${prefix}-witness`,
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
  /** Global secondary indexes; sparse when the key may be absent. */
  indexes?: readonly IndexDefinition[];
}

/**
 * What an index holds beside its keys and the table's key: nothing (`KEYS_ONLY`), the attributes
 * named (`INCLUDE`, the keys left out of the list DynamoDB is given) or every attribute (`ALL`).
 * An item is written to an index again whenever an attribute it projects changes, so an index
 * projects no more than its queries read.
 */
export type IndexProjection =
  | { type: 'KEYS_ONLY' }
  | { type: 'INCLUDE'; attributes: readonly string[] }
  | { type: 'ALL' };

/**
 * How many values an index's partition key takes, which bounds the write rate of its hottest
 * partition (DynamoDB allows about 1,000 WCU/s per partition):
 * - `per-event`: about one value per call (a trace id), a handful of items each;
 * - `per-license`, `per-holder`: one value per license or holder, millions of them;
 * - `sharded`: a key of few values a day (an action, a peer, a day), spread over `shards` values
 *   `<value>#<n>`, n derived from the event id (`searchShard`); `hottestShare` is the share of a
 *   province's events that one value of `of` can take at most (1 for a day: every event). Without
 *   `of` the key is the shard alone (`pending`: `P<n>`, n random).
 */
export type KeyCardinality =
  | { class: 'per-event' | 'per-license' | 'per-holder' }
  | { class: 'sharded'; shards: number; of?: string; hottestShare: number };

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  projection: IndexProjection;
  cardinality: KeyCardinality;
  /** Index item writes one event costs over its life (its put; a key set or removed later). */
  writesPerEvent: number;
}

/**
 * Audit event indexes. Every sort key is the event id, a ULID, so each index is in time order and
 * a time range is a key range. `pending` is sparse and sharded: events wait there, spread over
 * PENDING_SHARDS partitions so writers never contend on one, until the sequencer integrates them;
 * it holds keys only (the sequencer reads ids, then the items strongly consistently). The search
 * indexes hold the attributes a search filters on and nothing else: a search reads the page's
 * events from the table. `byPeer`, `byAction` and `byDay` key on few values a day, so each is
 * sharded over SEARCH_SHARDS partitions and a search reads every shard and merges by event id.
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

/** The indexes an auditor's search walks (lib/store/audit-query.ts): every one but `pending`. */
export const SEARCH_INDEXES: readonly string[] = [
  AuditIndex.byTrace,
  AuditIndex.byIdentifier,
  AuditIndex.byHolder,
  AuditIndex.byPeer,
  AuditIndex.byAction,
  AuditIndex.byDay,
];

export const PENDING_SHARDS = 8;

/**
 * The actions of a verification, the bulk of a province's events (one per side of each call).
 * They carry no `dayShard`: the `byAction` partitions of each already hold them in time order, so
 * a search by day reads them there, and each verification event costs one index write less (2
 * WCU per cross-province verification, 2,000 WCU/s at the documented rate) for 32 more index
 * queries in each round of a day-by-day walk (docs/protocol.md §9.4).
 */
export const DAY_BY_ACTION: readonly AuditAction[] = [AuditAction.verify, AuditAction.interopVerify];

/**
 * License table indexes. `byHolder` is sparse: only a license's head carries `holderHash` (the
 * keyed hash of its holder), so it lists each license once, by license key, with the current
 * version; a holder's page reads the heads and versions it names from the table.
 */
export const LicenseIndex = { byHolder: 'byHolder' } as const;

/**
 * Shards of each low-cardinality search key. At the documented rate (NATIONAL_SCALE) the hottest
 * key, a day, takes every event of a province: 1 event per verification on the calling side, so
 * 1,000 index writes/s of 1 WCU, 62.5 WCU/s per shard, a sixteenth of a partition's limit. 16
 * leaves that headroom for growth and bursts while a search pays 16 queries per round (within its
 * read budget of 40); 8 shards would run at an eighth of the limit, 32 would double every search's
 * reads.
 */
export const SEARCH_SHARDS = 16;

/**
 * The rate docs/protocol.md sizes the audit indexes for: 1,000 cross-province verifications a
 * second in one province, 1 event each on the calling side (`verify`, naming the peer and recording
 * the call to it) and 1 on the answering side (`interop.verify`). An index item of the search
 * indexes (keys and the filter attributes, under 1 KB) costs 1 WCU.
 */
export const NATIONAL_SCALE = {
  verificationsPerSecond: 1000,
  eventsPerVerificationPerSide: 1,
  wcuPerIndexItem: 1,
  partitionWcuPerSecond: 1000,
} as const;

/**
 * The search shard of an event: the first byte of SHA-256 of its id, mod SEARCH_SHARDS. The same
 * for every retry of a write, and even over the shards whatever the ids look like.
 */
export function searchShard(eventId: string): number {
  return (createHash('sha256').update(eventId).digest()[0] ?? 0) % SEARCH_SHARDS;
}

/** The value of a sharded key: `<value>#<shard>`. */
export function shardValue(value: string, shard: number): string {
  return `${value}#${shard}`;
}

/** What a search's FilterExpression may name: each search index projects all of it. */
const SEARCH_PROJECTION: IndexProjection = { type: 'INCLUDE', attributes: EVENT_FILTERS };
const sharded = (of: string, hottestShare: number): KeyCardinality => ({
  class: 'sharded',
  shards: SEARCH_SHARDS,
  of,
  hottestShare,
});

export const TABLES: readonly TableDefinition[] = [
  /** License versions, license heads, serial counters and idempotency records. */
  {
    kind: 'licenses',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'ttl',
    indexes: [
      {
        name: LicenseIndex.byHolder,
        partitionKey: 'holderHash',
        sortKey: 'pk',
        projection: { type: 'INCLUDE', attributes: ['currentVersion'] },
        cardinality: { class: 'per-holder' },
        // Written when a license is issued; a new version changes `currentVersion` once.
        writesPerEvent: 1,
      },
    ],
  },
  /** Audit events, written with the change they record. */
  {
    kind: 'audit',
    partitionKey: 'eventId',
    indexes: [
      {
        name: AuditIndex.pending,
        partitionKey: 'pendingShard',
        sortKey: 'eventId',
        projection: { type: 'KEYS_ONLY' },
        cardinality: { class: 'sharded', shards: PENDING_SHARDS, hottestShare: 1 },
        // Put into it, then taken out of it by the sequencer's mark.
        writesPerEvent: 2,
      },
      {
        name: AuditIndex.byTrace,
        partitionKey: 'traceId',
        sortKey: 'eventId',
        projection: SEARCH_PROJECTION,
        cardinality: { class: 'per-event' },
        writesPerEvent: 1,
      },
      {
        name: AuditIndex.byIdentifier,
        partitionKey: 'identifier',
        sortKey: 'eventId',
        projection: SEARCH_PROJECTION,
        cardinality: { class: 'per-license' },
        writesPerEvent: 1,
      },
      {
        name: AuditIndex.byHolder,
        partitionKey: 'holderHash',
        sortKey: 'eventId',
        projection: SEARCH_PROJECTION,
        cardinality: { class: 'per-holder' },
        writesPerEvent: 1,
      },
      {
        name: AuditIndex.byPeer,
        partitionKey: 'peerShard',
        sortKey: 'eventId',
        projection: SEARCH_PROJECTION,
        // Every event of a verification with one peer names that peer.
        cardinality: sharded('peer', 1),
        writesPerEvent: 1,
      },
      {
        name: AuditIndex.byAction,
        partitionKey: 'actionShard',
        sortKey: 'eventId',
        projection: SEARCH_PROJECTION,
        // `verify` is a verification's one event on the calling side.
        cardinality: sharded('action', 1),
        writesPerEvent: 1,
      },
      {
        name: AuditIndex.byDay,
        partitionKey: 'dayShard',
        sortKey: 'eventId',
        projection: SEARCH_PROJECTION,
        // Every event but a verification's (DAY_BY_ACTION): bounded here as if every event of the
        // documented rate were of another action.
        cardinality: sharded('day', 1),
        writesPerEvent: 1,
      },
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
  /**
   * Error reports at their issuer and at their reporter, change fan-outs and notices, and the
   * outbox of their signed deliveries (docs/protocol.md §17); no index: every listing is a
   * partition of its own.
   */
  { kind: 'reports', partitionKey: 'pk', sortKey: 'sk' },
  /**
   * The review policy, held requests and their decisions, breakers and their minute counters
   * (expired by TTL), waits at the calling side, and the outbox of decisions (§18.6).
   */
  { kind: 'reviews', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  /**
   * What this province last cosigned for each log it witnesses (compare-and-set), and the
   * split-view evidence it kept with its listing partition (docs/protocol.md §19); no index.
   */
  { kind: 'witness', partitionKey: 'pk', sortKey: 'sk' },
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
            Projection: projectionOf(def, i),
          })),
        }
      : {}),
  };
}

/**
 * The index's projection as DynamoDB takes it. The keys of the table and of the index are always
 * projected and are left out of an INCLUDE list.
 */
export function projectionOf(def: TableDefinition, index: IndexDefinition): Projection {
  if (index.projection.type !== 'INCLUDE') return { ProjectionType: index.projection.type };
  const keys = new Set([def.partitionKey, def.sortKey, index.partitionKey, index.sortKey]);
  return {
    ProjectionType: 'INCLUDE',
    NonKeyAttributes: index.projection.attributes.filter((a) => !keys.has(a)),
  };
}

/** Every attribute an index item carries: the keys of the table and the index, and its projection. */
export function attributesOf(def: TableDefinition, index: IndexDefinition): 'ALL' | string[] {
  const projection = projectionOf(def, index);
  if (projection.ProjectionType === 'ALL') return 'ALL';
  const keys = [def.partitionKey, def.sortKey, index.partitionKey, index.sortKey];
  return [...new Set([...keys, ...(projection.NonKeyAttributes ?? [])].filter((a) => a !== undefined))];
}

/** The audit table's definition. */
export const AUDIT_TABLE: TableDefinition = (() => {
  const def = TABLES.find((t) => t.kind === TableKind.audit);
  if (!def) throw new Error('no audit table definition');
  return def;
})();

/**
 * The storage attributes an event item carries for the sharded indexes: `<value>#<shard>` of each
 * sharded key whose value the event has (the day of its time for `day`, but for the actions of
 * DAY_BY_ACTION, which a search by day finds through `byAction`).
 */
export function shardAttributes(event: {
  eventId: string;
  time: string;
  [name: string]: unknown;
}): Record<string, string> {
  const shard = searchShard(event.eventId);
  const out: Record<string, string> = {};
  for (const index of AUDIT_TABLE.indexes ?? []) {
    const c = index.cardinality;
    if (c.class !== 'sharded' || c.of === undefined) continue;
    if (c.of === 'day' && DAY_BY_ACTION.includes(event.action as AuditAction)) continue;
    const value = c.of === 'day' ? event.time.slice(0, 10) : event[c.of];
    if (typeof value === 'string') out[index.partitionKey] = shardValue(value, shard);
  }
  return out;
}

/** The index over which a search walks `attribute`, and its shards (1 when it is not sharded). */
export function searchIndex(name: string): { index: IndexDefinition; shards: number } {
  const index = AUDIT_TABLE.indexes?.find((i) => i.name === name);
  if (!index) throw new Error(`no audit index ${name}`);
  return { index, shards: index.cardinality.class === 'sharded' ? index.cardinality.shards : 1 };
}

/** An index as DescribeTable reports it. */
export interface DescribedIndex {
  KeySchema?: { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined;
  Projection?: { ProjectionType?: string | undefined; NonKeyAttributes?: string[] | undefined } | undefined;
}

/** How a described index differs from its definition; undefined when it does not. */
export function indexDifference(
  def: TableDefinition,
  index: IndexDefinition,
  found: DescribedIndex,
): string | undefined {
  const key = (type: string) => found.KeySchema?.find((k) => k.KeyType === type)?.AttributeName ?? '-';
  const differences: string[] = [];
  const keys = `${key('HASH')}/${key('RANGE')}`;
  const wanted = `${index.partitionKey}/${index.sortKey}`;
  if (keys !== wanted) differences.push(`keys ${wanted} (kept: ${keys})`);
  const projection = projectionOf(def, index);
  const show = (type: string | undefined, attrs: readonly string[] | undefined) =>
    type === 'INCLUDE' ? `INCLUDE ${[...(attrs ?? [])].sort().join(',')}` : (type ?? '-');
  const have = show(found.Projection?.ProjectionType, found.Projection?.NonKeyAttributes);
  const want = show(projection.ProjectionType, projection.NonKeyAttributes);
  if (have !== want) differences.push(`projection ${want} (kept: ${have})`);
  return differences.length > 0 ? differences.join(', ') : undefined;
}
