import { randomInt } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../contracts/audit.ts';
import { eventLeafData } from '../audit/log-leaf.ts';
import type { AuditSink } from '../audit/sink.ts';
import { eventItem } from './audit-item.ts';
import { PENDING_SHARDS, shardAttributes } from './tables.ts';
import { guard, storageFailure } from './transact.ts';

/** Audit events that record no state change (verifications, refusals) are written alone. */
export class AuditStore implements AuditSink {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * The Put item for an event, for callers that write it inside their own transaction. The event
   * waits in a shard of the sparse `pending` index until the sequencer integrates it into the log,
   * and carries the sharded keys of the byPeer, byAction and byDay indexes (`<value>#<shard>`).
   */
  putItem(event: AuditEvent) {
    return {
      TableName: this.tableName,
      Item: {
        ...eventItem(event),
        pendingShard: `P${randomInt(PENDING_SHARDS)}`,
        ...shardAttributes(event),
      },
      ConditionExpression: 'attribute_not_exists(eventId)',
    };
  }

  async write(event: AuditEvent): Promise<void> {
    try {
      await this.doc.send(new PutCommand(this.putItem(event)));
    } catch (err) {
      // The SDK resends the same request when an answer is lost, and the event it already stored
      // then fails the condition. The id is made here and random, so a stored event with the same
      // content is that earlier attempt, whatever the sequencer has added to it meanwhile.
      if (err instanceof ConditionalCheckFailedException && (await this.holds(event))) return;
      throw storageFailure('the audit log', err);
    }
  }

  private async holds(event: AuditEvent): Promise<boolean> {
    const out = await guard(
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: { eventId: event.eventId }, ConsistentRead: true }),
      ),
      'the audit log',
    );
    return out.Item !== undefined && sameEvent(out.Item, event);
  }
}

/** Same content as the log reads it (storage attributes aside); an item that is no event is not. */
function sameEvent(item: Record<string, unknown>, event: AuditEvent): boolean {
  try {
    return Buffer.from(eventLeafData(item)).equals(Buffer.from(eventLeafData(event)));
  } catch {
    return false;
  }
}
