import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryClaims } from '../../contracts/registry.ts';
import type { RegistryCopyStore, StoredRegistry } from '../registry/stored-copy.ts';

/** The one item of the `registry` table. */
const KEY = { pk: 'REGISTRY' } as const;

/** DynamoDB holds items of at most 400 KB; a registry of 34 provinces is far below this. */
const MAX_ITEM_CHARS = 380_000;

/**
 * The province's last good copy of the national trust registry, in the `registry` table: one item
 * `{pk: REGISTRY, seq, iat, jws, storedAt}`. It is written only when its `seq` is higher than the
 * stored one (a conditional write), so concurrent functions never replace a copy with an older one.
 * The copy is a cache, never trusted by itself: the gateway verifies the JWS against the root key
 * before it starts from it.
 */
export class DynamoRegistryStore implements RegistryCopyStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async read(): Promise<StoredRegistry | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: KEY, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    if (typeof Item.jws !== 'string' || typeof Item.seq !== 'number') {
      throw new TypeError(`the item in ${this.tableName} has no jws or no numeric seq`);
    }
    return {
      jws: Item.jws,
      seq: Item.seq,
      ...(typeof Item.storedAt === 'string' ? { storedAt: Item.storedAt } : {}),
    };
  }

  async offer(jws: string, claims: RegistryClaims, at: Date): Promise<{ seq: number }> {
    if (jws.length > MAX_ITEM_CHARS) {
      throw new RangeError(
        `the registry is ${jws.length} characters; a DynamoDB item holds at most ${MAX_ITEM_CHARS} of them`,
      );
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...KEY, seq: claims.seq, iat: claims.iat, jws, storedAt: at.toISOString() },
          ConditionExpression: 'attribute_not_exists(pk) OR seq < :seq',
          ExpressionAttributeValues: { ':seq': claims.seq },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { seq: claims.seq };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // The item as it stands, in DynamoDB's own notation: the exception is not unmarshalled.
      const kept = Number((err.Item?.seq as { N?: string } | undefined)?.N);
      return { seq: Number.isFinite(kept) ? kept : claims.seq };
    }
  }
}
