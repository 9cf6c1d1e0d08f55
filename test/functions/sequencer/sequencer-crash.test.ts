import { describe, expect, it, vi } from 'vitest';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { BatchIntentSchema } from '../../../lib/store/log-records.ts';
import {
  auditItems,
  dyingClient,
  expectEveryEventOnce,
  issueLicenses,
  leafItems,
  logItems,
  putsTo,
  stallingClient,
} from '../../lib/audit/log-fixtures.ts';
import { testGateway } from '../../support/gateway.ts';

/** Storage failures reach the caller as DEPENDENCY_UNAVAILABLE, the cause kept. */
const DIED = { code: 'DEPENDENCY_UNAVAILABLE', cause: { message: 'the sequencer process died here' } };

type Command = { name: string; input: Record<string, unknown> };

/** Whether a BatchWrite marks events: puts audit items back with their `leafIndex`. */
function marksEvents(input: Record<string, unknown>): boolean {
  const requests = Object.values(
    (input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item?: { leafIndex?: number } } }[]>,
  );
  return requests.flat().some((r) => r.PutRequest?.Item?.leafIndex !== undefined);
}

/**
 * Tiles of 4 hashes, so that the second batch (events 5-9) adds to two leaf tiles, their event
 * bundles and a tile of level 2.
 */
const TILES = { tileHeight: 2 };

/** Where the sequencer's process dies during its second batch (events 5-9). */
const CRASHES: { where: string; at: (c: Command, seen: number) => boolean; resumes: boolean }[] = [
  {
    where: 'after recording the batch, before any tile',
    at: (c) => putsTo(c, 'TILE#') || putsTo(c, 'EVENTS#'),
    resumes: true,
  },
  {
    where: 'after the first leaf tile, before its events',
    at: (c) => putsTo(c, 'EVENTS#'),
    resumes: true,
  },
  {
    where: 'after the leaf tiles, before the tile above them',
    at: (c) => putsTo(c, 'TILE#1#'),
    resumes: true,
  },
  {
    where: 'after the tiles, before the marks',
    at: (c) => c.name === 'BatchWriteCommand' && marksEvents(c.input),
    resumes: true,
  },
  {
    where: 'after signing, before the head moves',
    at: (c) => c.name === 'TransactWriteCommand' && JSON.stringify(c.input).includes('"CHECKPOINT"'),
    resumes: true,
  },
  {
    where: 'after the head moved, before the lease is released',
    at: (c) => c.name === 'DeleteCommand' && JSON.stringify(c.input).includes('LEASE'),
    resumes: false,
  },
];

