import { KeyPurpose } from '../../contracts/keys.ts';
import { TABLES, TableKind } from '../store/tables.ts';

/**
 * What one function may touch: the part of a province's resources its catalog entry lists
 * (functions/catalog.ts). The same scope decides three things that must not drift apart: the
 * settings the function reads at cold start (lib/config.ts), what the adapter factory hands it
 * (lib/wiring/adapters.ts) and, in the CDK stack, its environment and its grants.
 */

/**
 * `describe`: only DescribeTable, for a health probe. `getput`: GetItem and (conditional) PutItem
 * of whole items, for the registry's last good copy. `keyed`: only the item actions the entry's
 * `leadingKeys` list for the table (KeyedAction: `get` GetItem, `query` Query of the table itself,
 * `put` PutItem, `update` UpdateItem, `delete` DeleteItem, `check` ConditionCheckItem, each alone
 * or as an item of a transaction), each only on items whose partition key matches one of the
 * patterns listed for that action: no other action, no index, no batch, and an action nowhere but
 * on its own partitions (the issuing function's change fan-outs under `FAN` and its checks of
 * reports, `RPT#<reportId>`; the interop function's reads of the review policy and the breakers,
 * its minute counters, its held requests and trips).
 */
export type TableAccess = 'describe' | 'getput' | 'keyed' | 'read' | 'write' | 'readwrite';

/**
 * What a `keyed` access does, each on its own partitions: `get` GetItem, `query` Query (of the
 * table, on one partition), `put` PutItem, `update` UpdateItem, `delete` DeleteItem, `check`
 * ConditionCheckItem (a transaction's Put, Update, Delete and ConditionCheck are authorized as
 * these, item by item; a Put's or a Delete's own condition needs no `check`).
 */
export type KeyedAction = 'get' | 'query' | 'put' | 'update' | 'delete' | 'check';
export const KEYED_ACTIONS: readonly KeyedAction[] = ['get', 'query', 'put', 'update', 'delete', 'check'];

/**
 * A `keyed` table's partitions, by action: partition keys as IAM's StringLike reads them (`*`
 * any characters), e.g. `{ put: ['FAN'], check: ['RPT#*'] }`. An action that lists none is not
 * granted at all.
 */
export type LeadingKeys = Readonly<Partial<Record<KeyedAction, readonly string[]>>>;

/**
 * The keyed actions each other access grants on every partition of its table (the item actions
 * of infra/constructs/tables.ts TABLE_ACTIONS): so a use that names its partitions
 * (requireLeadingKeys) is also given by a wider listing that does all it does.
 */
export const KEYED_ACTIONS_OF: Readonly<Record<Exclude<TableAccess, 'keyed'>, readonly KeyedAction[]>> = {
  describe: [],
  getput: ['get', 'put'],
  read: ['get', 'query', 'check'],
  write: ['put', 'update', 'delete', 'check'],
  readwrite: KEYED_ACTIONS,
};

/** Secrets a function may read at cold start. `holderHash`: the key of holder hashes and cursors. */
export const SecretKind = { holderHash: 'holderHash' } as const;
export type SecretKind = (typeof SecretKind)[keyof typeof SecretKind];

export interface ResourceScope {
  /** The function's short name, in every refusal the scope gives. */
  name: string;
  /**
   * Tables and how. Listing `registry` means the function loads the trust registry (and keeps
   * its last good copy there); a function that never checks another province's key does not.
   */
  tables: Readonly<Partial<Record<TableKind, TableAccess>>>;
  /**
   * The global secondary indexes it queries, by table: each index by name (lib/store/tables.ts),
   * so a function is granted Query on those indexes and no other.
   */
  queriesIndexes?: Readonly<Partial<Record<TableKind, readonly string[]>>>;
  /**
   * The partitions of each `keyed` table it touches, by table and by action (LeadingKeys). Each
   * action is granted on the table only for its own partitions (one statement each, under a
   * dynamodb:LeadingKeys condition); every `keyed` table lists some, and no table of another
   * access does.
   */
  leadingKeys?: Readonly<Partial<Record<TableKind, LeadingKeys>>>;
  /** KMS keys it signs with; it reads their public keys, and no other key's. */
  signsWith: readonly KeyPurpose[];
  /**
   * It publishes the province's public keys (the JWKS): it reads the public key of every purpose
   * and of earlier or staged generations (ELG_KMS_KEYS_PREVIOUS), and signs with none of them.
   */
  publishesKeys?: boolean;
  secrets?: readonly SecretKind[];
  /** It authenticates callers by the identity provider's bearer tokens. */
  bearerTokens?: boolean;
  /**
   * It dates error reports: it reads the deadline in working days and the province's holiday
   * calendar (ELG_REPORT_DUE_WORKING_DAYS, ELG_PUBLIC_HOLIDAYS, ELG_MAKEUP_WORKDAYS).
   */
  reportCalendar?: boolean;
}

/**
 * What a use of a table needs from the listed access. `keyed`: some actions, each on the
 * partitions the use names for it, nothing else; which ones requireLeadingKeys checks, action by
 * action, so a store over a `keyed` use is only ever built after it.
 */
