import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cosignedNote, cosignersOf, type StoredCheckpoint } from '../../../lib/store/log-records.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';

/** A signature line of the right form (the store checks form; collect.ts verifies the signature). */
const line = (witness: string, n = 0) =>
  `\u2014 elg/${witness}/witness ${Buffer.alloc(76, n + Number(witness.slice(0, 2))).toString('base64')}\n`;

const noteOf = (size: number) =>
  `elg/310000/audit\n${size}\n${'A'.repeat(43)}=\n\n\u2014 elg/310000/audit AAAA${size}\n`;

const checkpointOf = (treeSize: number): StoredCheckpoint => ({
  treeSize,
  rootHash: `${'A'.repeat(43)}=`,
  note: noteOf(treeSize),
  signedAt: '2026-06-01T08:00:00.000Z',
});

describe('cosignatures in the log table', () => {
  let t: TestGateway;
  let store: LogStore;
  const item = async (pk: string, sk: string) =>
    (
      await t.storage.doc.send(
        new GetCommand({ TableName: t.storage.tables.log, Key: { pk, sk }, ConsistentRead: true }),
      )
    ).Item;

  beforeEach(async () => {
    t = await testGateway();
    store = new LogStore(t.storage.doc, t.storage.tables.log);
    expect(await store.commitBatch(0, checkpointOf(3))).toBe(true);
  });

  it('keeps the lines with the checkpoint and the head, and the cosigned note appends them in witness order', async () => {
    const stored = await store.addCosignatures(3, [
      { witness: '340000', line: line('340000') },
      { witness: '320000', line: line('320000') },
    ]);

    const head = await store.head();
    expect(stored?.cosignatures).toEqual({ '320000': line('320000'), '340000': line('340000') });
    expect(head?.cosignatures).toEqual(stored?.cosignatures);
    expect(cosignedNote(head as StoredCheckpoint)).toBe(`${noteOf(3)}${line('320000')}${line('340000')}`);
    expect(cosignersOf(head as StoredCheckpoint)).toEqual(['320000', '340000']);
  });

  it('keeps a witness’s first line: a second cosignature of the same checkpoint neither replaces nor repeats it', async () => {
    await store.addCosignatures(3, [{ witness: '320000', line: line('320000', 1) }]);

    const after = await store.addCosignatures(3, [
      { witness: '320000', line: line('320000', 2) },
      { witness: '330000', line: line('330000') },
    ]);

    expect(after?.cosignatures).toEqual({ '320000': line('320000', 1), '330000': line('330000') });
    expect((await store.head())?.cosignatures).toEqual(after?.cosignatures);
  });

  it('loses and repeats no line under concurrent collections', async () => {
    const witnesses = ['320000', '330000', '340000', '350000'];

    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.addCosignatures(
          3,
          witnesses.filter((_, j) => (i + j) % 3 !== 0).map((w) => ({ witness: w, line: line(w, i) })),
        ),
      ),
    );

    const stored = await store.checkpoint(3);
    const head = await store.head();
    expect(Object.keys(stored?.cosignatures ?? {}).sort()).toEqual(witnesses);
    expect(head?.cosignatures).toEqual(stored?.cosignatures);
    const note = cosignedNote(stored as StoredCheckpoint);
    for (const w of witnesses) expect(note.split(`\u2014 elg/${w}/witness `).length - 1).toBe(1);
  });

  it('adds lines to an earlier checkpoint alone once the head moved on, and a new head starts without any', async () => {
    await store.addCosignatures(3, [{ witness: '320000', line: line('320000') }]);
    await store.markWitnessed(3);
    expect(await store.commitBatch(3, checkpointOf(5))).toBe(true);

    const earlier = await store.addCosignatures(3, [{ witness: '330000', line: line('330000') }]);

    expect(Object.keys(earlier?.cosignatures ?? {})).toEqual(['320000', '330000']);
    const head = await store.head();
    expect(head).toMatchObject({ treeSize: 5, cosignatures: {} });
    expect(head?.witnessed).toBeUndefined();
    expect(cosignedNote(head as StoredCheckpoint)).toBe(noteOf(5));
  });

  it('adds lines to a checkpoint stored before cosignatures were kept', async () => {
    await t.storage.doc.send(
      new PutCommand({
        TableName: t.storage.tables.log,
        Item: { pk: 'CHECKPOINT', sk: '0000000000000002', ...checkpointOf(2) },
      }),
    );

    const stored = await store.addCosignatures(2, [{ witness: '320000', line: line('320000') }]);

    expect(stored?.cosignatures).toEqual({ '320000': line('320000') });
    expect((await store.head())?.cosignatures ?? {}).toEqual({});
  });

  it('creates nothing for a size the log never signed', async () => {
    const before = await t.storage.doc.send(new ScanCommand({ TableName: t.storage.tables.log }));

    expect(await store.addCosignatures(4, [{ witness: '320000', line: line('320000') }])).toBeUndefined();

    const after = await t.storage.doc.send(new ScanCommand({ TableName: t.storage.tables.log }));
    expect(after.Count).toBe(before.Count);
  });

  it('refuses a line that is not a signature line, and two lines of one witness', async () => {
    await expect(store.addCosignatures(3, [{ witness: '320000', line: 'garbage\n' }])).rejects.toThrow(
      TypeError,
    );
    await expect(
      store.addCosignatures(3, [
        { witness: '320000', line: line('320000') },
        { witness: '320000', line: line('320000', 1) },
      ]),
    ).rejects.toThrow(TypeError);
    expect((await store.checkpoint(3))?.cosignatures).toEqual({});
  });

  it('marks a witnessed checkpoint and moves the newest witnessed size forward only', async () => {
    expect(await store.witnessedSize()).toBeUndefined();
    expect(await store.commitBatch(3, checkpointOf(5))).toBe(true);

    await store.markWitnessed(5);
    await store.markWitnessed(3);

    expect(await store.witnessedSize()).toBe(5);
    expect(await store.checkpoint(3)).toMatchObject({ witnessed: true });
    expect(await store.head()).toMatchObject({ treeSize: 5, witnessed: true });
    await expect(store.markWitnessed(4)).rejects.toThrow(/no checkpoint of size 4/);
  });

  it('keeps the size each witness last cosigned, moving forward only', async () => {
    const at = new Date('2026-06-01T08:00:00Z');
    expect(await store.witnessSizes(['320000', '330000'])).toEqual(new Map());

    expect(await store.setWitnessSize('320000', 5, at)).toBe(true);
    expect(await store.setWitnessSize('320000', 3, at)).toBe(false);
    expect(await store.setWitnessSize('320000', 5, at)).toBe(true);
    expect(await store.setWitnessSize('330000', 3, at)).toBe(true);

    expect(await store.witnessSizes(['320000', '330000', '340000'])).toEqual(
      new Map([
        ['320000', 5],
        ['330000', 3],
      ]),
    );
    expect(await item('WITNESS#320000', 'WITNESS')).toMatchObject({ witness: '320000', treeSize: 5 });
  });
});
