import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { OutboxEntry } from '../delivery/deliver.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { conditionFailures, guard, type TransactItems, transact } from './transact.ts';

const TX_ATTEMPTS = 6;

/**
 * An outbox of signed calls to other provinces, under one partition of a table: due deliveries
 * are a range query on the sort key `<nextAttemptAt>#<deliveryId>`. A delivery is put in the
 * same transaction as the change that causes it (`putItem`), so a change is never stored without
 * its deliveries; a round leases a delivery by moving it ahead before sending it
 * (lib/delivery/deliver.ts), and removes it once the peer holds it.
 */
export class OutboxTable<D extends OutboxEntry> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly schema: z.ZodType<D>,
    /** The partition key value the outbox lives under. */
    private readonly pk: string,
    /** The table as errors name it. */
    private readonly what: string,
  ) {}

  private key(d: Pick<D, 'nextAttemptAt' | 'deliveryId'>) {
    return { pk: this.pk, sk: `${d.nextAttemptAt}#${d.deliveryId}` };
  }

  /** The put of a new delivery, for the transaction of the change that causes it. */
  putItem(d: D): TransactItems[number] {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...d, ...this.key(d) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The removal of a leased delivery, for a transaction that settles it with its effects. */
  deleteItem(d: D): TransactItems[number] {
    return {
      Delete: { TableName: this.tableName, Key: this.key(d), ConditionExpression: 'attribute_exists(pk)' },
    };
  }

  /** Every pending delivery, oldest due first. */
  async pending(): Promise<D[]> {
    const items: D[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await guard(
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': this.pk },
            ConsistentRead: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
        this.what,
      );
      items.push(...(out.Items ?? []).map((i) => this.parse(i)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Deliveries due at `now`, oldest first. */
  async due(now: Date, limit: number): Promise<D[]> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk <= :due',
          ExpressionAttributeValues: { ':pk': this.pk, ':due': `${now.toISOString()}#~` },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
      this.what,
    );
    return (out.Items ?? []).map((i) => this.parse(i));
  }

  /**
   * Moves a delivery to its next attempt time. Undefined when it is no longer where the caller
   * saw it: another worker took it or finished it, and this one leaves it alone.
   */
  async reschedule(
    from: D,
    next: Pick<OutboxEntry, 'nextAttemptAt' | 'attempts'> & { lastError?: string },
  ): Promise<D | undefined> {
    const { lastError: _previous, ...rest } = from;
    const moved = {
      ...rest,
      attempts: next.attempts,
      nextAttemptAt: next.nextAttemptAt,
      ...(next.lastError === undefined ? {} : { lastError: next.lastError }),
    } as D;
    try {
      await transact(this.doc, [this.deleteItem(from), this.putItem(moved)], this.tx);
      return moved;
    } catch (err) {
      if (conditionFailures(err).length > 0) return undefined;
      throw err;
    }
  }

  /** A delivery the peer accepted leaves the outbox. */
  async complete(d: D): Promise<void> {
    await guard(this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(d) })), this.what);
  }

  private parse(item: Record<string, unknown>): D {
    const { pk: _pk, sk: _sk, ...rest } = item;
    return this.schema.parse(rest);
  }

  private get tx() {
    return {
      what: this.what,
      attempts: TX_ATTEMPTS,
      exhausted: (cause: unknown) =>
        new DependencyUnavailableError(`${this.what} (concurrent changes)`, cause),
    };
  }
}
