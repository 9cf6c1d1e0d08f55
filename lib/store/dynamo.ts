import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createTableInput, TABLES, type TableNames } from './tables.ts';

export interface DynamoOptions {
  /** DynamoDB Local or LocalStack; the AWS default chain when absent. */
  endpoint?: string;
  region?: string;
}

export function createDocumentClient(options: DynamoOptions = {}): DynamoDBDocumentClient {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    region: options.region ?? process.env.AWS_REGION ?? 'cn-north-1',
    ...(local
      ? {
          endpoint: options.endpoint,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

/** Creates the province's tables if missing (embedded mode and tests; CDK owns them on AWS). */
export async function ensureTables(doc: DynamoDBDocumentClient, names: TableNames): Promise<void> {
  // Tables in parallel; each is created, or checked to hold today's indexes when kept.
  await Promise.all(
    TABLES.map(async (def) => {
      const name = names[def.kind];
      try {
        await doc.send(new CreateTableCommand(createTableInput(def, name)));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
      const table = await waitActive(doc, name);
      // A table kept from an earlier version may lack indexes added since. DynamoDB Local does not
      // add indexes to existing tables reliably (they can stay CREATING for good), so say so.
      const missing = (def.indexes ?? [])
        .map((i) => i.name)
        .filter((n) => !table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === n));
      if (missing.length > 0) throw new TablesOutdatedError(name, missing);
      if (def.ttlAttribute) {
        try {
          await doc.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
            }),
          );
        } catch {
          // Already enabled on a reused table: DynamoDB refuses to set it twice.
        }
      }
    }),
  );
}

/** A table created by an earlier version of the project, without indexes the code now queries. */
export class TablesOutdatedError extends Error {
  override name = 'TablesOutdatedError';
  constructor(
    readonly table: string,
    readonly missingIndexes: readonly string[],
  ) {
    super(
      `table ${table} was created by an earlier version: it lacks the indexes ${missingIndexes.join(', ')}`,
    );
  }
}

async function waitActive(doc: DynamoDBDocumentClient, name: string) {
  for (;;) {
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: name }));
    const indexesReady = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesReady) return Table;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Whether the province's storage answers, for /healthz: the audit table (every state change
 * writes to it) is there and active. DescribeTable on one table is all a deployed function needs
 * for this; ListTables would need a grant on every resource.
 */
export async function storageAnswers(doc: DynamoDBDocumentClient, auditTable: string): Promise<boolean> {
  try {
    const { Table } = await doc.send(new DescribeTableCommand({ TableName: auditTable }));
    return Table?.TableStatus === 'ACTIVE' || Table?.TableStatus === 'UPDATING';
  } catch {
    return false;
  }
}
