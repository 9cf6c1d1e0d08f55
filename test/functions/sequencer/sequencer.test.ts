import { describe, expect, it, vi } from 'vitest';
import {
  type IntegrateReport,
  integrate,
  startSequencerLoop,
} from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import {
  auditItems,
  expectEveryEventOnce,
  issueLicenses,
  leafItems,
  logItems,
  pendingIds,
} from '../../lib/audit/log-fixtures.ts';
import { testGateway } from '../../support/gateway.ts';

describe('the sequencer', () => {
  it('integrates events written by issuance in batches, one signed checkpoint per batch', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 7);

    // Act
    const reports: IntegrateReport[] = [];
    for (let i = 0; i < 4; i++) reports.push(await integrate(t.gateway, { maxBatch: 3 }));

    // Assess
    expect(reports.map((r) => [r.outcome, r.integrated, r.treeSize])).toEqual([
      ['integrated', 3, 3],
      ['integrated', 3, 6],
      ['integrated', 1, 7],
      ['idle', 0, 7],
    ]);
    const checkpoints = await logItems(t, 'CHECKPOINT');
    expect(checkpoints.map((c) => c.treeSize)).toEqual([3, 6, 7]);
    const head = await t.gateway.log.checkpoint();
    expect(head?.treeSize).toBe(7);
    const verified = verifyCheckpoint(head?.note ?? '', t.keys.audit.publicJwk, auditOrigin('310000'));
    expect(Buffer.from(verified.rootHash).toString('base64')).toBe(head?.rootHash);
    await expectEveryEventOnce(t);
  });

  it('takes waiting events oldest first across the pending shards', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 6);

    // Act
    await integrate(t.gateway, { maxBatch: 4 });

    // Assess
    const ids = (await auditItems(t)).map((e) => String(e.eventId)).sort();
    expect((await leafItems(t)).map((l) => l.eventId)).toEqual(ids.slice(0, 4));
    expect(await pendingIds(t)).toEqual(ids.slice(4));
  });

  it('runs several batches in one call up to maxBatches', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 5);

    // Act
    const report = await integrate(t.gateway, { maxBatch: 2, maxBatches: 10 });

    // Assess
    expect(report.batches.map((b) => [b.start, b.count, b.resumed])).toEqual([
      [0, 2, false],
      [2, 2, false],
      [4, 1, false],
    ]);
    await expectEveryEventOnce(t);
  });

  it('starts no further batch once its time budget is spent, and the next call goes on', async () => {
    const t = await testGateway();
    await issueLicenses(t, 5);

    // A budget of 0 ms: the first batch always runs, no second one starts.
    const first = await integrate(t.gateway, { maxBatch: 2, maxBatches: 10, budgetMs: 0 });
    expect(first.batches.map((b) => [b.start, b.count])).toEqual([[0, 2]]);
    expect((await pendingIds(t)).length).toBeGreaterThan(0);

    const rest = await integrate(t.gateway, { maxBatch: 2, maxBatches: 10 });
    expect(rest.batches.map((b) => b.start)).toEqual([2, 4]);
    await expectEveryEventOnce(t);
  });

  it('is idle on an empty log and leaves no checkpoint', async () => {
    const t = await testGateway();

    const report = await integrate(t.gateway);

    expect(report).toEqual({ outcome: 'idle', batches: [], integrated: 0, treeSize: 0 });
    expect(await t.gateway.log.checkpoint()).toBeUndefined();
  });

  it('integrates events written after a checkpoint into the next batch, not twice', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 3);
    await integrate(t.gateway);

    // Act
    await issueLicenses(t, 2);
    const second = await integrate(t.gateway);

    // Assess
    expect(second.batches).toEqual([{ start: 3, count: 2, treeSize: 5, resumed: false }]);
    await expectEveryEventOnce(t);
  });
});

describe('the sequencer loop', () => {
  it('integrates on an interval until stopped, and a stopped loop adds nothing', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 3);

    // Act
    const stop = startSequencerLoop(t.gateway, 20);
    await vi.waitFor(async () => expect(await pendingIds(t)).toEqual([]));
    await stop();
    await issueLicenses(t, 1);

    // Assess
    expect(await leafItems(t)).toHaveLength(3);
    expect(await pendingIds(t)).toHaveLength(1);
  });

  it('refuses an interval below 10 ms', async () => {
    const t = await testGateway();

    expect(() => startSequencerLoop(t.gateway, 5)).toThrow(TypeError);
  });
});

describe('two sequencers', () => {
  it('leaves the log to the one holding the lease', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 3);
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    expect(await store.acquireLease('another-sequencer', t.clock.now(), 30_000)).toBe(true);

    // Act
    const refused = await integrate(t.gateway);
    t.clock.set(new Date(t.clock.now().getTime() + 30_000));
    const after = await integrate(t.gateway);

    // Assess
    expect(refused.outcome).toBe('busy');
    expect(await leafItems(t)).toHaveLength(3);
    expect(after.integrated).toBe(3);
  });

  it('started together integrate every event once between them', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 9);

    // Act
    const reports = await Promise.all([
      integrate(t.gateway, { maxBatch: 2, maxBatches: 10 }),
      integrate(t.gateway, { maxBatch: 2, maxBatches: 10 }),
    ]);

    // Assess
    expect(reports.map((r) => r.integrated).reduce((a, b) => a + b)).toBe(9);
    expect(reports.some((r) => r.outcome === 'busy' || r.integrated === 0)).toBe(true);
    await expectEveryEventOnce(t);
  });

  it('cannot begin a batch anywhere but at the head, nor move the head backwards or twice', async () => {
    // Prepare
    const t = await testGateway();
    await issueLicenses(t, 2);
    await integrate(t.gateway);
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    const head = await store.head();
    const createdAt = t.clock.now().toISOString();

    // Act
    const atZero = await store.beginBatch({ start: 0, eventIds: ['X'], createdAt });
    const ahead = await store.beginBatch({ start: 5, eventIds: ['X'], createdAt });
    const replayed = head ? await store.commitBatch(0, head) : true;

    // Assess
    expect([atZero, ahead, replayed]).toEqual([false, false, false]);
    expect((await store.head())?.treeSize).toBe(2);
  });
});
