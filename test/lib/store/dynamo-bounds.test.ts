import { createServer, type Server, type Socket } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, STORAGE_BOUNDS, storageAnswers } from '../../../lib/store/dynamo.ts';

/**
 * A DynamoDB that accepts connections and reads requests but never answers, as a frozen one does.
 * It counts the requests that reach it.
 */
async function blackHole(): Promise<{
  endpoint: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      requests += chunk.toString('latin1').match(/^POST /gm)?.length ?? 0;
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('storage calls to a DynamoDB that never answers', () => {
  let hole: Awaited<ReturnType<typeof blackHole>>;
  const doc = () => createDocumentClient({ endpoint: hole.endpoint, region: 'us-east-1' });

  beforeAll(async () => {
    hole = await blackHole();
  });
  afterAll(async () => {
    await hole.close();
  });

  it('give up after their attempts and within the call deadline, and send nothing afterwards', async () => {
    // Prepare
    const client = doc();
    const before = hole.requests();
    const started = performance.now();

    // Act
    const failure = await client.send(new GetCommand({ TableName: 'any', Key: { pk: 'x' } })).then(
      () => undefined,
      (err: unknown) => err,
    );
    const elapsed = performance.now() - started;
    const sent = hole.requests() - before;
    await new Promise((r) => setTimeout(r, 500));

    // Assess: every attempt timed out; nothing went out once the caller heard.
    expect(failure).toBeInstanceOf(Error);
    expect(sent).toBe(STORAGE_BOUNDS.attempts);
    expect(elapsed).toBeLessThan(STORAGE_BOUNDS.callMs + 1500);
    expect(hole.requests() - before).toBe(sent);
    client.destroy();
  });

  it('reach the caller of a store as DEPENDENCY_UNAVAILABLE', async () => {
    const client = doc();
    const audit = new AuditStore(client, 'any');

    await expect(
      audit.write({
        eventId: '01JZ0000000000000000000000',
        province: '310000',
        time: '2026-06-01T08:00:00.000Z',
        traceId: '0af7651916cd43dd8448eb211c80319c',
        action: 'verify',
        outcome: 'success',
        actor: {},
        details: {},
      }),
    ).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
    client.destroy();
  });

  it('cut at the deadline of the call, before all attempts are spent', async () => {
    // Prepare
    const client = doc();
    const before = hole.requests();

    // Act
    const failure = await client
      .send(new GetCommand({ TableName: 'any', Key: { pk: 'x' } }), { abortSignal: AbortSignal.timeout(300) })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await new Promise((r) => setTimeout(r, STORAGE_BOUNDS.attemptMs + 300));

    // Assess: the first attempt was cut at 300 ms and no second one followed.
    expect(failure).toMatchObject({ name: 'AbortError' });
    expect(hole.requests() - before).toBe(1);
    client.destroy();
  });

  it('read as storage down for /healthz within its probe bound', async () => {
    // Prepare
    const client = doc();
    const started = performance.now();

    // Act
    const up = await storageAnswers(client, 'any');

    // Assess: the probe bound is 1.5 s; the health check waits 2 s.
    expect(up).toBe(false);
    expect(performance.now() - started).toBeLessThan(3000);
    client.destroy();
  });
});
