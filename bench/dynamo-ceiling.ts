import { randomBytes } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
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
