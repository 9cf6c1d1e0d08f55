import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, ensureTables } from '../lib/store/dynamo.ts';
import { tableNames } from '../lib/store/tables.ts';
import type { Budget } from './harness.ts';

/** BatchWriteItem of 25 small items by 4 writers into a table without indexes, for the budget. */
export async function batchWriteCeiling(endpoint: string, budget: Budget): Promise<number> {
  const doc = createDocumentClient({ endpoint });
  const names = tableNames(`ceiling${randomBytes(3).toString('hex')}`);
  await ensureTables({ endpoint }, names);
  try {
    let items = 0;
    const stopAt = performance.now() + Math.max(2, budget.seconds * 2) * 1000;
    const start = performance.now();
    const writer = async () => {
      while (performance.now() < stopAt) {
        const batch = Array.from({ length: 25 }, () => ({
          PutRequest: { Item: { pk: randomBytes(8).toString('hex'), value: 'x'.repeat(200) } },
        }));
        await doc.send(new BatchWriteCommand({ RequestItems: { [names.registry]: batch } }));
        items += batch.length;
      }
    };
    await Promise.all(Array.from({ length: 4 }, writer));
    return items / ((performance.now() - start) / 1000);
  } finally {
    doc.destroy();
  }
}

/**
 * Strongly consistent GetItem of one small item by `inFlight` readers, for the budget: the
 * request rate DynamoDB Local itself answers here, which bounds anything that reads item by item.
 */
export async function getItemCeiling(endpoint: string, budget: Budget, inFlight: number): Promise<number> {
  const doc = createDocumentClient({ endpoint });
  const names = tableNames(`ceilget${randomBytes(3).toString('hex')}`);
  await ensureTables({ endpoint }, names);
  try {
    const key = { pk: 'ceiling' };
    await doc.send(new PutCommand({ TableName: names.registry, Item: { ...key, value: 'x'.repeat(200) } }));
    const warmUntil = performance.now() + 1000;
    while (performance.now() < warmUntil) {
      await doc.send(new GetCommand({ TableName: names.registry, Key: key, ConsistentRead: true }));
    }
    let reads = 0;
    const start = performance.now();
    const stopAt = start + Math.max(2, budget.seconds * 2) * 1000;
    const reader = async () => {
      while (performance.now() < stopAt) {
        await doc.send(new GetCommand({ TableName: names.registry, Key: key, ConsistentRead: true }));
        reads++;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, reader));
    return reads / ((performance.now() - start) / 1000);
  } finally {
    doc.destroy();
  }
}