export type TableUse = 'describe' | 'keyed' | 'read' | 'write' | 'readwrite' | 'query';

const GRANTS: Record<TableAccess, readonly TableUse[]> = {
  describe: ['describe'],
  getput: ['describe', 'read', 'write', 'keyed'],
  keyed: ['keyed'],
  read: ['describe', 'read', 'query', 'keyed'],
  write: ['describe', 'write', 'keyed'],
  readwrite: ['describe', 'read', 'write', 'readwrite', 'query', 'keyed'],
};

/** How a refusal names what a use does with the items of a partition. */
const DOES: Readonly<Record<KeyedAction, string>> = {
  get: 'gets',
  query: 'queries',
  put: 'puts',
  update: 'updates',
  delete: 'deletes',
  check: 'checks',
};

/** A function reached for something its catalog entry does not list: a bug, refused at wiring. */
export class UndeclaredResourceError extends Error {
  override name = 'UndeclaredResourceError';
}

/** Throws unless the scope lets its function use `kind` this way. */
export function requireTable(scope: ResourceScope, kind: TableKind, use: TableUse): void {
  const access = scope.tables[kind];
  if (access === undefined) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function uses the ${kind} table (${use}), which its catalog entry does not list`,
    );
  }
  if (!GRANTS[access].includes(use)) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function ${use === 'query' ? 'queries the indexes of' : `needs ${use} access to`} the ${kind} table; its catalog entry lists ${access}`,
    );
  }
}

/** Throws unless the scope lets its function query each of these indexes of `kind`. */
export function requireIndexes(scope: ResourceScope, kind: TableKind, indexes: readonly string[]): void {
  requireTable(scope, kind, 'query');
  const listed = scope.queriesIndexes?.[kind] ?? [];
  const missing = indexes.filter((i) => !listed.includes(i));
  if (missing.length > 0) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function queries the ${missing.join(', ')} index${missing.length > 1 ? 'es' : ''} of the ${kind} table, which its catalog entry does not list`,
    );
  }
}

/**
 * Throws unless the scope lets its function do each action of `keys` on each of the partitions of
 * `kind` listed for it there (patterns as the entry lists them, compared as written, action by
 * action: a partition listed for one action is no grant of another there). A `keyed` access
 * covers only what its `leadingKeys` list for each action; any other access every partition, for
 * the actions it grants (KEYED_ACTIONS_OF: `readwrite` all of them, `write` no get or query,
 * `read` no put, update or delete, `getput` only get and put).
 */
export function requireLeadingKeys(scope: ResourceScope, kind: TableKind, keys: LeadingKeys): void {
  requireTable(scope, kind, 'keyed');
  const access = scope.tables[kind] as TableAccess;
  const listed = scope.leadingKeys?.[kind] ?? {};
  const missing = KEYED_ACTIONS.flatMap((action) => {
    const wanted = keys[action] ?? [];
    const absent =
      access === 'keyed'
        ? wanted.filter((k) => !(listed[action] ?? []).includes(k))
        : KEYED_ACTIONS_OF[access].includes(action)
          ? []
          : wanted;
    return absent.length > 0 ? [`${DOES[action]} items under ${absent.join(', ')}`] : [];
  });
  if (missing.length > 0) {
    throw new UndeclaredResourceError(
      access === 'keyed'
        ? `the ${scope.name} function ${missing.join(' and ')} in the ${kind} table, which its catalog entry's leadingKeys do not list`
        : `the ${scope.name} function ${missing.join(' and ')} in the ${kind} table; its catalog entry lists ${access}`,
    );
  }
}

export function requireSigner(scope: ResourceScope, purpose: KeyPurpose): void {
  if (!scope.signsWith.includes(purpose)) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function signs with the ${purpose} key, which its catalog entry does not list`,
    );
  }
}

export function requireSecret(scope: ResourceScope, secret: SecretKind): void {
  if (!(scope.secrets ?? []).includes(secret)) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function reads the ${secret} secret, which its catalog entry does not list`,
    );
  }
}

export function requireFlag(
  scope: ResourceScope,
  flag: 'publishesKeys' | 'bearerTokens' | 'reportCalendar',
  what: string,
): void {
  if (!scope[flag]) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function ${what}, which its catalog entry does not list (${flag})`,
    );
  }
}

/**
 * Every resource of a province: what the local federation's operator holds (it seeds agreements,
 * tests inspect the stores). No deployed function has this scope.
 */
export const WHOLE_PROVINCE: ResourceScope = {
  name: 'province',
  tables: Object.fromEntries(Object.values(TableKind).map((k) => [k, 'readwrite'])),
  queriesIndexes: Object.fromEntries(
    TABLES.filter((t) => t.indexes?.length).map((t) => [t.kind, (t.indexes ?? []).map((i) => i.name)]),
  ),
  signsWith: Object.values(KeyPurpose),
  publishesKeys: true,
  secrets: Object.values(SecretKind),
  bearerTokens: true,
  reportCalendar: true,
};

/** Whether the scope lets its function use `kind` this way (for what is optional to a function). */
export function canUseTable(scope: ResourceScope, kind: TableKind, use: TableUse): boolean {
  try {
    requireTable(scope, kind, use);
    return true;
  } catch {
    return false;
  }
}
