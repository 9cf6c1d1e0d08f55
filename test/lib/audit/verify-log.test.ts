import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import type { LogFinding } from '../../../lib/audit/verify-log.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';
import { auditItems, issueLicenses, logItems, verifyOwnLog } from './log-fixtures.ts';

/** What a finding points at, without its message. */
function where(findings: LogFinding[]) {
  return findings.map(({ message: _message, eventId: _eventId, ...rest }) => rest);
}

/**
 * Tiles of 4 hashes: levels 0, 2 and 4 are stored (level 2 in tile 1/0), levels 1 and 3 computed,
 * so 10 leaves span three leaf tiles and the findings cover stored and computed levels.
 */
const HEIGHT = 2;

describe('full verification of a log', () => {
  let t: TestGateway;
  /** Items changed by a test, put back after it. */
  let restore: Record<string, unknown>[] = [];
  let removed: { table: string; item: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    // 10 events in batches of 4: checkpoints at 4, 8 and 10.
    t = await testGateway();
    await issueLicenses(t, 10);
    await integrate(t.gateway, { maxBatch: 4, maxBatches: 5, tileHeight: HEIGHT });
  });

  afterEach(async () => {
    for (const item of restore) await put(t.storage.tables.log, item);
    for (const { table, item } of removed) await put(table, item);
    restore = [];
    removed = [];
    expect((await verifyOwnLog(t, HEIGHT)).findings).toEqual([]);
  });

  async function put(table: string, item: Record<string, unknown>) {
    await t.storage.doc.send(new PutCommand({ TableName: table, Item: item }));
  }
  async function eventAt(index: number) {
    const event = (await auditItems(t)).find((e) => e.leafIndex === index);
    if (!event) throw new Error(`no event at ${index}`);
    return event;
  }
  async function logItem(pk: string, index: number) {
    const item = (await logItems(t, pk)).find(
      (i) => i.pk === pk && (i.index === index || i.treeSize === index),
    );
    if (!item) throw new Error(`no ${pk} ${index}`);
    restore.push(item);
    return item;
  }
  /** The tile holding node `index` of tree level `level` (a multiple of HEIGHT), kept to put back. */
  async function tileOf(level: number, index: number) {
    const tile = await logItem(`TILE#${level / HEIGHT}#${Math.floor(index / 4)}`, Math.floor(index / 4));
    return { tile, at: index % 4 };
  }
  /** What the log stores for leaf `index`: its hash (in its tile) and its event id (in the bundle). */
  async function leaf(index: number) {
    const { tile, at } = await tileOf(0, index);
    const bundle = await logItem(`EVENTS#${Math.floor(index / 4)}`, Math.floor(index / 4));
    const hashes = tile.hashes as Uint8Array;
    return {
      hash: hashes.slice(at * 32, at * 32 + 32),
      eventId: String((bundle.eventIds as string[])[at]),
    };
  }
  /** Stores leaf `index` with another hash or event id (or both). */
  async function setLeaf(index: number, to: { hash?: Uint8Array; eventId?: string }) {
    const tileKey = `TILE#0#${Math.floor(index / 4)}`;
    const bundleKey = `EVENTS#${Math.floor(index / 4)}`;
    const at = index % 4;
    const [tile] = (await logItems(t, tileKey)).filter((i) => i.pk === tileKey);
    const [bundle] = (await logItems(t, bundleKey)).filter((i) => i.pk === bundleKey);
    if (!tile || !bundle) throw new Error(`no tile for leaf ${index}`);
    if (to.hash) {
      const hashes = Uint8Array.from(tile.hashes as Uint8Array);
      hashes.set(to.hash, at * 32);
      await put(t.storage.tables.log, { ...tile, hashes });
    }
    if (to.eventId) {
      const eventIds = [...(bundle.eventIds as string[])];
      eventIds[at] = to.eventId;
      await put(t.storage.tables.log, { ...bundle, eventIds });
    }
  }

  it('finds nothing wrong in an untouched log', async () => {
    const result = await verifyOwnLog(t, HEIGHT);

    expect(result).toEqual({ ok: true, treeSize: 10, checkpoints: 3, pending: 0, findings: [] });
  });

  it('detects a changed event field at its leaf (EVENT_CHANGED)', async () => {
    // Prepare
    const event = await eventAt(5);
    removed.push({ table: t.storage.tables.audit, item: event });
    await t.storage.doc.send(
      new UpdateCommand({
        TableName: t.storage.tables.audit,
        Key: { eventId: event.eventId },
        UpdateExpression: 'SET outcome = :o',
        ExpressionAttributeValues: { ':o': 'refused' },
      }),
    );

    // Act
    const result = await verifyOwnLog(t, HEIGHT);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.findings).toEqual([
      expect.objectContaining({ code: 'EVENT_CHANGED', leafIndex: 5, eventId: event.eventId }),
    ]);
  });

  it('detects a deleted event at its leaf (EVENT_DELETED)', async () => {
    const event = await eventAt(2);
    removed.push({ table: t.storage.tables.audit, item: event });
    await t.storage.doc.send(
      new DeleteCommand({ TableName: t.storage.tables.audit, Key: { eventId: event.eventId } }),
    );

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual([{ code: 'EVENT_DELETED', leafIndex: 2 }]);
  });

  it('detects two swapped leaves at both indexes (LEAF_MISPLACED), and the signed roots they break', async () => {
    // Prepare
    const [a, b] = [await leaf(1), await leaf(6)];
    await setLeaf(1, b);
    await setLeaf(6, a);

    // Act
    const result = await verifyOwnLog(t, HEIGHT);

    // Assess
    const found = where(result.findings);
    expect(found).toEqual(
      expect.arrayContaining([
        { code: 'LEAF_MISPLACED', leafIndex: 1 },
        { code: 'LEAF_MISPLACED', leafIndex: 6 },
        { code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 8 },
        { code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 10 },
      ]),
    );
    expect(found.filter((f) => f.code === 'EVENT_CHANGED' || f.code === 'EVENT_DELETED')).toEqual([]);
  });

  it('detects a changed leaf hash whose event is intact (LEAF_CHANGED)', async () => {
    await leaf(3);
    await setLeaf(3, { hash: Buffer.alloc(32, 9) });

    const result = await verifyOwnLog(t, HEIGHT);

    // Level 1 is computed from the leaves; the stored node above them (2/0) no longer matches.
    expect(where(result.findings)).toEqual(
      expect.arrayContaining([
        { code: 'LEAF_CHANGED', leafIndex: 3 },
        { code: 'NODE_CHANGED', level: 2, index: 0 },
        { code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 4 },
      ]),
    );
    expect(where(result.findings).filter((f) => f.code === 'EVENT_CHANGED')).toEqual([]);
  });

  it('detects a changed node at its level and index (NODE_CHANGED), and the proofs it breaks', async () => {
    // Node 2/1 covers leaves 4-7: the consistency proof from 4 to 8 is that node.
    const { tile, at } = await tileOf(2, 1);
    const hashes = Uint8Array.from(tile.hashes as Uint8Array);
    hashes.set(Buffer.alloc(32, 1), at * 32);
    await put(t.storage.tables.log, { ...tile, hashes });

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual([
      { code: 'NODE_CHANGED', level: 2, index: 1 },
      { code: 'CHECKPOINTS_INCONSISTENT', treeSize: 8 },
    ]);
  });

  it('detects a checkpoint whose root was changed after signing (CHECKPOINT_SIGNATURE_INVALID)', async () => {
    const checkpoint = await logItem('CHECKPOINT', 8);
    const forged = String(checkpoint.note).replace(
      String(checkpoint.rootHash),
      Buffer.alloc(32, 2).toString('base64'),
    );
    await put(t.storage.tables.log, { ...checkpoint, note: forged });

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual([{ code: 'CHECKPOINT_SIGNATURE_INVALID', treeSize: 8 }]);
    expect(result.findings[0]?.message).toMatch(/CHECKPOINT_SIGNATURE_INVALID/);
  });

  it("detects a checkpoint signed with another province's audit key (CHECKPOINT_SIGNATURE_INVALID)", async () => {
    const checkpoint = await logItem('CHECKPOINT', 4);
    const forged = await signCheckpoint(
      t.peerKeys.audit,
      auditOrigin('310000'),
      4,
      Buffer.from(String(checkpoint.rootHash), 'base64'),
    );
    await put(t.storage.tables.log, { ...checkpoint, note: forged });

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual([{ code: 'CHECKPOINT_SIGNATURE_INVALID', treeSize: 4 }]);
    expect(result.findings[0]?.message).toMatch(/CHECKPOINT_UNSIGNED/);
  });

  it('detects a fork: a checkpoint the audit key signed over another tree (CHECKPOINTS_INCONSISTENT)', async () => {
    const checkpoint = await logItem('CHECKPOINT', 8);
    const fork = await signCheckpoint(t.keys.audit, auditOrigin('310000'), 8, Buffer.alloc(32, 3));
    await put(t.storage.tables.log, { ...checkpoint, note: fork });

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual([
      { code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 8 },
      { code: 'CHECKPOINTS_INCONSISTENT', treeSize: 8 },
      { code: 'CHECKPOINTS_INCONSISTENT', treeSize: 10 },
    ]);
  });

  it('detects a head that is not the latest checkpoint (HEAD_MISMATCH)', async () => {
    const head = await logItem('HEAD', 10);
    const older = await logItem('CHECKPOINT', 8);
    await put(t.storage.tables.log, { ...head, treeSize: 8, rootHash: older.rootHash, note: older.note });

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual([{ code: 'HEAD_MISMATCH', treeSize: 8 }]);
  });

  it('detects a deleted leaf tile and a deleted node tile (LEAF_MISSING, NODE_MISSING)', async () => {
    // Tile 0/2 holds leaves 8 and 9; tile 1/0 the nodes 2/0 and 2/1.
    const leaves = (await tileOf(0, 9)).tile;
    const nodes = (await tileOf(2, 0)).tile;
    for (const item of [leaves, nodes]) {
      await t.storage.doc.send(
        new DeleteCommand({ TableName: t.storage.tables.log, Key: { pk: item.pk, sk: item.sk } }),
      );
    }

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual(
      expect.arrayContaining([
        { code: 'LEAF_MISSING', leafIndex: 8 },
        { code: 'LEAF_MISSING', leafIndex: 9 },
        { code: 'NODE_MISSING', level: 2, index: 0 },
        { code: 'NODE_MISSING', level: 2, index: 1 },
        { code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 10 },
      ]),
    );
  });

  it('detects a tile cut short (LEAF_MISSING at the leaves it no longer holds)', async () => {
    const { tile } = await tileOf(0, 4);
    await put(t.storage.tables.log, {
      ...tile,
      width: 2,
      hashes: (tile.hashes as Uint8Array).slice(0, 64),
    });

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual(
      expect.arrayContaining([
        { code: 'LEAF_MISSING', leafIndex: 6 },
        { code: 'LEAF_MISSING', leafIndex: 7 },
      ]),
    );
  });

  it('detects one event named by two leaves (LEAF_MISPLACED at the second)', async () => {
    const first = await leaf(0);
    await leaf(7);
    await setLeaf(7, first);

    const result = await verifyOwnLog(t, HEIGHT);

    expect(where(result.findings)).toEqual(
      expect.arrayContaining([{ code: 'LEAF_MISPLACED', leafIndex: 7 }]),
    );
  });

  it('counts events not yet integrated as pending, not as findings', async () => {
    await issueLicenses(t, 1);
    const result = await verifyOwnLog(t, HEIGHT);

    expect(result).toMatchObject({ ok: true, treeSize: 10, pending: 1 });
  });
});
