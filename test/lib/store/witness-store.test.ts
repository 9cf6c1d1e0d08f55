import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditAction } from '../../../contracts/audit.ts';
import type { EvidenceRecord } from '../../../contracts/witness.ts';
import type { CosignedState } from '../../../functions/witness/ports.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { newTraceId } from '../../../lib/ids.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { type TableNames, tableNames } from '../../../lib/store/tables.ts';
import { WitnessStore } from '../../../lib/store/witness-store.ts';

/** The witness table against DynamoDB Local (docs/protocol.md §19): the compare-and-set and the evidence. */

const ORIGIN = 'elg/310000/audit';
const root = (n: number) => Buffer.alloc(32, n).toString('base64');

let doc: DynamoDBDocumentClient;
let names: TableNames;
let store: WitnessStore;

beforeAll(() => {
  doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
});
afterAll(() => doc.destroy());

beforeEach(async () => {
  names = tableNames(`wit${process.pid}-${randomBytes(4).toString('hex')}`);
  await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
  store = new WitnessStore(doc, names.witness, new AuditStore(doc, names.audit));
});

function state(treeSize: number, n = treeSize, at = '2026-06-01T08:00:00.000Z'): CosignedState {
  return {
    origin: ORIGIN,
    treeSize,
    rootHash: root(n),
    note: `${ORIGIN}\n${treeSize}\n${root(n)}\n\n\u2014 ${ORIGIN} AAAA\n`,
    cosignedAt: at,
    caller: '310000',
    traceId: newTraceId(),
  };
}

function evidence(id: string, receivedAt: string): EvidenceRecord {
  return {
    evidenceId: id,
    kind: 'fork',
    origin: ORIGIN,
    logProvince: '310000',
    cosigned: { treeSize: 4, rootHash: root(4), note: state(4).note },
    submitted: { treeSize: 9, rootHash: root(99), note: state(9, 99).note, oldSize: 4, proof: [root(1)] },
    caller: '330000',
    traceId: newTraceId(),
    receivedAt,
  };
}

const event = (r: EvidenceRecord) =>
  auditEvent(
    {
      province: '320000',
      traceId: r.traceId,
      action: AuditAction.witnessEvidence,
      outcome: 'success',
      details: { evidenceId: r.evidenceId },
    },
    new Date(r.receivedAt),
  );

describe('WitnessStore', () => {
  it('stores a first state only where none is, then only over the state read', async () => {
    expect(await store.state(ORIGIN)).toBeUndefined();
    expect(await store.compareAndSet(state(5), undefined)).toBe('stored');
    expect(await store.compareAndSet(state(6), undefined)).toBe('conflict');
    expect(await store.compareAndSet(state(8), { treeSize: 4, rootHash: root(4) })).toBe('conflict');
    expect(await store.compareAndSet(state(8), { treeSize: 5, rootHash: root(6) })).toBe('conflict');
    expect((await store.state(ORIGIN))?.treeSize).toBe(5);
    expect(await store.compareAndSet(state(8), { treeSize: 5, rootHash: root(5) })).toBe('stored');
    expect(await store.state(ORIGIN)).toMatchObject({ treeSize: 8, rootHash: root(8) });
  });

  it('two writes racing over the same state read: exactly one is stored', async () => {
    await store.compareAndSet(state(5), undefined);
    const expected = { treeSize: 5, rootHash: root(5) };
    const results = await Promise.all([
      store.compareAndSet(state(9), expected),
      store.compareAndSet(state(12), expected),
      store.compareAndSet(state(20), expected),
    ]);
    expect(results.filter((r) => r === 'stored')).toHaveLength(1);
    const won = [9, 12, 20][results.indexOf('stored')];
    expect((await store.state(ORIGIN))?.treeSize).toBe(won);
  });

  it('a put sent again after a lost answer finds its own write: stored', async () => {
    const mine = state(5);
    expect(await store.compareAndSet(mine, undefined)).toBe('stored');
    expect(await store.compareAndSet(mine, undefined)).toBe('stored');
  });

  it('keeps a piece of evidence once, with its event, and lists the evidence newest first', async () => {
    const a = evidence('a'.repeat(32), '2026-06-01T08:00:00.000Z');
    const b = evidence('b'.repeat(32), '2026-06-02T08:00:00.000Z');
    const c = evidence('c'.repeat(32), '2026-06-03T08:00:00.000Z');
    const ev = event(a);
    expect(await store.keepEvidence(a, ev)).toBe('kept');
    expect(await store.keepEvidence(a, event(a))).toBe('known');
    expect(await store.keepEvidence(b, event(b))).toBe('kept');
    expect(await store.keepEvidence(c, event(c))).toBe('kept');
    expect(await store.evidence(a.evidenceId)).toEqual(a);
    expect(await store.evidence('d'.repeat(32))).toBeUndefined();
    const stored = await doc.send(new GetCommand({ TableName: names.audit, Key: { eventId: ev.eventId } }));
    expect(stored.Item?.action).toBe('witness.evidence');

    const first = await store.evidenceList({ limit: 2 });
    expect(first.items.map((r) => r.evidenceId[0])).toEqual(['c', 'b']);
    expect(first.next).toBeDefined();
    const second = await store.evidenceList({ limit: 2, ...(first.next ? { after: first.next } : {}) });
    expect(second.items.map((r) => r.evidenceId[0])).toEqual(['a']);
    expect(second.next).toBeUndefined();
    await expect(store.evidenceList({ limit: 2, after: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/cursor/);
  });
});
