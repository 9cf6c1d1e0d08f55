import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../errors.ts';

export type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * Storage faults become DEPENDENCY_UNAVAILABLE naming `what`; condition failures and transaction
 * conflicts stay as they are, for the caller to read.
 */
export async function guard<T>(pending: Promise<T>, what: string): Promise<T> {
  try {
    return await pending;
  } catch (err) {
    if (
      err instanceof TransactionCanceledException &&
      (conditionFailures(err).length > 0 || isTransactionConflict(err))
    ) {
      throw err;
    }
    throw storageFailure(what, err);
  }
}

/**
 * What a failed storage call becomes. A failure of DynamoDB itself (an answer, a throttle, a
 * timeout, a lost connection: every error that went through the SDK's retry layer carries
 * `$metadata`) is 503 DEPENDENCY_UNAVAILABLE naming `what`. Anything else failed in this process
 * before a request went out (a value the marshaller cannot store, say): a bug, left as it is, so
 * that no input can make a gateway look as if its storage were down.
 */
export function storageFailure(what: string, err: unknown): Error {
  const reachedStorage =
    typeof err === 'object' &&
    err !== null &&
    ('$metadata' in err || (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError');
  if (reachedStorage) return new DependencyUnavailableError(what, err);
  return err instanceof Error ? err : new Error(String(err));
}

/** Indexes of the transaction items whose condition failed. */
export function conditionFailures(err: unknown): number[] {
  if (!(err instanceof TransactionCanceledException)) return [];
  return (err.CancellationReasons ?? []).flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
}

/** DynamoDB cancelled the transaction because another one touched the same item meanwhile. */
export function isTransactionConflict(err: unknown): boolean {
  return (
    err instanceof TransactionCanceledException &&
    conditionFailures(err).length === 0 &&
    (err.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')
  );
}

/**
 * One transaction, retried with jitter while it loses races to concurrent transactions
 * (TransactionConflict). When the attempts run out, `exhausted()` says what the caller should
 * hear. Condition failures reach the caller as they are.
 */
export async function transact(
  doc: DynamoDBDocumentClient,
  items: TransactItems,
  options: { what: string; attempts: number; exhausted: (cause: unknown) => Error },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await guard(doc.send(new TransactWriteCommand({ TransactItems: items })), options.what);
      return;
    } catch (err) {
      if (!isTransactionConflict(err)) throw err;
      if (attempt >= options.attempts) throw options.exhausted(err);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
    }
  }
}
