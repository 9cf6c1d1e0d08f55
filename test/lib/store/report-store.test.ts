import { randomBytes } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { AuditAction, type AuditEvent } from '../../../contracts/audit.ts';
import { buildIdentifier } from '../../../contracts/codes/index.ts';
import type { InteropReportOutcome } from '../../../contracts/reports.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { InvalidRequestError } from '../../../lib/errors.ts';
import { newTraceId, ulid } from '../../../lib/ids.ts';
import type {
  ChangeFanout,
  Filing,
  IssuerReport,
  ReportDelivery,
  StoredNotice,
} from '../../../lib/reports/records.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { ReportStore } from '../../../lib/store/report-store.ts';
import { type TableNames, tableNames } from '../../../lib/store/tables.ts';
import { conditionFailures, transact } from '../../../lib/store/transact.ts';

/**
 * The reports table against DynamoDB Local (docs/protocol.md §17.8): every case reads back the
 * items it expects the store to have written, or not written.
 */

const SHANGHAI = '310000';
const ZHEJIANG = '330000';
const SHANGHAI_USCC = '113100000024601315';
const OTHER_USCC = '11330000002502880R';
const TYPE_CODE = '11100000000013338W032';
const TX = { what: 'test', attempts: 1, exhausted: (cause: unknown) => cause as Error };

const identifier = (serial = 'S1', version = '001', issuerCode = SHANGHAI_USCC) =>
  buildIdentifier({ typeCode: TYPE_CODE, issuerCode, serial, version });

let doc: DynamoDBDocumentClient;
let names: TableNames;
let store: ReportStore;
let sent: string[];

beforeAll(() => {
  doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
});

afterAll(() => doc.destroy());

/** Fresh tables for every case: the `OPEN`, `FAN`, `NOTICES` and `DLV` partitions are shared. */
beforeEach(async () => {
  names = tableNames(`rpt${process.pid}-${randomBytes(4).toString('hex')}`);
  await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
  sent = [];
  // Counts the requests the store sends, by command.
  const counted = new Proxy(doc, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  });
  store = new ReportStore(counted, names.reports, new AuditStore(counted, names.audit));
});

function report(overrides: Partial<IssuerReport> = {}): IssuerReport {
  return {
    reportId: `${SHANGHAI}-${ulid()}`,
    filingId: ulid(),
    identifier: identifier(),
    licenseKey: `${TYPE_CODE}.${SHANGHAI_USCC}.S1`,
    issuerUscc: SHANGHAI_USCC,
    fields: [{ path: 'holder.name', problem: 'misspelt', suggested: '张三' }],
    description: 'the name is wrong',
    reporter: { province: ZHEJIANG, kind: 'platform', platform: 'zj-window' },
    receivedAt: '2026-06-01T08:00:00.000Z',
    dueDate: '2026-06-08',
    state: 'open',
    ...overrides,
  };
}

function resolved(from: IssuerReport, resolvedAt: string, reason = 'checked'): IssuerReport {
  return { ...from, state: 'resolved', outcome: 'rejected', reason, resolvedAt, resolvedBy: 'issuer@test' };
}

function filing(overrides: Partial<Filing> = {}): Filing {
  return {
    filingId: ulid(),
    identifier: identifier('S9', '001', OTHER_USCC),
    issuer: ZHEJIANG,
    fields: [{ path: 'validUntil', problem: 'too early' }],
    description: 'the date is wrong',
    filedAt: '2026-06-01T08:00:00.000Z',
    filedBy: { kind: 'platform', platform: 'sh-window', sub: 'platform@test' },
    state: 'delivering',
    ...overrides,
  };
}

function delivery(overrides: Partial<ReportDelivery> = {}): ReportDelivery {
  return {
    deliveryId: ulid(),
    to: ZHEJIANG,
    path: '/v1/interop/reports',
    body: '{}',
    traceId: newTraceId(),
    attempts: 0,
    nextAttemptAt: '2026-06-01T08:00:00.000Z',
    createdAt: '2026-06-01T08:00:00.000Z',
    kind: 'report',
    ...overrides,
  };
}

