import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AuditEvent } from '../../contracts/audit.ts';
import type { LicenseRepository } from '../../functions/issuance/ports.ts';
import { ConflictError, DependencyUnavailableError } from '../errors.ts';
import {
  type AddVersionInput,
  type ChangeStatusInput,
  type CreateLicenseInput,
  type CreateLicenseOutcome,
  type IdempotencyRecord,
  IdempotencyRecordSchema,
  type JoinedWrite,
  LicenseHeadSchema,
  type LicenseRecord,
  StoredVersionSchema,
} from '../license/records.ts';
import type { AuditStore } from './audit-store.ts';
import { batchGet } from './batch.ts';
import { storedInteger, storedString } from './stored-item.ts';
import { LicenseIndex } from './tables.ts';
import { conditionFailures, guard, storageFailure, type TransactItems, transact } from './transact.ts';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const WHAT = 'the license table';

/** Allocations a serial counter remembers, newest first: `tok0` holds the token of number `n`. */
const SERIAL_MEMORY = 8;
const SERIAL_SLOTS = Array.from({ length: SERIAL_MEMORY }, (_, i) => `tok${i}`);
const SERIAL_SHIFT = [
  'tok0 = :token',
  ...SERIAL_SLOTS.slice(1).map((s, i) => `${s} = if_not_exists(${SERIAL_SLOTS[i]}, :none)`),
].join(', ');

const pkOf = (licenseKey: string) => `LIC#${licenseKey}`;
const skOfVersion = (version: string) => `V#${version}`;
const HEAD = 'HEAD';
const idemPk = (uscc: string, key: string) => `IDEM#${uscc}#${key}`;

/**
 * DynamoDB adapter for licenses. Every state change is one transaction with its audit event, so
 * a license never exists without the event recording it, and the reverse.
 */
