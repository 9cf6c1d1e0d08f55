import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditedEvent } from '../../contracts/audit-api.ts';
import { eventOfItem } from '../../lib/store/audit-item.ts';

/** Every item of a table, page by page, read consistently: what tests assert was (not) stored. */
export async function scanAll(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Every event stored in an audit table, as the event it holds (lib/store/audit-item.ts: a receipt
 * kept as bytes is given back as its JWS) with the storage attributes beside it.
 */
export async function storedEvents(
  doc: DynamoDBDocumentClient,
  table: string,
): Promise<(AuditedEvent & Record<string, unknown>)[]> {
  return (await scanAll(doc, table)).map(
    (item) => eventOfItem(item) as AuditedEvent & Record<string, unknown>,
  );
}