function event(action: AuditAction, peer?: string): AuditEvent {
  return auditEvent(
    { province: SHANGHAI, traceId: newTraceId(), action, outcome: 'success', ...(peer ? { peer } : {}) },
    new Date('2026-06-01T08:00:00Z'),
  );
}

function notice(at: string, from = ZHEJIANG, overrides: Partial<StoredNotice> = {}): StoredNotice {
  return {
    noticeId: `${from}-${ulid(new Date(at))}`,
    from,
    identifier: identifier('S9', '001', OTHER_USCC),
    change: 'status',
    status: '02',
    time: at,
    receivedAt: at,
    ...overrides,
  };
}

function fanout(createdAt: string): ChangeFanout {
  return {
    fanoutId: ulid(new Date(createdAt)),
    identifiers: [identifier()],
    notice: {
      noticeId: `${SHANGHAI}-${ulid(new Date(createdAt))}`,
      identifier: identifier(),
      change: 'version',
      newIdentifier: identifier('S1', '002'),
      status: '01',
      time: createdAt,
    },
    traceId: newTraceId(),
    createdAt,
  };
}

async function item(pk: string, sk: string) {
  const out = await doc.send(
    new GetCommand({ TableName: names.reports, Key: { pk, sk }, ConsistentRead: true }),
  );
  return out.Item;
}

