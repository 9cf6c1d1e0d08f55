import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort, PortInUseError, portIsFree, startDynamoDbLocal } from '../../federation/dynamodb-local.ts';

/** Something else on the port: a plain TCP listener, or an HTTP server answering like DynamoDB. */
async function occupy(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

describe('DynamoDB Local for the suite', () => {
  it('answers on the endpoint the global setup provides', async () => {
    const client = new DynamoDBClient({
      endpoint: inject('dynamodbEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const out = await client.send(new ListTablesCommand({}));
    expect(Array.isArray(out.TableNames)).toBe(true);
  });
});

describe('DynamoDB Local on a port that is taken', () => {
  const servers: Server[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it('refuses to start, naming the port and ELG_DYNAMODB_ENDPOINT, without starting the engine', async () => {
    // Prepare
    const port = await freePort();
    const server = createServer((socket) => socket.destroy());
    servers.push(server);
    await occupy(server, port);
    const started = Date.now();

    // Act
    const attempt = startDynamoDbLocal({ port });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    await expect(attempt).rejects.toThrow(`port ${port} is already taken`);
    await expect(attempt).rejects.toThrow(`ELG_DYNAMODB_ENDPOINT=http://127.0.0.1:${port}`);
    // The engine (a JVM) takes seconds to start; the refusal comes before it is spawned.
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await portIsFree(port)).toBe(false);
  });

  it('does not use a server that answers there like DynamoDB', async () => {
    // Prepare: answers every ListTables with 200, as the readiness probe expects of the engine
    const port = await freePort();
    const impostor = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end('{"TableNames":[]}');
    });
    servers.push(impostor);
    await occupy(impostor, port);

    // Act
    const attempt = startDynamoDbLocal({ port });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
  });

  it('finds a free port free', async () => {
    // Assess
    expect(await portIsFree(await freePort())).toBe(true);
  });
});
