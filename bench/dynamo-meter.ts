import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What a client sent to DynamoDB: requests by command, and the capacity they consumed. */
export interface DynamoTally {
  requests: Record<string, number>;
  /** Read and write units, the table's and every index's (ReturnConsumedCapacity INDEXES). */
  readUnits: number;
  writeUnits: number;
  /** Write units by where they landed: the table, or `index <name>`. */
  writeUnitsBy: Record<string, number>;
}

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);
/** Commands that take ReturnConsumedCapacity. */
const METERED = new Set([
  ...WRITES,
  'GetItemCommand',
  'BatchGetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'TransactGetItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/**
 * Counts every request a DynamoDB client sends, by command, and the capacity DynamoDB reports
 * for it, indexes included: a middleware asks each metered command for
 * `ReturnConsumedCapacity: INDEXES` (DynamoDB Local answers it too) and adds what comes back.
 * Counted in the client, so retries and batch remainders count as the requests they are.
 */
export function meterDynamo(doc: DynamoDBDocumentClient): { tally(): DynamoTally; reset(): void } {
  let tally = empty();
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown');
      tally.requests[command] = (tally.requests[command] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      if (METERED.has(command) && input.ReturnConsumedCapacity === undefined) {
        input.ReturnConsumedCapacity = 'INDEXES';
      }
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
        const units = c.CapacityUnits ?? 0;
        if (!WRITES.has(command)) {
          tally.readUnits += units;
          continue;
        }
        tally.writeUnits += units;
        add(tally.writeUnitsBy, 'table', c.Table?.CapacityUnits ?? units);
        for (const [name, index] of Object.entries(c.GlobalSecondaryIndexes ?? {})) {
          add(tally.writeUnitsBy, `index ${name}`, index.CapacityUnits ?? 0);
        }
      }
      return result;
    },
    { step: 'initialize', name: 'elgBenchMeter', override: true },
  );
  return {
    tally: () => structuredClone(tally),
    reset: () => {
      tally = empty();
    },
  };
}

function empty(): DynamoTally {
  return { requests: {}, readUnits: 0, writeUnits: 0, writeUnitsBy: {} };
}

function add(into: Record<string, number>, key: string, units: number): void {
  into[key] = (into[key] ?? 0) + units;
}
