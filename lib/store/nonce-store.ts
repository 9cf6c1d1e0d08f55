import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../errors.ts';

/**
 * Single-use request ids (`jti`) of inbound signed calls. A conditional write records each one;
 * a second arrival finds it. Entries outlive the acceptance window and then expire by TTL.
 */
export class NonceStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** True if `key` was unseen and is now recorded; false if it was seen before. */
  async claim(key: string, keepSeconds: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // DynamoDB expires by its own wall clock, so the TTL follows the wall clock.
          Item: { jti: key, ttl: Math.floor(Date.now() / 1000) + keepSeconds },
          ConditionExpression: 'attribute_not_exists(jti)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw new DependencyUnavailableError('the replay-protection table', err);
    }
  }
}
