import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin } from '../../../lib/audit/checkpoint.ts';
import { type LogVerification, verifyLog } from '../../../lib/audit/verify-log.ts';
import type { StoredLeaf } from '../../../lib/store/log-records.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { AuditIndex, PENDING_SHARDS } from '../../../lib/store/tables.ts';
import { post, sampleIssue, type TestGateway } from '../../support/gateway.ts';
import { scanAll } from '../../support/scan.ts';

/** Issues `n` licenses over HTTP, each writing its audit event; the clock moves 1 ms per license. */
export async function issueLicenses(t: TestGateway, n: number): Promise<string[]> {
  const token = await t.token('issuer');
  const identifiers: string[] = [];
  for (let i = 0; i < n; i++) {
    t.clock.set(new Date(t.clock.now().getTime() + 1));
    const res = await t.app.request(post('/v1/licenses', sampleIssue(), token));
    expect(res.status).toBe(201);
    identifiers.push(IssueResponseSchema.parse(await res.json()).identifier);
  }
  return identifiers;
}

/** A signature line of the right form (the store checks form; collection verifies the signature). */
export const cosignatureLine = (w: string) =>
  `\u2014 elg/${w}/witness ${Buffer.alloc(76, 7).toString('base64')}\n`;

/** Stores lines of 330000 and 320000 on the checkpoint of `size` and marks it witnessed. */
export async function cosign(store: LogStore, size: number): Promise<void> {
  await store.addCosignatures(size, [
    { witness: '330000', line: cosignatureLine('330000') },
    { witness: '320000', line: cosignatureLine('320000') },
  ]);
  await store.markWitnessed(size);
}

/**
 * A gateway's log with a witnessed checkpoint of 3 events and a newer one of 5 without
 * cosignatures; the ids of the 3 events the witnessed one covers.
 */
export async function witnessedThenNewer(t: TestGateway, store: LogStore): Promise<string[]> {
  await issueLicenses(t, 3);
  await integrate(t.gateway);
  const first = (await auditItems(t)).map((e) => String(e.eventId));
  await cosign(store, 3);
  await issueLicenses(t, 2);
  await integrate(t.gateway);
  return first;
}

export async function auditItems(t: TestGateway): Promise<Record<string, unknown>[]> {
  return scanAll(t.storage.doc, t.storage.tables.audit);
}

/**
 * The leaves the log's tiles and event bundles hold, by index: every one stored, up to as many
 * as there are events (a batch not committed yet included).
 */
export async function leafItems(t: TestGateway, tileHeight?: number): Promise<StoredLeaf[]> {
  const store = new LogStore(t.storage.doc, t.storage.tables.log, tileHeight ? { tileHeight } : {});
  return store.leaves(0, (await auditItems(t)).length);
}

export async function logItems(t: TestGateway, prefix: string): Promise<Record<string, unknown>[]> {
  const items = await scanAll(t.storage.doc, t.storage.tables.log);
  return items.filter((i) => String(i.pk).startsWith(prefix));
}

/** Event ids still in the sparse pending index, every shard. */
export async function pendingIds(t: TestGateway): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < PENDING_SHARDS; i++) {
    const out = await t.storage.doc.send(
      new QueryCommand({
        TableName: t.storage.tables.audit,
        IndexName: AuditIndex.pending,
        KeyConditionExpression: 'pendingShard = :s',
        ExpressionAttributeValues: { ':s': `P${i}` },
      }),
    );
    ids.push(...(out.Items ?? []).map((item) => String(item.eventId)));
  }
  return ids.sort();
}

export function verifyOwnLog(t: TestGateway, tileHeight?: number): Promise<LogVerification> {
  return verifyLog(
    { doc: t.storage.doc, tables: t.storage.tables, ...(tileHeight ? { tileHeight } : {}) },
    { origin: auditOrigin(t.gateway.province), publicKey: t.keys.audit.publicJwk },
  );
}

/**
 * The log holds every stored event exactly once, each at the leaf its `leafIndex` names, nothing
 * waits in the pending index, and a full verification finds nothing.
 */
export async function expectEveryEventOnce(t: TestGateway, tileHeight?: number): Promise<void> {
  const events = await auditItems(t);
  const leaves = await leafItems(t, tileHeight);
  expect(leaves.map((l) => l.index)).toEqual(leaves.map((_, i) => i));
  expect(new Set(leaves.map((l) => l.eventId)).size).toBe(leaves.length);
  expect(leaves.map((l) => String(l.eventId)).sort()).toEqual(events.map((e) => String(e.eventId)).sort());
  for (const e of events) expect(leaves[Number(e.leafIndex)]?.eventId).toBe(e.eventId);
  expect(events.filter((e) => 'pendingShard' in e)).toEqual([]);
  expect(await pendingIds(t)).toEqual([]);
  const verification = await verifyOwnLog(t, tileHeight);
  expect(verification.findings).toEqual([]);
  expect(verification.treeSize).toBe(events.length);
}

type Send = DynamoDBDocumentClient['send'];

/**
 * A document client that dies, like a process, at the first command `at` picks: that command and
 * every later one fail without reaching DynamoDB.
 */
export function dyingClient(
  doc: DynamoDBDocumentClient,
  at: (command: { name: string; input: Record<string, unknown> }, seen: number) => boolean,
): { doc: DynamoDBDocumentClient; died: () => boolean } {
  let dead = false;
  let seen = 0;
  const send = (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    if (!dead && at({ name: command.constructor.name, input: command.input }, ++seen)) dead = true;
    // As the SDK fails a call it could not complete: through its retry layer, with $metadata.
    if (dead) throw Object.assign(new Error('the sequencer process died here'), { $metadata: {} });
    return (doc.send as (c: unknown) => Promise<unknown>)(command);
  }) as unknown as Send;
  const proxy = new Proxy(doc, {
    get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)),
  });
  return { doc: proxy, died: () => dead };
}

/** Whether a command puts one log item (a tile, an event bundle) whose pk starts with `prefix`. */
export function putsTo(c: { name: string; input: Record<string, unknown> }, prefix: string): boolean {
  const item = c.input.Item as { pk?: unknown } | undefined;
  return c.name === 'PutCommand' && String(item?.pk ?? '').startsWith(prefix);
}

/**
 * A document client that stalls, like a paused process, at the first command `at` picks, until
 * `resume()`; then that command and the rest go through.
 */
export function stallingClient(
  doc: DynamoDBDocumentClient,
  at: (command: { name: string; input: Record<string, unknown> }) => boolean,
): { doc: DynamoDBDocumentClient; stalled: Promise<void>; resume: () => void } {
  let stalled = false;
  let reached: () => void = () => undefined;
  let release: () => void = () => undefined;
  const reachedPromise = new Promise<void>((r) => {
    reached = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  const send = (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    if (!stalled && at({ name: command.constructor.name, input: command.input })) {
      stalled = true;
      reached();
      await released;
    }
    return (doc.send as (c: unknown) => Promise<unknown>)(command);
  }) as unknown as Send;
  const proxy = new Proxy(doc, {
    get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)),
  });
  return { doc: proxy, stalled: reachedPromise, resume: () => release() };
}
