import { randomInt } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../contracts/audit.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { PENDING_SHARDS } from './tables.ts';

/** Audit events that record no state change (verifications, refusals) are written alone. */
export class AuditStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * The Put item for an event, for callers that write it inside their own transaction. The event
   * waits in a shard of the sparse `pending` index until the sequencer integrates it into the log.
   */
  putItem(event: AuditEvent) {
    return {
      TableName: this.tableName,
      Item: {
        ...event,
        pendingShard: `P${randomInt(PENDING_SHARDS)}`,
        day: event.time.slice(0, 10),
      },
      ConditionExpression: 'attribute_not_exists(eventId)',
    };
  }

  async write(event: AuditEvent): Promise<void> {
    try {
      await this.doc.send(new PutCommand(this.putItem(event)));
    } catch (err) {
      throw new DependencyUnavailableError('the audit log', err);
    }
  }
}
