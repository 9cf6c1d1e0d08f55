import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { storageFailure } from './transact.ts';

/** Takes or extends the sequencer lease; false while another owner holds an unexpired one. */
export async function acquireSequencerLease(
  doc: DynamoDBDocumentClient,
  tableName: string,
  owner: string,
  now: Date,
  ttlMs: number,
): Promise<boolean> {
  return conditional(
    doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...LEASE_KEY, owner, expiresAt: now.getTime() + ttlMs },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':now': now.getTime(), ':owner': owner },
      }),
    ),
    WHAT,
  );
}

/** Gives the lease up, unless another owner holds it by now. */
export async function releaseSequencerLease(
  doc: DynamoDBDocumentClient,
  tableName: string,
  owner: string,
): Promise<void> {
  await conditional(
    doc.send(
      new DeleteCommand({
        TableName: tableName,
        Key: LEASE_KEY,
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    ),
    WHAT,
  );
}

/** What a failed lease write is reported as. */
const WHAT = 'the audit log';
/** The sequencer lease: one item of the log table holding `owner` and `expiresAt` (epoch ms). */
const LEASE_KEY = { pk: 'LEASE', sk: 'SEQUENCER' } as const;

/** Whether a conditional write happened; false when its condition did not hold. */
async function conditional(pending: Promise<unknown>, what: string): Promise<boolean> {
  try {
    await pending;
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw storageFailure(what, err);
  }
}