export class LicenseStore implements LicenseRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly audit: AuditStore,
  ) {}

  /**
   * Next serial number for (type, issuer) in a year: `YYYY` + at least 6 digits. One update that
   * adds 1 and records the allocation's token in the newest of SERIAL_MEMORY slots, shifting the
   * others down, so slot i holds the token of number n - i. The SDK resends the same request when
   * an answer is lost; that resend finds its token, fails the condition, and reads its number off
   * the counter as it was. Only when more than SERIAL_MEMORY - 1 other allocations came between
   * does the resend take a new number and leave a gap (never a duplicate).
   */
  async nextSerial(typeCode: string, issuerCode: string, year: string): Promise<string> {
    const token = randomUUID();
    const key = { pk: `SERIAL#${typeCode}.${issuerCode}`, sk: `Y#${year}` };
    let n: number;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET #n = if_not_exists(#n, :zero) + :one, ${SERIAL_SHIFT}`,
          ConditionExpression: `NOT (${SERIAL_SLOTS.map((s) => `${s} = :token`).join(' OR ')})`,
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':token': token, ':none': '-' },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      n = z.number().int().positive().parse(out.Attributes?.n);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw storageFailure(WHAT, err);
      const slot = SERIAL_SLOTS.findIndex((s) => storedString(err.Item, s) === token);
      const current = storedInteger(err.Item, 'n');
      if (slot < 0 || current === undefined || current - slot < 1) {
        throw new DependencyUnavailableError(`${WHAT} (serial counter ${key.pk} reads wrong)`, err);
      }
      n = current - slot;
    }
    return `${year}${String(n).padStart(6, '0')}`;
  }

  async idempotencyRecord(issuerUscc: string, key: string): Promise<IdempotencyRecord | undefined> {
    const out = await guard(
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: idemPk(issuerUscc, key), sk: 'IDEM' },
          ConsistentRead: true,
        }),
      ),
      'the license table',
    );
    if (!out.Item) return undefined;
    const record = IdempotencyRecordSchema.parse(out.Item);
    // DynamoDB deletes expired items lazily; an expired record no longer binds the key.
    return record.ttl > Date.now() / 1000 ? record : undefined;
  }

  async create(input: CreateLicenseInput): Promise<CreateLicenseOutcome> {
    const pk = pkOf(input.licenseKey);
    const items: TransactItems = [
      {
        Put: {
          TableName: this.tableName,
          Item: { pk, sk: skOfVersion(input.version.license.version), ...input.version },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { pk, sk: HEAD, ...input.head },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      { Put: this.audit.putItem(input.audit) },
    ];
    if (input.idempotency) {
      const { issuerUscc, key, requestHash } = input.idempotency;
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            pk: idemPk(issuerUscc, key),
            sk: 'IDEM',
            requestHash,
            identifier: input.version.license.identifier,
            // DynamoDB expires items by its own wall clock, so the TTL follows the wall clock too.
            ttl: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await transact(this.doc, items, TX);
      return { kind: 'created' };
    } catch (err) {
      const failed = conditionFailures(err);
      if (input.idempotency && failed.includes(3)) {
        const record = await this.idempotencyRecord(input.idempotency.issuerUscc, input.idempotency.key);
        if (record) return { kind: 'idempotent', record };
      }
      if (failed.length > 0) throw new ConflictError('a license with this identifier already exists');
      throw err;
    }
  }

  /** A version and the license head, read consistently. */
  async get(licenseKey: string, version: string): Promise<LicenseRecord | undefined> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pkOf(licenseKey) },
          ConsistentRead: true,
        }),
      ),
      'the license table',
    );
    const items = out.Items ?? [];
    const head = items.find((i) => i.sk === HEAD);
    const ver = items.find((i) => i.sk === skOfVersion(version));
    if (!head || !ver) return undefined;
    return { version: StoredVersionSchema.parse(ver), head: LicenseHeadSchema.parse(head) };
  }

  /**
   * The licenses of a holder (by the keyed hash their heads carry), by license key, up to `limit`
   * after `after` (a license key): the sparse `byHolder` index names them and their current
   * versions, then one BatchGetItem reads each head and current version consistently (a license
   * whose head or version is not found, or whose holder is no longer this one, is left out).
   */
  async byHolder(
    holderHash: string,
    page: { limit: number; after?: string | undefined },
  ): Promise<{ records: { licenseKey: string; record: LicenseRecord }[]; next?: string }> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: LicenseIndex.byHolder,
          KeyConditionExpression: 'holderHash = :h',
          ExpressionAttributeValues: { ':h': holderHash },
          Limit: page.limit,
          ...(page.after ? { ExclusiveStartKey: { holderHash, pk: pkOf(page.after), sk: HEAD } } : {}),
        }),
      ),
      WHAT,
    );
    const listed = (out.Items ?? []).map((i) => ({
      licenseKey: String(i.pk).slice('LIC#'.length),
      version: String(i.currentVersion),
    }));
    const keys = listed.flatMap((l) => [
      { pk: pkOf(l.licenseKey), sk: HEAD },
      { pk: pkOf(l.licenseKey), sk: skOfVersion(l.version) },
    ]);
    const items = keys.length > 0 ? await batchGet(this.doc, this.tableName, keys, WHAT) : [];
    const byKey = new Map(items.map((i) => [`${String(i.pk)}|${String(i.sk)}`, i]));
    const records = listed.flatMap(({ licenseKey, version }) => {
      const head = byKey.get(`${pkOf(licenseKey)}|${HEAD}`);
      const ver = byKey.get(`${pkOf(licenseKey)}|${skOfVersion(version)}`);
      if (!head || !ver) return [];
      const record = { head: LicenseHeadSchema.parse(head), version: StoredVersionSchema.parse(ver) };
      return record.head.holderHash === holderHash ? [{ licenseKey, record }] : [];
    });
    const last = out.LastEvaluatedKey?.pk;
    return { records, ...(typeof last === 'string' ? { next: last.slice('LIC#'.length) } : {}) };
  }

  /**
   * A change (变更): the new version becomes current and the old one records its successor, only
   * if the old one is still current and the license is valid.
   */
  async addVersion(input: AddVersionInput): Promise<void> {
    const pk = pkOf(input.licenseKey);
    const nextLicense = input.next.license;
    await this.withAudit(
      [
        {
          Update: {
            TableName: this.tableName,
            Key: { pk, sk: HEAD },
            UpdateExpression: 'SET currentVersion = :next, currentIdentifier = :nextId',
            ConditionExpression: 'currentVersion = :from AND #s = :valid',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':next': nextLicense.version,
              ':nextId': nextLicense.identifier,
              ':from': input.from,
              ':valid': '01',
            },
          },
        },
        {
          Update: {
            TableName: this.tableName,
            Key: { pk, sk: skOfVersion(input.from) },
            UpdateExpression: 'SET supersededBy = :nextId',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(supersededBy)',
            ExpressionAttributeValues: { ':nextId': nextLicense.identifier },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: { pk, sk: skOfVersion(nextLicense.version), ...input.next },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
      input.audit,
      'the license changed meanwhile: it is no longer current or no longer valid',
      input.alsoWrite,
    );
  }

  /** Status change, only from the status the caller saw (optimistic concurrency). */
  async changeStatus(input: ChangeStatusInput): Promise<void> {
    await this.withAudit(
      [
        {
          Update: {
            TableName: this.tableName,
            Key: { pk: pkOf(input.licenseKey), sk: HEAD },
            UpdateExpression: 'SET #s = :to, statusReason = :reason, statusChangedAt = :at',
            ConditionExpression: '#s = :from',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: {
              ':to': input.to,
              ':from': input.from,
              ':reason': input.reason,
              ':at': input.at.toISOString(),
            },
          },
        },
      ],
      input.audit,
      'the license status changed meanwhile; read it again',
      input.alsoWrite,
    );
  }

  /**
   * `items`, the audit event and then the joined writes in one transaction. When a condition of
   * the license's own items (or of its event) fails, `conflict`; else, when only a joined write's
   * condition fails, what that write says it is refused with (`conflict` if it says nothing).
   */
  private async withAudit(
    items: TransactItems,
    audit: AuditEvent,
    conflict: string,
    joined: readonly JoinedWrite[] = [],
  ): Promise<void> {
    const own: TransactItems = [...items, { Put: this.audit.putItem(audit) }];
    try {
      await transact(this.doc, [...own, ...joined.map((j) => j.item)], TX);
    } catch (err) {
      const failed = conditionFailures(err);
      if (failed.length === 0) throw err;
      if (failed.some((i) => i < own.length)) throw new ConflictError(conflict);
      const refused = failed.map((i) => joined[i - own.length]?.refused).find((r) => r !== undefined);
      throw refused ? refused() : new ConflictError(conflict);
    }
  }
}

const TX_ATTEMPTS = 4;

const TX = {
  what: 'the license table',
  attempts: TX_ATTEMPTS,
  exhausted: () => new ConflictError('a concurrent change to the same license won; retry the request'),
};
