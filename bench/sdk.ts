import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createDocumentClient, STORAGE_BOUNDS, storageClient } from '../lib/store/dynamo.ts';
import type { Budget, Section, SectionTable } from './harness.ts';
import { textTable } from './text-table.ts';

const STUB = join(import.meta.dirname, 'sdk', 'stub-dynamodb.mjs');
const IN_FLIGHT = 4;
const ROUNDS = 3;

/** An audit event's shape and size as the answering side writes it (about 1 KB). */
const ITEM = {
  pk: 'E#01JDWQ6M3R5S7T9V1X3Z5B7D9F',
  sk: 'E',
  action: 'interop.verify',
  province: '310000',
  peer: '330000',
  traceId: '01JDWQ6M3R5S7T9V1X3Z5B7D9G',
  identifier: '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000016.001.7',
  details: { matterCode: 'BENCH001', useCause: '办理建筑施工特种作业人员从业登记', outcome: 'valid' },
  byPeer: 'P#330000#3',
  byAction: 'A#interop.verify#2',
  byTrace: '01JDWQ6M3R5S7T9V1X3Z5B7D9G',
  pendingShard: 'P3',
  receipt: new Uint8Array(420),
};

/**
 * What one DynamoDB request costs the client, against a stub that answers at once in a process of
 * its own: a conditional PutItem of an audit event through the client the gateways use
 * (lib/store/dynamo.ts: the AWS SDK's DocumentClient, SigV4, retries, deadlines), and the same body
 * (the very bytes the SDK sends) over bare node:http with keep-alive, the floor of any client. The gateways' CPU per call is
 * mostly this times their requests (`npm run bench -- hotpath`); the project keeps the SDK for its
 * credentials, endpoints and retries (issue 12), so this prints what that costs, measured.
 *
 * Beside them, the one SDK setting found to cut the cost beyond this machine's noise: the
 * low-level client with `cacheMiddleware`, which resolves each command's middleware stack once
 * instead of on every request (the item marshalled on every request, as the DocumentClient does).
 * The gateways do not use it (lib/store/dynamo.ts storageClient says why).
 */
export const sdk: Section = {
  name: 'sdk',
  title: 'one DynamoDB request: the SDK client as the gateways build it vs bare node:http',
  async run(budget: Budget): Promise<SectionTable> {
    const stub = spawn(process.execPath, [STUB], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        stub.once('error', reject);
        stub.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
      });
      const endpoint = `http://127.0.0.1:${port}`;
      const doc = createDocumentClient({ endpoint });
      const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
      const put = () =>
        new PutCommand({
          TableName: 'elg-bench-audit',
          Item: ITEM,
          ConditionExpression: 'attribute_not_exists(pk)',
        });
      const viaSdk = () => doc.send(put());
      // The gateways' low-level client (bounds, signer), its middleware stack cached.
      const cachedClient = storageClient({ endpoint }, STORAGE_BOUNDS, { cacheMiddleware: true });
      const viaCached = () =>
        cachedClient.send(
          new PutItemCommand({
            TableName: 'elg-bench-audit',
            Item: marshall(ITEM, { removeUndefinedValues: true, convertEmptyValues: false }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      const body = await sentBody(endpoint, put());
      const viaHttp = () => bare(agent, port, body);
      const seconds = Math.max(2, budget.seconds * 2);
      const rows: string[][] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const s = await cpuPerRequest(viaSdk, seconds);
        const c = await cpuPerRequest(viaCached, seconds);
        const h = await cpuPerRequest(viaHttp, seconds);
        rows.push([
          `#${i + 1}`,
          s.us.toFixed(0),
          c.us.toFixed(0),
          h.us.toFixed(0),
          (c.us / s.us).toFixed(2),
          (s.us / h.us).toFixed(1),
          s.perSecond.toFixed(0),
          h.perSecond.toFixed(0),
        ]);
      }
      doc.destroy();
      cachedClient.destroy();
      agent.destroy();
      return {
        text: [
          `one conditional PutItem of a 1 KB audit event, ${IN_FLIGHT} in flight, against a stub answering at once in its own process (${seconds} s each after a warm-up, alternating, ${ROUNDS} rounds); CPU of this process per request`,
          textTable(
            [
              'round',
              'SDK client µs',
              'cached stack µs',
              'node:http µs',
              'cached / SDK',
              'SDK / http',
              'SDK req/s',
              'http req/s',
            ],
            rows,
            new Set([1, 2, 3, 4, 5, 6, 7]),
          ),
          'SDK client: the DocumentClient as the gateways build it (lib/store/dynamo.ts); cached stack: the low-level client under it with cacheMiddleware, no call deadline (not used: see lib/store/dynamo.ts storageClient)',
          '',
        ].join('\n'),
      };
    } finally {
      stub.stdin.end();
    }
  },
};

/** The body the SDK client sends for `command`, taken from a client of its own, not the one measured. */
async function sentBody(endpoint: string, command: PutCommand): Promise<string> {
  const doc = createDocumentClient({ endpoint });
  let body: string | undefined;
  doc.middlewareStack.add(
    (next) => async (args) => {
      // The SDK writes the JSON as bytes (a Uint8Array that warns when read as a string).
      const sent = (args.request as { body?: unknown }).body;
      body ??= sent instanceof Uint8Array ? Buffer.from(sent).toString('utf8') : String(sent);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'elgBenchBody' },
  );
  try {
    await doc.send(command);
  } finally {
    doc.destroy();
  }
  if (!body?.startsWith('{')) throw new Error('the SDK client sent no JSON body');
  return body;
}

/** `send` kept IN_FLIGHT at a time for a warm-up and then `seconds`: CPU µs per request, requests/s. */
async function cpuPerRequest(send: () => Promise<unknown>, seconds: number) {
  const window = async (ms: number) => {
    const stopAt = performance.now() + ms;
    let n = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (performance.now() < stopAt) {
          await send();
          n++;
        }
      }),
    );
    return n;
  };
  await window(Math.min(3000, seconds * 1000));
  const cpu = process.cpuUsage();
  const start = performance.now();
  const n = await window(seconds * 1000);
  const used = process.cpuUsage(cpu);
  return { us: (used.user + used.system) / n, perSecond: n / ((performance.now() - start) / 1000) };
}

function bare(agent: Agent, port: number, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.PutItem',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(JSON.parse(text)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
