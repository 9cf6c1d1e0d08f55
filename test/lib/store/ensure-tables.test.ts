import { randomBytes } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createDocumentClient, ensureTables, TablesOutdatedError } from '../../../lib/store/dynamo.ts';
import { TABLES, tableNames } from '../../../lib/store/tables.ts';

describe('ensureTables', () => {
  const doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });

  async function describeAll(names: ReturnType<typeof tableNames>) {
    return Promise.all(
      TABLES.map(async (def) => {
        const { Table } = await doc.send(new DescribeTableCommand({ TableName: names[def.kind] }));
        const ttl = await doc.send(new DescribeTimeToLiveCommand({ TableName: names[def.kind] }));
        return {
          kind: def.kind,
          status: Table?.TableStatus,
          indexes: (Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort(),
          ttl: ttl.TimeToLiveDescription?.AttributeName,
        };
      }),
    );
  }

  const expected = TABLES.map((def) => ({
    kind: def.kind,
    status: 'ACTIVE',
    indexes: (def.indexes ?? []).map((i) => i.name).sort(),
    ttl: def.ttlAttribute,
  }));

  it('creates every table with its indexes and TTL, and a second run changes nothing', async () => {
    const names = tableNames(`ens${randomBytes(3).toString('hex')}`);
    await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
    expect(await describeAll(names)).toEqual(expected);
    await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
    expect(await describeAll(names)).toEqual(expected);
  });

  it("refuses a table kept from an earlier version without today's indexes, naming them", async () => {
    const names = tableNames(`old${randomBytes(3).toString('hex')}`);
    await keptFromEarlierVersion(names);
    const audit = TABLES.find((t) => t.kind === 'audit');
    const missing = (audit?.indexes ?? []).slice(2).map((i) => i.name);
    const failed = await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(TablesOutdatedError);
    expect(failed).toMatchObject({ table: names.audit, missingIndexes: missing });
    expect((failed as Error).message).toContain(missing.join(', '));
  });

  it('refuses a kept table whose indexes have other keys or another projection, naming what differs', async () => {
    const names = tableNames(`prj${randomBytes(3).toString('hex')}`);
    // Every index of today by name, as the version before sharding made them: peer, action and
    // day as keys, every attribute projected.
    const audit = TABLES.find((t) => t.kind === 'audit');
    const old = (audit?.indexes ?? []).map((i) => ({
      ...i,
      partitionKey: i.name === 'pending' ? i.partitionKey : i.partitionKey.replace(/Shard$/, ''),
    }));
    await createAuditTableWith(names.audit, old);

    const failed = await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(failed).toBeInstanceOf(TablesOutdatedError);
    const { outdatedIndexes, missingIndexes } = failed as TablesOutdatedError;
    expect(missingIndexes).toEqual([]);
    expect(outdatedIndexes.map((o) => o.index)).toEqual((audit?.indexes ?? []).map((i) => i.name));
    expect(outdatedIndexes.find((o) => o.index === 'pending')?.differs).toBe(
      'projection KEYS_ONLY (kept: ALL)',
    );
    expect(outdatedIndexes.find((o) => o.index === 'byAction')?.differs).toBe(
      'keys actionShard/eventId (kept: action/eventId), projection INCLUDE action,holderHash,identifier,peer,traceId (kept: ALL)',
    );
    expect(outdatedIndexes.find((o) => o.index === 'byTrace')?.differs).toBe(
      'projection INCLUDE action,holderHash,identifier,peer (kept: ALL)',
    );
    expect((failed as Error).message).toContain(
      'its index byDay differs: keys dayShard/eventId (kept: day/eventId)',
    );
  });

  /** An audit table with these indexes, each projecting every attribute, as earlier versions made them. */
  async function createAuditTableWith(
    table: string,
    indexes: readonly { name: string; partitionKey: string; sortKey: string }[],
  ) {
    await doc.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }],
        AttributeDefinitions: [
          ...new Set(['eventId', ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])]),
        ].map((n) => ({ AttributeName: n, AttributeType: 'S' })),
        GlobalSecondaryIndexes: indexes.map((i) => ({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
  }

  async function keptFromEarlierVersion(names: ReturnType<typeof tableNames>) {
    // The audit table as an earlier version created it: two of today's indexes.
    const audit = TABLES.find((t) => t.kind === 'audit');
    const kept = (audit?.indexes ?? []).slice(0, 2);
    await createAuditTableWith(names.audit, kept);
  }
});