describe('a sequencer that crashes mid-batch', () => {
  it.each(CRASHES)('leaves a log a restart completes with every event once: died $where', async (crash) => {
    // Prepare: one committed batch, then a run that dies during the next one.
    const t = await testGateway();
    await issueLicenses(t, 12);
    await integrate(t.gateway, { maxBatch: 5, ...TILES });
    const dying = dyingClient(t.storage.doc, crash.at);
    // Dying after its work, the run may still return: the lease it could not give back stays.
    await integrate(t.gateway.withParts({ doc: dying.doc }), { maxBatch: 5, ...TILES }).catch(
      (err: unknown) => expect(err).toMatchObject(DIED),
    );
    expect(dying.died()).toBe(true);
    const inFlight = (await logItems(t, 'BATCH')).map((b) => BatchIntentSchema.parse(b));
    await issueLicenses(t, 2);

    // Act
    const tooSoon = await integrate(t.gateway, { maxBatch: 5, ...TILES });
    t.clock.set(new Date(t.clock.now().getTime() + 30_000));
    const restart = await integrate(t.gateway, { maxBatch: 5, maxBatches: 10, ...TILES });

    // Assess
    expect(tooSoon.outcome).toBe('busy');
    const first = restart.batches[0];
    if (crash.resumes) {
      expect(inFlight).toHaveLength(1);
      expect(first).toMatchObject({ start: 5, count: 5, resumed: true });
      const leaves = await leafItems(t, TILES.tileHeight);
      expect(leaves.slice(5, 10).map((l) => l.eventId)).toEqual(inFlight[0]?.eventIds);
    } else {
      expect(inFlight).toEqual([]);
      expect(first).toMatchObject({ start: 10, resumed: false });
    }
    expect(restart.treeSize).toBe(14);
    expect(await logItems(t, 'BATCH')).toEqual([]);
    expect((await logItems(t, 'CHECKPOINT')).map((c) => c.treeSize)).toEqual([5, 10, 14]);
    await expectEveryEventOnce(t, TILES.tileHeight);
  });

  it('finishes a batch whose tiles were only partly written', async () => {
    // Prepare: 30 leaves go to 8 leaf tiles of 4; the 5th tile's write and all after it are lost.
    const t = await testGateway();
    await issueLicenses(t, 30);
    let leafTiles = 0;
    const dying = dyingClient(t.storage.doc, (c) => putsTo(c, 'TILE#0#') && ++leafTiles === 5);
    await expect(
      integrate(t.gateway.withParts({ doc: dying.doc }), { maxBatch: 30, ...TILES }),
    ).rejects.toMatchObject(DIED);
    const written = (await leafItems(t, TILES.tileHeight)).length;

    // Act
    t.clock.set(new Date(t.clock.now().getTime() + 30_000));
    const restart = await integrate(t.gateway, { maxBatch: 30, ...TILES });

    // Assess
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(30);
    expect(restart.batches).toEqual([{ start: 0, count: 30, treeSize: 30, resumed: true }]);
    await expectEveryEventOnce(t, TILES.tileHeight);
  });

  it('finishes a batch whose events were only partly marked', async () => {
    // Prepare: 30 marks go out in two BatchWrites (25 + 5); the second one is lost.
    const t = await testGateway();
    await issueLicenses(t, 30);
    let markWrites = 0;
    const dying = dyingClient(
      t.storage.doc,
      (c) => c.name === 'BatchWriteCommand' && marksEvents(c.input) && ++markWrites === 2,
    );
    await expect(integrate(t.gateway.withParts({ doc: dying.doc }), { maxBatch: 30 })).rejects.toMatchObject(
      DIED,
    );
    // The first BatchWrite was sent before the process died: its 25 marks land.
    const marked = async () => (await auditItems(t)).filter((e) => e.leafIndex !== undefined).length;
    await vi.waitFor(async () => expect(await marked()).toBe(25));

    // Act
    t.clock.set(new Date(t.clock.now().getTime() + 30_000));
    const restart = await integrate(t.gateway, { maxBatch: 30 });

    // Assess
    expect(restart.batches).toEqual([{ start: 0, count: 30, treeSize: 30, resumed: true }]);
    await expectEveryEventOnce(t);
  });

  it('that stalls past its lease loses the batch to the next sequencer, which finishes it as recorded', async () => {
    // Prepare: a run stalls with its leaves written, until its lease has expired.
    const t = await testGateway();
    await issueLicenses(t, 6);
    const slow = stallingClient(t.storage.doc, (c) => putsTo(c, 'EVENTS#'));
    const stalledRun = integrate(t.gateway.withParts({ doc: slow.doc }), { maxBatch: 4 });
    await slow.stalled;
    const recorded = (await logItems(t, 'BATCH')).map((b) => BatchIntentSchema.parse(b));
    t.clock.set(new Date(t.clock.now().getTime() + 30_000));

    // Act
    const next = await integrate(t.gateway, { maxBatch: 4, maxBatches: 5 });
    slow.resume();
    const late = await stalledRun;

    // Assess
    expect(next.batches.map((b) => [b.start, b.count, b.resumed])).toEqual([
      [0, 4, true],
      [4, 2, false],
    ]);
    expect((await leafItems(t)).slice(0, 4).map((l) => l.eventId)).toEqual(recorded[0]?.eventIds);
    expect(late).toMatchObject({ outcome: 'busy', integrated: 0 });
    expect((await logItems(t, 'CHECKPOINT')).map((c) => c.treeSize)).toEqual([4, 6]);
    await expectEveryEventOnce(t);
  });
});
