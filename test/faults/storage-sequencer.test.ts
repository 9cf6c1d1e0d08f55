import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { startSequencerLoop } from '../../functions/sequencer/sequencer.ts';
import { captureLogs } from '../../lib/log/capture.ts';
import { LogStore } from '../../lib/store/log-store.ts';
import { expectEveryEventOnce, issueLicenses, pendingIds } from '../lib/audit/log-fixtures.ts';
import { testGateway } from '../support/gateway.ts';

type Send = DynamoDBDocumentClient['send'];
type Command = { constructor: { name: string }; input: Record<string, unknown> };

/**
 * A document client whose storage goes down at the first command `from` picks and stays down to
 * the end of that round: through the lease release, which therefore fails as well. Then it is up.
 */
function outageClient(doc: DynamoDBDocumentClient, from: (c: Command) => boolean) {
  let state: 'up' | 'down' | 'over' = 'up';
  const send = (async (command: Command) => {
    if (state === 'up' && from(command)) state = 'down';
    if (state === 'down') {
      if (command.constructor.name === 'DeleteCommand' && JSON.stringify(command.input).includes('LEASE'))
        state = 'over';
      throw new Error('storage is down');
    }
    return (doc.send as (c: unknown) => Promise<unknown>)(command);
  }) as unknown as Send;
  const proxy = new Proxy(doc, {
    get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)),
  });
  return { doc: proxy, over: () => state === 'over' };
}

describe('the sequencer loop after a storage failure', () => {
  it('takes back the lease it could not give back on its next round, without waiting for it to expire', async () => {
    // Prepare: the clock stands still, so a lease left behind never expires during the test.
    const t = await testGateway();
    await issueLicenses(t, 5);
    // Down from the first mark on: a BatchWrite putting audit items back with their leafIndex.
    const flaky = outageClient(
      t.storage.doc,
      (c) => c.constructor.name === 'BatchWriteCommand' && JSON.stringify(c.input).includes('"leafIndex"'),
    );
    const logs = captureLogs();

    // Act
    const stop = startSequencerLoop(t.gateway.withParts({ doc: flaky.doc }), 20, { maxBatch: 3 });
    let failedRounds: unknown[];
    try {
      await vi.waitFor(async () => expect(await pendingIds(t)).toEqual([]), {
        timeout: 10_000,
        interval: 50,
      });
    } finally {
      await stop();
      failedRounds = logs.records().filter((r) => String(r.message).includes('sequencer round failed'));
      logs.restore();
    }

    // Assess: the failed round left its lease behind, and the loop went on regardless.
    expect(flaky.over()).toBe(true);
    expect(failedRounds).toHaveLength(1);
    await expectEveryEventOnce(t);
  });

  it('still leaves the log to another sequencer holding the lease', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 2);
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    expect(await store.acquireLease('another-sequencer', t.clock.now(), 30_000)).toBe(true);

    // Act
    const stop = startSequencerLoop(t.gateway, 20);
    await new Promise((r) => setTimeout(r, 300));
    await stop();

    // Assess
    expect(await pendingIds(t)).toHaveLength(2);
  });
});
