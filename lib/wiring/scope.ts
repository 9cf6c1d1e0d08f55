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
 * of whole items, for the registry's last good copy. `putcheck`: only PutItem and ConditionCheck
 * (alone or as items of a transaction), each only on items whose partition key matches one of the
 * entry's `leadingKeys` for that table and that action (`put`, `check`): it updates and deletes
 * nothing, puts nowhere but its `put` partitions, checks nowhere but its `check` ones (the issuing
 * function's change fan-outs under `FAN` and its checks of reports, `RPT#<reportId>`).
 */
export type TableAccess = 'describe' | 'getput' | 'putcheck' | 'read' | 'write' | 'readwrite';

/** What a `putcheck` access does, each on its own partitions: `put` PutItem, `check` ConditionCheck. */
export type PutCheckAction = 'put' | 'check';
export const PUT_CHECK_ACTIONS: readonly PutCheckAction[] = ['put', 'check'];

/**
 * A `putcheck` table's partitions, by action: partition keys as IAM's StringLike reads them (`*`
 * any characters), e.g. `{ put: ['FAN'], check: ['RPT#*'] }`. An action that lists none is not
 * granted at all.
 */
export type LeadingKeys = Readonly<Partial<Record<PutCheckAction, readonly string[]>>>;

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
   * The partitions of each `putcheck` table it puts items in and checks items of, by table and by
   * action (LeadingKeys). Each action is granted on the table only for its own partitions (one
   * statement each, under a dynamodb:LeadingKeys condition); every `putcheck` table lists some,
   * and no table of another access does.
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
 * What a use of a table needs from the listed access. `putcheck`: puts in the partitions the use
 * names for `put` and condition checks in those it names for `check` (requireLeadingKeys), nothing
 * else.
 */
export type TableUse = 'describe' | 'putcheck' | 'read' | 'write' | 'readwrite' | 'query';

const GRANTS: Record<TableAccess, readonly TableUse[]> = {
  describe: ['describe'],
  getput: ['describe', 'read', 'write'],
  putcheck: ['putcheck'],
  read: ['describe', 'read', 'query'],
  write: ['describe', 'write', 'putcheck'],
  readwrite: ['describe', 'read', 'write', 'readwrite', 'query', 'putcheck'],
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
 * Throws unless the scope lets its function put items in each of `keys.put` and check items of
 * each of `keys.check`, partitions of `kind` (patterns as the entry lists them, compared as
 * written, action by action: a `check` partition does not cover a put, nor a `put` one a check).
 * A `write` or `readwrite` access covers every partition; a `putcheck` one only those its
 * `leadingKeys` list for that action.
 */
export function requireLeadingKeys(scope: ResourceScope, kind: TableKind, keys: LeadingKeys): void {
  requireTable(scope, kind, 'putcheck');
  if (scope.tables[kind] !== 'putcheck') return;
  const listed = scope.leadingKeys?.[kind] ?? {};
  const missing = PUT_CHECK_ACTIONS.flatMap((action) => {
    const absent = (keys[action] ?? []).filter((k) => !(listed[action] ?? []).includes(k));
    return absent.length > 0 ? [`${action}s items under ${absent.join(', ')}`] : [];
  });
  if (missing.length > 0) {
    throw new UndeclaredResourceError(
      `the ${scope.name} function ${missing.join(' and ')} in the ${kind} table, which its catalog entry's leadingKeys do not list`,
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