async function partition(pk: string) {
  const out = await doc.send(
    new QueryCommand({
      TableName: names.reports,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

async function storedEvent(e: AuditEvent) {
  const out = await doc.send(
    new GetCommand({ TableName: names.audit, Key: { eventId: e.eventId }, ConsistentRead: true }),
  );
  return out.Item;
}

/** Every page of a listing, `limit` at a time, and how many pages it took. */
async function allPages<T>(
  list: (after: string | undefined) => Promise<{ items: T[]; next?: string }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await list(after);
    pages++;
    items.push(...page.items);
    if (page.next !== undefined) expect(page.next).toMatch(/^[0-9A-Za-z_-]{1,300}$/);
    after = page.next;
  } while (after !== undefined);
  return { items, pages };
}

describe('a report arriving at its issuer', () => {
  it('is stored once per reporter province and filing id, with its audit event once', async () => {
    const first = report();
    const firstEvent = event(AuditAction.reportReceive, ZHEJIANG);

    const created = await store.receive({ report: first, audit: firstEvent });

    expect(created).toEqual({ created: true, report: first });
    expect(await store.report(first.reportId)).toEqual(first);
    expect(await item(`RCV#${ZHEJIANG}#${first.filingId}`, 'RCV')).toMatchObject({
      reportId: first.reportId,
    });
    expect(await partition(`QUEUE#${SHANGHAI_USCC}`)).toEqual([
      { pk: `QUEUE#${SHANGHAI_USCC}`, sk: `O#${first.dueDate}#${first.reportId}`, ...first },
    ]);
    expect((await partition('OPEN')).map((i) => i.sk)).toEqual([`${first.dueDate}#${first.reportId}`]);
    expect(await storedEvent(firstEvent)).toMatchObject({
      eventId: firstEvent.eventId,
      action: 'report.receive',
    });

    // The same filing again, as a new report with its own id and event.
    const again = report({ filingId: first.filingId, description: 'sent twice' });
    const againEvent = event(AuditAction.reportReceive, ZHEJIANG);
    const repeat = await store.receive({ report: again, audit: againEvent });

    expect(repeat).toEqual({ created: false, report: first });
    expect(await item(`RPT#${again.reportId}`, 'DOC')).toBeUndefined();
    expect(await partition(`QUEUE#${SHANGHAI_USCC}`)).toHaveLength(1);
    expect(await partition('OPEN')).toHaveLength(1);
    expect(await storedEvent(againEvent)).toBeUndefined();

    // The same filing id from another province is another filing.
    const elsewhere = report({
      filingId: first.filingId,
      reporter: { province: '320000', kind: 'platform' },
    });
    expect((await store.receive({ report: elsewhere })).created).toBe(true);
  });

  it('filed in this very province, stores the filing and its report id with it', async () => {
    const r = report({ reporter: { province: SHANGHAI, kind: 'holder', holderHash: 'h1' } });
    const f = filing({
      filingId: r.filingId,
      identifier: r.identifier,
      issuer: SHANGHAI,
      filedBy: { kind: 'holder', holderHash: 'h1', sub: 'holder@test' },
      state: 'open',
      reportId: r.reportId,
      dueDate: r.dueDate,
    });

    await store.receive({ report: r, filing: f, audit: event(AuditAction.reportFile) });

    expect(await store.filing(f.filingId)).toEqual(f);
    expect(await item(`RID#${r.reportId}`, 'FIL')).toMatchObject({ filingId: f.filingId });
    expect(await store.filingByReport(r.reportId)).toEqual(f);
    expect(await store.filingByReport(`${SHANGHAI}-${ulid()}`)).toBeUndefined();
  });
});

describe("a department's queue", () => {
  async function seed() {
    const dues = ['2026-06-10', '2026-06-03', '2026-06-05', '2026-06-05', '2026-06-01', '2026-06-12'];
    const open = dues.map((dueDate) => report({ dueDate }));
    for (const r of open) await store.receive({ report: r });
    // Another department's report never shows.
    await store.receive({ report: report({ issuerUscc: OTHER_USCC, dueDate: '2026-06-04' }) });
    const byDue = [...open].sort((a, b) =>
      `${a.dueDate}#${a.reportId}`.localeCompare(`${b.dueDate}#${b.reportId}`),
    );
    return byDue;
  }

  it('lists open reports by due date then id, in pages that join without gaps, one query a page', async () => {
    const byDue = await seed();
    sent.length = 0;

    const { items, pages } = await allPages((after) =>
      store.openQueue(SHANGHAI_USCC, {}, { limit: 4, ...(after ? { after } : {}) }),
    );

    expect(items).toEqual(byDue);
    expect(pages).toBe(2);
    expect(sent).toEqual(['QueryCommand', 'QueryCommand']);

    // Exactly one page's worth: no empty page after it.
    const exact = await store.openQueue(SHANGHAI_USCC, {}, { limit: 6 });
    expect(exact.items).toHaveLength(6);
    expect(exact.next).toBeUndefined();
  });

  it('takes dueFrom and dueTo as inclusive dates, pages inside the range, and refuses foreign cursors', async () => {
    const byDue = await seed();
    const inRange = byDue.filter((r) => r.dueDate >= '2026-06-03' && r.dueDate <= '2026-06-10');

    const { items, pages } = await allPages((after) =>
      store.openQueue(
        SHANGHAI_USCC,
        { dueFrom: '2026-06-03', dueTo: '2026-06-10' },
        { limit: 1, ...(after ? { after } : {}) },
      ),
    );
    expect(items).toEqual(inRange);
    expect(items.map((r) => r.dueDate)).toEqual(['2026-06-03', '2026-06-05', '2026-06-05', '2026-06-10']);
    expect(pages).toBe(4);

    expect((await store.openQueue(SHANGHAI_USCC, { dueTo: '2026-06-03' }, { limit: 10 })).items).toEqual(
      byDue.slice(0, 2),
    );
    expect((await store.openQueue(SHANGHAI_USCC, { dueFrom: '2026-06-11' }, { limit: 10 })).items).toEqual(
      byDue.slice(5),
    );
    expect(
      await store.openQueue(SHANGHAI_USCC, { dueFrom: '2026-06-11', dueTo: '2026-06-04' }, { limit: 10 }),
    ).toEqual({ items: [] });

    // A cursor before the range (the day turned between pages) goes on at the range's start; a
    // cursor beyond it has nothing after it.
    const early = await store.openQueue(SHANGHAI_USCC, {}, { limit: 1 });
    const late = await store.openQueue(SHANGHAI_USCC, {}, { limit: 5 });
    expect(
      (
        await store.openQueue(
          SHANGHAI_USCC,
          { dueFrom: '2026-06-03' },
          { limit: 2, after: early.next as string },
        )
      ).items,
    ).toEqual(inRange.slice(0, 2));
    expect(
      await store.openQueue(SHANGHAI_USCC, { dueTo: '2026-06-10' }, { limit: 2, after: late.next as string }),
    ).toEqual({ items: [] });
    // A made-up cursor, and one of another list, are refused.
    await expect(store.openQueue(SHANGHAI_USCC, {}, { limit: 1, after: 'bm9wZQ' })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    await expect(
      store.resolvedQueue(SHANGHAI_USCC, { limit: 1, after: early.next as string }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('lists resolved reports most recently resolved first, in pages that join without gaps', async () => {
    const byDue = await seed();
    const times = ['2026-06-02T01:00:00.000Z', '2026-06-04T01:00:00.000Z', '2026-06-03T01:00:00.000Z'];
    const done = byDue.slice(0, 3).map((from, i) => ({ from, to: resolved(from, times[i] as string) }));
    for (const { from, to } of done)
      await store.resolve({ from, to, audit: event(AuditAction.reportResolve) });

    const { items, pages } = await allPages((after) =>
      store.resolvedQueue(SHANGHAI_USCC, { limit: 2, ...(after ? { after } : {}) }),
    );

    expect(items.map((r) => r.resolvedAt)).toEqual([times[1], times[2], times[0]]);
    expect(items).toEqual([done[1]?.to, done[2]?.to, done[0]?.to]);
    expect(pages).toBe(2);
    expect((await store.openQueue(SHANGHAI_USCC, {}, { limit: 10 })).items).toEqual(byDue.slice(3));
    expect((await store.resolvedQueue(OTHER_USCC, { limit: 10 })).items).toEqual([]);
  });
});

describe('resolving a report', () => {
  it('moves its queue item, drops it from OPEN, with the delivery and event; a second time is already', async () => {
    const from = report();
    await store.receive({ report: from });
    const to = resolved(from, '2026-06-02T09:30:00.000Z');
    const outcome = delivery({ to: ZHEJIANG, kind: 'outcome', reportId: from.reportId });
    const audit = event(AuditAction.reportResolve, ZHEJIANG);

    expect(await store.resolve({ from, to, delivery: outcome, audit })).toBe('resolved');

    expect(await store.report(from.reportId)).toEqual(to);
    expect(await partition(`QUEUE#${SHANGHAI_USCC}`)).toEqual([
      { pk: `QUEUE#${SHANGHAI_USCC}`, sk: `R#${to.resolvedAt}#${to.reportId}`, ...to },
    ]);
    expect(await partition('OPEN')).toEqual([]);
    expect(await store.outbox.pending()).toEqual([outcome]);
    expect(await storedEvent(audit)).toBeDefined();

    const twice = event(AuditAction.reportResolve, ZHEJIANG);
    const other = resolved(from, '2026-06-03T09:30:00.000Z', 'again');
    const second = await store.resolve({
      from,
      to: other,
      delivery: delivery({ kind: 'outcome' }),
      audit: twice,
    });

    expect(second).toBe('already');
    expect(await store.report(from.reportId)).toEqual(to);
    expect(await partition(`QUEUE#${SHANGHAI_USCC}`)).toHaveLength(1);
    expect(await store.outbox.pending()).toEqual([outcome]);
    expect(await storedEvent(twice)).toBeUndefined();
    // A report that is not held is not open either.
    const missing = report();
    expect(
      await store.resolve({ from: missing, to: resolved(missing, to.resolvedAt as string), audit: twice }),
    ).toBe('already');
  });

  it('filed in this very province, updates the filing in the same transaction', async () => {
    const from = report({ reporter: { province: SHANGHAI, kind: 'platform', platform: 'sh' } });
    const f = filing({ filingId: from.filingId, issuer: SHANGHAI, state: 'open', reportId: from.reportId });
    await store.receive({ report: from, filing: f });
    const to = resolved(from, '2026-06-02T09:30:00.000Z');
    const updated: Filing = {
      ...f,
      state: 'resolved',
      outcome: 'rejected',
      reason: 'checked',
      resolvedAt: to.resolvedAt,
    };

    await store.resolve({ from, to, filing: updated, audit: event(AuditAction.reportResolve) });

    expect(await store.filing(f.filingId)).toEqual(updated);
    expect(await store.outbox.pending()).toEqual([]);
  });
});

describe('the overdue count', () => {
  it('counts the open reports due before today, every department', async () => {
    const dues = ['2026-05-20', '2026-06-01', '2026-06-02', '2026-06-03'];
    for (const dueDate of dues) await store.receive({ report: report({ dueDate }) });
    await store.receive({ report: report({ dueDate: '2026-05-29', issuerUscc: OTHER_USCC }) });
    const late = report({ dueDate: '2026-05-25' });
    await store.receive({ report: late });
    await store.resolve({
      from: late,
      to: resolved(late, '2026-06-02T00:00:00.000Z'),
      audit: event(AuditAction.reportResolve),
    });

    expect(await store.countOverdue('2026-06-02')).toBe(3);
    expect(await store.countOverdue('2026-05-20')).toBe(0);
    expect(await store.countOverdue('2026-07-01')).toBe(5);
  });
});

describe('the check that a new version answers an open report', () => {
  /** The check in a transaction with a marker put: the marker is stored only when the check passes. */
  async function checked(check: ReturnType<ReportStore['openReportCheck']>) {
    const marker = { pk: `MARK#${ulid()}`, sk: 'M' };
    try {
      await transact(doc, [check, { Put: { TableName: names.reports, Item: marker } }], TX);
      return { passed: true, stored: (await item(marker.pk, marker.sk)) !== undefined };
    } catch (err) {
      expect(err).toBeInstanceOf(TransactionCanceledException);
      expect(conditionFailures(err)).toEqual([0]);
      return { passed: false, stored: (await item(marker.pk, marker.sk)) !== undefined };
    }
  }

  it('passes for an open report of that license and department only', async () => {
    const open = report();
    const done = report();
    await store.receive({ report: open });
    await store.receive({ report: done });
    await store.resolve({
      from: done,
      to: resolved(done, '2026-06-02T00:00:00.000Z'),
      audit: event(AuditAction.reportResolve),
    });

    expect(await checked(store.openReportCheck(open.reportId, open.licenseKey, SHANGHAI_USCC))).toEqual({
      passed: true,
      stored: true,
    });
    const refused = { passed: false, stored: false };
    expect(await checked(store.openReportCheck(done.reportId, done.licenseKey, SHANGHAI_USCC))).toEqual(
      refused,
    );
    expect(await checked(store.openReportCheck(open.reportId, `${open.licenseKey}X`, SHANGHAI_USCC))).toEqual(
      refused,
    );
    expect(await checked(store.openReportCheck(open.reportId, open.licenseKey, OTHER_USCC))).toEqual(refused);
    expect(
      await checked(store.openReportCheck(`${SHANGHAI}-${ulid()}`, open.licenseKey, SHANGHAI_USCC)),
    ).toEqual(refused);
  });
});

describe('a filing at the reporting province', () => {
  it('is stored with its delivery and event, then settled open or refused with the delivery gone', async () => {
    const open = filing();
    const openDelivery = delivery({ filingId: open.filingId });
    const openEvent = event(AuditAction.reportFile);
    const refused = filing();
    const refusedDelivery = delivery({ filingId: refused.filingId });

    await store.file({ filing: open, delivery: openDelivery, audit: openEvent });
    await store.file({ filing: refused, delivery: refusedDelivery, audit: event(AuditAction.reportFile) });

    expect(await store.filing(open.filingId)).toEqual(open);
    expect(await storedEvent(openEvent)).toBeDefined();
    expect(await store.outbox.pending()).toHaveLength(2);
    // A filing id is stored once.
    await expect(
      store.file({ filing: open, delivery: delivery(), audit: event(AuditAction.reportFile) }),
    ).rejects.toBeInstanceOf(TransactionCanceledException);

    const reportId = `${ZHEJIANG}-${ulid()}`;
    await store.settleFiling(openDelivery, open.filingId, {
      state: 'open',
      reportId,
      dueDate: '2026-06-08',
      receipt: 'receipt-1',
    });
    const refusal = { status: 404, code: 'NOT_FOUND' as const, message: 'no such license' };
    await store.settleFiling(refusedDelivery, refused.filingId, {
      state: 'refused',
      refusal,
      receipt: 'receipt-2',
    });

    const settled: Filing = { ...open, state: 'open', reportId, dueDate: '2026-06-08', receipt: 'receipt-1' };
    expect(await store.filing(open.filingId)).toEqual(settled);
    expect(await item(`RID#${reportId}`, 'FIL')).toMatchObject({ filingId: open.filingId });
    expect(await store.filingByReport(reportId)).toEqual(settled);
    expect(await store.filing(refused.filingId)).toEqual({
      ...refused,
      state: 'refused',
      refusal,
      receipt: 'receipt-2',
    });
    expect(await store.outbox.pending()).toEqual([]);
  });

  it('already settled, is left as it is and only the delivery goes', async () => {
    const f = filing();
    const first = delivery({ filingId: f.filingId });
    await store.file({ filing: f, delivery: first, audit: event(AuditAction.reportFile) });
    const reportId = `${ZHEJIANG}-${ulid()}`;
    await store.settleFiling(first, f.filingId, {
      state: 'open',
      reportId,
      dueDate: '2026-06-08',
      receipt: 'r1',
    });
    const before = await item(`FIL#${f.filingId}`, 'DOC');
    // A second delivery of the same filing, answered differently.
    const second = delivery({ filingId: f.filingId, deliveryId: ulid() });
    await transact(doc, [store.outbox.putItem(second)], TX);

    await store.settleFiling(second, f.filingId, {
      state: 'refused',
      refusal: { status: 403, code: 'FORBIDDEN', message: 'no' },
      receipt: 'r2',
    });

    expect(await item(`FIL#${f.filingId}`, 'DOC')).toEqual(before);
    expect(await store.outbox.pending()).toEqual([]);
    // Its delivery already gone too: nothing to do, nothing fails.
    await store.settleFiling(second, f.filingId, {
      state: 'open',
      reportId,
      dueDate: '2026-06-08',
      receipt: 'r3',
    });
    expect(await item(`FIL#${f.filingId}`, 'DOC')).toEqual(before);
  });

  it('still delivering whose leased delivery another worker holds, takes the answer anyway', async () => {
    const f = filing();
    const leased = delivery({ filingId: f.filingId });
    await store.file({ filing: f, delivery: leased, audit: event(AuditAction.reportFile) });
    const moved = await store.outbox.reschedule(leased, {
      attempts: 1,
      nextAttemptAt: '2026-06-01T08:01:00.000Z',
    });
    const reportId = `${ZHEJIANG}-${ulid()}`;

    await store.settleFiling(leased, f.filingId, {
      state: 'open',
      reportId,
      dueDate: '2026-06-08',
      receipt: 'r1',
    });

    expect(await store.filing(f.filingId)).toMatchObject({ state: 'open', reportId, receipt: 'r1' });
    expect(await store.outbox.pending()).toEqual([moved]);
  });
});

describe("an issuer's outcome of a filing", () => {
  function outcomeOf(f: Filing, reportId: string, overrides: Partial<InteropReportOutcome> = {}) {
    return {
      reportId,
      filingId: f.filingId,
      identifier: f.identifier,
      outcome: 'rejected',
      reason: 'the name is right',
      resolvedAt: '2026-06-05T02:00:00.000Z',
      ...overrides,
    } as InteropReportOutcome;
  }

  it('is recorded once, held when repeated, a conflict when different, unknown from elsewhere', async () => {
    const reportId = `${ZHEJIANG}-${ulid()}`;
    const f = filing({ state: 'open', reportId, dueDate: '2026-06-08', receipt: 'r1' });
    await store.file({ filing: f, delivery: delivery(), audit: event(AuditAction.reportFile) });
    const newIdentifier = identifier('S9', '002', OTHER_USCC);
    const outcome = outcomeOf(f, reportId, { outcome: 'corrected', newIdentifier });

    expect(await store.recordOutcome(outcome, ZHEJIANG)).toBe('recorded');
    const recorded: Filing = {
      ...f,
      state: 'resolved',
      outcome: 'corrected',
      reason: outcome.reason,
      newIdentifier,
      resolvedAt: outcome.resolvedAt,
    };
    expect(await store.filing(f.filingId)).toEqual(recorded);

    expect(await store.recordOutcome({ ...outcome, resolvedAt: '2026-06-06T00:00:00.000Z' }, ZHEJIANG)).toBe(
      'held',
    );
    expect(await store.recordOutcome({ ...outcome, reason: 'another reason' }, ZHEJIANG)).toBe('conflict');
    expect(await store.recordOutcome(outcomeOf(f, reportId), ZHEJIANG)).toBe('conflict');
    expect(await store.recordOutcome(outcome, '320000')).toBe('unknown');
    expect(await store.recordOutcome({ ...outcome, reportId: `${ZHEJIANG}-${ulid()}` }, ZHEJIANG)).toBe(
      'unknown',
    );
    expect(await store.recordOutcome({ ...outcome, filingId: ulid() }, ZHEJIANG)).toBe('unknown');
    expect(await store.filing(f.filingId)).toEqual(recorded);
  });

  it('of a filing still delivering (its answer lost), records the report id too', async () => {
    const f = filing();
    await store.file({
      filing: f,
      delivery: delivery({ filingId: f.filingId }),
      audit: event(AuditAction.reportFile),
    });
    const reportId = `${ZHEJIANG}-${ulid()}`;

    expect(await store.recordOutcome(outcomeOf(f, reportId), ZHEJIANG)).toBe('recorded');

    expect(await store.filing(f.filingId)).toEqual({
      ...f,
      state: 'resolved',
      reportId,
      outcome: 'rejected',
      reason: 'the name is right',
      resolvedAt: '2026-06-05T02:00:00.000Z',
    });
    expect(await item(`RID#${reportId}`, 'FIL')).toMatchObject({ filingId: f.filingId });
    expect((await store.filingByReport(reportId))?.filingId).toBe(f.filingId);
    expect(await store.recordOutcome(outcomeOf(f, reportId), ZHEJIANG)).toBe('held');
  });
});

describe("an issuer's outcome of a refused filing", () => {
  it('is recorded: the issuer holds the report after all, and the filing is no longer refused', async () => {
    const f = filing();
    const leased = delivery({ filingId: f.filingId });
    await store.file({ filing: f, delivery: leased, audit: event(AuditAction.reportFile) });
    const refusal = { status: 403, code: 'AGREEMENT_REQUIRED' as const, message: 'withdrawn' };
    await store.settleFiling(leased, f.filingId, { state: 'refused', refusal, receipt: 'r1' });
    const reportId = `${ZHEJIANG}-${ulid()}`;
    const outcome = {
      reportId,
      filingId: f.filingId,
      identifier: f.identifier,
      outcome: 'duplicate',
      reason: 'filed twice',
      resolvedAt: '2026-06-05T02:00:00.000Z',
    } as const;

    expect(await store.recordOutcome(outcome, ZHEJIANG)).toBe('recorded');

    const stored = await item(`FIL#${f.filingId}`, 'DOC');
    expect(stored).toMatchObject({ state: 'resolved', reportId, outcome: 'duplicate', receipt: 'r1' });
    expect(stored).not.toHaveProperty('refusal');
    expect((await store.filingByReport(reportId))?.filingId).toBe(f.filingId);
  });
});

describe('change fan-outs', () => {
  it('wait oldest first, expand once into deliveries, the local notice and events', async () => {
    const older = fanout('2026-06-01T08:00:00.000Z');
    const newer = fanout('2026-06-01T09:00:00.000Z');
    await transact(doc, [store.fanoutItem(newer)], TX);
    await transact(doc, [store.fanoutItem(older)], TX);
    // A fan-out is put once.
    await expect(transact(doc, [store.fanoutItem(older)], TX)).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );

    expect(await store.pendingFanouts(10)).toEqual([older, newer]);
    expect(await store.pendingFanouts(1)).toEqual([older]);

    const deliveries = [ZHEJIANG, '320000'].map((to) =>
      delivery({ to, kind: 'notice', path: '/v1/interop/notices', noticeId: older.notice.noticeId }),
    );
    const local: StoredNotice = {
      noticeId: older.notice.noticeId,
      from: SHANGHAI,
      identifier: older.notice.identifier,
      change: 'version',
      newIdentifier: older.notice.newIdentifier,
      status: '01',
      time: older.notice.time,
      receivedAt: older.createdAt,
    };
    const audits = [ZHEJIANG, '320000', SHANGHAI].map((p) => event(AuditAction.noticeSend, p));

    expect(await store.expandFanout({ fanout: older, deliveries, local, audits })).toBe(true);

    expect(await store.pendingFanouts(10)).toEqual([newer]);
    expect(await store.outbox.pending()).toEqual(expect.arrayContaining(deliveries));
    expect(await store.outbox.pending()).toHaveLength(2);
    expect((await store.notices({ limit: 10 })).items).toEqual([local]);
    for (const a of audits) expect(await storedEvent(a)).toBeDefined();

    // Another round expanding the same fan-out writes nothing.
    const late = delivery({ kind: 'notice', noticeId: older.notice.noticeId });
    const lateEvent = event(AuditAction.noticeSend, ZHEJIANG);
    expect(await store.expandFanout({ fanout: older, deliveries: [late], audits: [lateEvent] })).toBe(false);
    expect(await store.outbox.pending()).toHaveLength(2);
    expect(await storedEvent(lateEvent)).toBeUndefined();
  });

  it('refuses an expansion past the 100 items of one transaction before sending anything', async () => {
    const f = fanout('2026-06-01T08:00:00.000Z');
    await transact(doc, [store.fanoutItem(f)], TX);
    const deliveries = Array.from({ length: 50 }, () => delivery({ kind: 'notice' }));
    const audits = Array.from({ length: 50 }, () => event(AuditAction.noticeSend, ZHEJIANG));
    sent.length = 0;

    await expect(store.expandFanout({ fanout: f, deliveries, audits })).rejects.toBeInstanceOf(TypeError);

    expect(sent).toEqual([]);
    expect(await store.pendingFanouts(10)).toEqual([f]);
    // 34 provinces' deliveries and events fit.
    expect(
      await store.expandFanout({
        fanout: f,
        deliveries: deliveries.slice(0, 33),
        audits: audits.slice(0, 34),
      }),
    ).toBe(true);
    expect(await store.outbox.pending()).toHaveLength(33);
  });
});

describe('change notices received', () => {
  it('are stored once by notice id and read newest first, in pages that join without gaps', async () => {
    const times = [
      '2026-06-01T08:00:00.000Z',
      '2026-06-01T10:00:00.000Z',
      '2026-06-01T09:00:00.000Z',
      '2026-06-02T08:00:00.000Z',
      '2026-06-01T11:00:00.000Z',
    ];
    const received = times.map((t, i) => notice(t, i % 2 === 0 ? ZHEJIANG : '320000'));
    for (const n of received) expect(await store.receiveNotice(n)).toBe('stored');

    const first = received[0] as StoredNotice;
    expect(await store.receiveNotice({ ...first, receivedAt: '2026-06-03T00:00:00.000Z' })).toBe('held');
    const [ulidPart] = first.noticeId.split('-').slice(1);
    expect(await item('NOTICES', `${ulidPart}#${ZHEJIANG}`)).toMatchObject({ receivedAt: first.receivedAt });

    const { items, pages } = await allPages((after) =>
      store.notices({ limit: 2, ...(after ? { after } : {}) }),
    );

    const newestFirst = [...received].sort((a, b) => b.time.localeCompare(a.time));
    expect(items).toEqual(newestFirst);
    expect(pages).toBe(3);
    await expect(store.notices({ limit: 2, after: 'bm9wZQ' })).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
