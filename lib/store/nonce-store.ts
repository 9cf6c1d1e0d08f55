import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NonceRegistry } from '../http/signed-call.ts';
import { storedString } from './stored-item.ts';
import { storageFailure } from './transact.ts';

/**
 * Single-use request ids (`jti`) of inbound signed calls. A conditional write records each one;
 * a second arrival finds it. Entries outlive the acceptance window and then expire by TTL.
 */
export class NonceStore implements NonceRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** True if `key` was unseen and is now recorded; false if it was seen before. */
  async claim(key: string, keepSeconds: number): Promise<boolean> {
    // The SDK resends the same request when an answer is lost; the write it already made then
    // fails the condition. The claim's own token in the item tells that retry from a replay.
    const claim = randomUUID();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // DynamoDB expires by its own wall clock, so the TTL follows the wall clock.
          Item: { jti: key, claim, ttl: Math.floor(Date.now() / 1000) + keepSeconds },
          ConditionExpression: 'attribute_not_exists(jti)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return storedString(err.Item, 'claim') === claim;
      throw storageFailure('the replay-protection table', err);
    }
  }
}
