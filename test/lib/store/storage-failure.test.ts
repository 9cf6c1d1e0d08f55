import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { AppError, DependencyUnavailableError } from '../../../lib/errors.ts';
import { createDocumentClient, isLoopback } from '../../../lib/store/dynamo.ts';
import { guard, storageFailure } from '../../../lib/store/transact.ts';

/** Port 9 (discard) is closed on loopback: the connection is refused at once. */
const refused = () => createDocumentClient({ endpoint: 'http://127.0.0.1:9' });

describe('what a failed storage call becomes', () => {
  it('is 503 DEPENDENCY_UNAVAILABLE when DynamoDB cannot be reached', async () => {
    // Act
    const act = guard(
      refused().send(new PutCommand({ TableName: 't', Item: { pk: 'a' } })),
      'the test table',
    );

    // Assess
    await expect(act).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(act).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
  });

  it('stays a bug, not an outage, when this process fails before any request goes out', async () => {
    // Prepare: a class instance is a value the marshaller refuses before anything is sent.
    class Opaque {}

    // Act
    const act = guard(
      refused().send(new PutCommand({ TableName: 't', Item: { pk: 'a', v: new Opaque() } })),
      'the test table',
    );

    // Assess
    const err = await act.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(AppError);
    expect((err as Error).message).toMatch(/Unsupported type/);
  });

  it('counts timeouts and aborts as storage failures', () => {
    const timeout = Object.assign(new Error('slow'), { name: 'TimeoutError' });
    expect(storageFailure('x', timeout)).toBeInstanceOf(DependencyUnavailableError);
    expect(storageFailure('x', new DOMException('cut', 'AbortError'))).toBeInstanceOf(
      DependencyUnavailableError,
    );
    expect(storageFailure('x', new TypeError('bug'))).toBeInstanceOf(TypeError);
  });
});

describe('credentials by endpoint', () => {
  it('treats only loopback endpoints as local storage that takes any key', () => {
    expect(isLoopback('http://127.0.0.1:8030')).toBe(true);
    expect(isLoopback('http://localhost:4566')).toBe(true);
    expect(isLoopback('http://[::1]:8000')).toBe(true);
    expect(isLoopback('https://dynamodb.cn-north-1.amazonaws.com.cn')).toBe(false);
    expect(isLoopback('http://127.example.com')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});
