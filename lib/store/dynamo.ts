import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
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
  for (const def of TABLES) {
    const name = names[def.kind];
    try {
      await doc.send(new CreateTableCommand(createTableInput(def, name)));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    for (;;) {
      const out = await doc.send(new DescribeTableCommand({ TableName: name }));
      if (out.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 100));
    }
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
  }
}

/** Whether DynamoDB answers at all, for /healthz. */
export async function storageAnswers(doc: DynamoDBDocumentClient): Promise<boolean> {
  try {
    await doc.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  }
}
