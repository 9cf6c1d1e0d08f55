import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, PortInUseError } from '../../federation/dynamodb-local.ts';
import { FEDERATION } from '../../federation/provinces.ts';
import { type LocalFederation, startLocalFederation } from '../../federation/start.ts';

describe('npm start with ELG_DYNAMODB_ENDPOINT', () => {
  let dir: string;
  let local: LocalFederation | undefined;
  const printed: string[] = [];
  const prefix = `start-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elg-start-'));
    local = await startLocalFederation({
      env: { ELG_HOME: dir, ELG_DYNAMODB_ENDPOINT: `${inject('dynamodbEndpoint')}/` },
      out: (text) => printed.push(text),
      ports: 'ephemeral',
      tablePrefix: prefix,
      provinces: FEDERATION.slice(0, 1),
    });
  });

  afterAll(async () => {
    await local?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores in the DynamoDB it names, says so, and starts no DynamoDB Local of its own', async () => {
    // Prepare
    const endpoint = inject('dynamodbEndpoint');
    const client = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    // Act
    // DescribeTable, not ListTables: the suite's DynamoDB Local holds far more than one page of tables.
    const licenses = await client.send(new DescribeTableCommand({ TableName: `${prefix}-310000-licenses` }));
    const health = await fetch(`${local?.federation.province('310000').url}/healthz`);

    // Assess
    expect(printed.join('')).toBe(
      `Using the DynamoDB at ${endpoint} (ELG_DYNAMODB_ENDPOINT); not starting DynamoDB Local.\n`,
    );
    expect(local?.dynamodb).toMatchObject({ endpoint, own: false });
    expect(licenses.Table?.TableStatus).toBe('ACTIVE');
    expect(health.status).toBe(200);
  });
});

describe('npm start without ELG_DYNAMODB_ENDPOINT', () => {
  it('refuses to start when the port of its DynamoDB Local is taken', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'elg-start-'));
    const port = await freePort();
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const printed: string[] = [];

    try {
      // Act
      const attempt = startLocalFederation({
        env: { ELG_HOME: dir, ELG_DYNAMODB_PORT: String(port) },
        out: (text) => printed.push(text),
        ports: 'ephemeral',
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(attempt).rejects.toThrow(/ELG_DYNAMODB_ENDPOINT/);
      expect(printed.join('')).toContain(`Starting DynamoDB Local on 127.0.0.1:${port}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an ELG_DYNAMODB_ENDPOINT that is not an http(s) URL', async () => {
    // Act
    const attempt = startLocalFederation({
      env: { ELG_HOME: tmpdir(), ELG_DYNAMODB_ENDPOINT: 'localhost:8000' },
    });

    // Assess
    await expect(attempt).rejects.toThrow(/ELG_DYNAMODB_ENDPOINT must be/);
  });
});
