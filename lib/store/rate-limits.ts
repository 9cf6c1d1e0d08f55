import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { storageFailure } from './transact.ts';

/**
 * Rate limits shared by every instance of a function: a counter per key and fixed window, kept in
 * the nonces table (its key `jti`; a limit's key `rate#<key>#<window start>` cannot be a request id,
 * whose characters are `A-Za-z0-9_-`) and expired by TTL after its window. One conditional
 * UpdateItem per call: it counts the call only while the count is below the limit. A window
 * boundary may let up to twice the limit through within one window's length; an answer lost and
 * resent by the SDK counts twice, which errs on the side of limiting.
 */
export class RateLimits {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Counts one call under `key`; false when `limit` calls were counted in this window already. */
  async take(key: string, limit: number, windowSeconds: number, now: Date): Promise<boolean> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('a rate limit is a positive integer');
    const start = Math.floor(now.getTime() / 1000 / windowSeconds) * windowSeconds;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { jti: `rate#${key}#${start}` },
          UpdateExpression: 'ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'n', '#ttl': 'ttl' },
          // DynamoDB expires by its own wall clock, so the TTL follows the wall clock.
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': limit,
            ':ttl': Math.floor(Date.now() / 1000) + 2 * windowSeconds,
          },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw storageFailure('the rate limits', err);
    }
  }
}
