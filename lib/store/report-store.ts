import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../contracts/audit.ts';
import type { InteropReportOutcome } from '../../contracts/reports.ts';
import type { FilingAnswer, OutcomeRecorded, Page, ReportRepository } from '../../functions/reports/ports.ts';
import { DependencyUnavailableError } from '../errors.ts';
import {
  type ChangeFanout,
  ChangeFanoutSchema,
  type Filing,
  FilingSchema,
  type IssuerReport,
  IssuerReportSchema,
  type ReportDelivery,
  ReportDeliverySchema,
  type StoredNotice,
  StoredNoticeSchema,
} from '../reports/records.ts';
import type { AuditStore } from './audit-store.ts';
import { OutboxTable } from './outbox.ts';
import {
  CursorShape,
  DLV_PK,
  decodeCursor,
  FAN_PK,
  fanoutKey,
  filingKey,
  type Key,
  NOTICES_PK,
  nextOf,
  noticeKey,
  OPEN_PK,
  openKey,
  openQueueKey,
  queuePk,
  ReportItems,
  receivedKey,
  reportFilingKey,
  reportKey,
  resolvedQueueKey,
  strip,
  TRANSACTION_MAX_ITEMS,
  TX,
  WHAT,
} from './report-items.ts';
import { conditionFailures, guard, storageFailure, type TransactItems, transact } from './transact.ts';

/**
 * DynamoDB adapter of the reports table, in the item layout of docs/protocol.md §17.8 (keys in
 * lib/store/report-items.ts). At the issuer: each report (`RPT#`), the duplicate guard of each
 * delivered filing (`RCV#`), each department's queue (`QUEUE#<uscc>`, open ones by due date and
 * resolved ones by resolution time, each item a copy of the report, so a page is one query) and
 * every open report by due date (`OPEN`, for the overdue count); the change fan-outs waiting to
 * be expanded (`FAN`). At the reporter: each filing (`FIL#`) and the filing an issuer's report id
 * names (`RID#`). The notices received (`NOTICES`) and the outbox of signed deliveries (`DLV`).
 * Every change is one transaction with its audit event and the deliveries it causes.
 */
export class ReportStore implements ReportRepository {
  /** Reports to their issuer, outcomes to their reporter, notices to the provinces that verified. */
  readonly outbox: OutboxTable<ReportDelivery>;
  private readonly items: ReportItems;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly audit: AuditStore,
  ) {
    this.outbox = new OutboxTable(doc, tableName, ReportDeliverySchema, DLV_PK, WHAT);
    this.items = new ReportItems(tableName);
  }

  // The issuing side.

  async receive(input: {
    report: IssuerReport;
    filing?: Filing;
    audit?: AuditEvent;
  }): Promise<{ created: true; report: IssuerReport } | { created: false; report: IssuerReport }> {
    const { report, filing, audit } = input;
    if (report.state !== 'open')
      throw new TypeError(`report ${report.reportId} arrives open, not ${report.state}`);
    const guardKey = receivedKey(report.reporter.province, report.filingId);
    const items: TransactItems = [
      // Index 0: a condition failure here is the same filing arriving again.
      this.items.putNew({ ...guardKey, reportId: report.reportId }),
      this.items.putNew({ ...reportKey(report.reportId), ...report }),
      this.items.put({ ...openQueueKey(report), ...report }),
      this.items.put(openKey(report)),
      ...(filing ? this.items.filingWithReport(filing, report.reportId) : []),
      ...(audit ? [{ Put: this.audit.putItem(audit) }] : []),
    ];
    try {
      await transact(this.doc, items, TX);
      return { created: true, report };
    } catch (err) {
      if (!conditionFailures(err).includes(0)) throw err;
    }
    const held = await this.get(guardKey);
    const reportId = typeof held?.reportId === 'string' ? held.reportId : undefined;
    const found = reportId === undefined ? undefined : await this.report(reportId);
    if (!found) {
      throw new Error(`filing ${report.filingId} of ${report.reporter.province} names no report held here`);
    }
    return { created: false, report: found };
  }

  async report(reportId: string): Promise<IssuerReport | undefined> {
    const item = await this.get(reportKey(reportId));
    return item ? IssuerReportSchema.parse(strip(item)) : undefined;
  }

  async openQueue(
    uscc: string,
    range: { dueFrom?: string; dueTo?: string },
    page: { limit: number; after?: string },
  ): Promise<Page<IssuerReport>> {
    const lo = `O#${range.dueFrom ?? ''}`;
    const hi = `O#${range.dueTo ?? '~'}#~`;
    const after = page.after === undefined ? undefined : decodeCursor(page.after, CursorShape.open);
    // A range that moved past its cursor (the day turned between pages) goes on from where the
    // range is: before it, the whole range follows the cursor; beyond it, nothing does.
    if (lo > hi || (after !== undefined && after >= hi)) return { items: [] };
    return this.queuePage(uscc, page.limit, after !== undefined && after >= lo ? after : undefined, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':lo': lo, ':hi': hi },
    });
  }

  async resolvedQueue(uscc: string, page: { limit: number; after?: string }): Promise<Page<IssuerReport>> {
    const after = page.after === undefined ? undefined : decodeCursor(page.after, CursorShape.resolved);
    return this.queuePage(uscc, page.limit, after, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
      ExpressionAttributeValues: { ':r': 'R#' },
      ScanIndexForward: false,
    });
  }

  async resolve(input: {
    from: IssuerReport;
    to: IssuerReport;
    delivery?: ReportDelivery;
    filing?: Filing;
    audit: AuditEvent;
  }): Promise<'resolved' | 'already'> {
    const { from, to } = input;
    const { resolvedAt } = to;
    if (
      to.state !== 'resolved' ||
      resolvedAt === undefined ||
      to.reportId !== from.reportId ||
      to.issuerUscc !== from.issuerUscc ||
      to.dueDate !== from.dueDate
    ) {
      throw new TypeError(
        `report ${from.reportId} resolves to the same report (department, due date), resolved, with resolvedAt`,
      );
    }
    const items: TransactItems = [
      // Index 0: only an open report is resolved.
      this.items.resolvedReport(to),
      this.items.delete(openQueueKey(from)),
      this.items.put({ ...resolvedQueueKey({ ...to, resolvedAt }), ...to }),
      this.items.delete(openKey(from)),
      ...(input.delivery ? [this.outbox.putItem(input.delivery)] : []),
      ...(input.filing ? [this.items.put({ ...filingKey(input.filing.filingId), ...input.filing })] : []),
      { Put: this.audit.putItem(input.audit) },
    ];
    try {
      await transact(this.doc, items, TX);
      return 'resolved';
    } catch (err) {
      if (conditionFailures(err).includes(0)) return 'already';
      throw err;
    }
  }

  async countOverdue(today: string): Promise<number> {
    let count = 0;
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const out = await guard(
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk < :today',
            ExpressionAttributeValues: { ':pk': OPEN_PK, ':today': today },
            Select: 'COUNT',
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
        WHAT,
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  openReportCheck(reportId: string, licenseKey: string, issuerUscc: string): TransactItems[number] {
    return this.items.openReportCheck(reportId, licenseKey, issuerUscc);
  }

  // The reporting side.

  async file(input: { filing: Filing; delivery: ReportDelivery; audit: AuditEvent }): Promise<void> {
    await transact(
      this.doc,
      [
        this.items.putNew({ ...filingKey(input.filing.filingId), ...input.filing }),
        this.outbox.putItem(input.delivery),
        { Put: this.audit.putItem(input.audit) },
      ],
      TX,
    );
  }

  async filing(filingId: string): Promise<Filing | undefined> {
    const item = await this.get(filingKey(filingId));
    return item ? FilingSchema.parse(strip(item)) : undefined;
  }

  async filingByReport(reportId: string): Promise<Filing | undefined> {
    const item = await this.get(reportFilingKey(reportId));
    return typeof item?.filingId === 'string' ? this.filing(item.filingId) : undefined;
  }

  async settleFiling(leased: ReportDelivery, filingId: string, answer: FilingAnswer): Promise<void> {
    const settle: TransactItems = [
      // Index 0: only a filing still delivering takes the answer.
      this.items.settledFiling(filingId, answer),
      ...(answer.state === 'open' ? [this.items.put({ ...reportFilingKey(answer.reportId), filingId })] : []),
    ];
    let failed: number[];
    try {
      await transact(this.doc, [...settle, this.outbox.deleteItem(leased)], TX);
      return;
    } catch (err) {
      failed = conditionFailures(err);
      if (failed.length === 0) throw err;
    }
    if (failed.includes(0)) {
      // Answered meanwhile: the filing stays as it is, and the delivery still goes.
      await this.outbox.complete(leased);
      return;
    }
    // The delivery is no longer where this worker leased it (another one holds it, and will find
    // the filing answered): the answer is still the issuer's, and is kept.
    try {
      await transact(this.doc, settle, TX);
    } catch (err) {
      if (!conditionFailures(err).includes(0)) throw err;
    }
  }

  async recordOutcome(outcome: InteropReportOutcome, from: string): Promise<OutcomeRecorded> {
    for (let attempt = 1; ; attempt++) {
      const filing = await this.filing(outcome.filingId);
      if (!filing || filing.issuer !== from) return 'unknown';
      if (filing.reportId !== undefined && filing.reportId !== outcome.reportId) return 'unknown';
      if (filing.state === 'resolved') {
        const same =
          filing.outcome === outcome.outcome &&
          filing.reason === outcome.reason &&
          filing.newIdentifier === outcome.newIdentifier;
        return same ? 'held' : 'conflict';
      }
      const items: TransactItems = [
        this.items.resolvedFiling(filing, outcome),
        ...(filing.reportId === undefined
          ? [this.items.put({ ...reportFilingKey(outcome.reportId), filingId: filing.filingId })]
          : []),
      ];
      try {
        await transact(this.doc, items, TX);
        return 'recorded';
      } catch (err) {
        if (!conditionFailures(err).includes(0)) throw err;
        if (attempt >= 2) throw new DependencyUnavailableError(`${WHAT} (concurrent changes)`, err);
      }
    }
  }

  // Change notices.

  fanoutItem(fanout: ChangeFanout): TransactItems[number] {
    return this.items.putNew({ ...fanoutKey(fanout), ...fanout });
  }

  async pendingFanouts(limit: number): Promise<ChangeFanout[]> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': FAN_PK },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
      WHAT,
    );
    return (out.Items ?? []).map((i) => ChangeFanoutSchema.parse(strip(i)));
  }

  async expandFanout(input: {
    fanout: ChangeFanout;
    deliveries: ReportDelivery[];
    local?: StoredNotice;
    audits: AuditEvent[];
  }): Promise<boolean> {
    const items: TransactItems = [
      // Index 0: the fan-out is expanded once.
      this.items.deleteHeld(fanoutKey(input.fanout)),
      ...input.deliveries.map((d) => this.outbox.putItem(d)),
      ...(input.local ? [this.items.putNew({ ...noticeKey(input.local.noticeId), ...input.local })] : []),
      ...input.audits.map((a) => ({ Put: this.audit.putItem(a) })),
    ];
    if (items.length > TRANSACTION_MAX_ITEMS) {
      throw new TypeError(
        `fan-out ${input.fanout.fanoutId} takes ${items.length} items, over the ${TRANSACTION_MAX_ITEMS} of one transaction`,
      );
    }
    try {
      await transact(this.doc, items, TX);
      return true;
    } catch (err) {
      if (conditionFailures(err).includes(0)) return false;
      throw err;
    }
  }

  async receiveNotice(notice: StoredNotice): Promise<'stored' | 'held'> {
    const { Put } = this.items.putNew({ ...noticeKey(notice.noticeId), ...notice });
    try {
      await this.doc.send(new PutCommand(Put));
      return 'stored';
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return 'held';
      throw storageFailure(WHAT, err);
    }
  }

  async notices(page: { limit: number; after?: string }): Promise<Page<StoredNotice>> {
    const after = page.after === undefined ? undefined : decodeCursor(page.after, CursorShape.notices);
    const { items, next } = await this.page(NOTICES_PK, page.limit, after, {
      KeyConditionExpression: 'pk = :pk',
      ScanIndexForward: false,
    });
    return { items: items.map((i) => StoredNoticeSchema.parse(strip(i))), ...(next ? { next } : {}) };
  }

  // Helpers.

  private async queuePage(
    uscc: string,
    limit: number,
    after: string | undefined,
    query: PageQuery,
  ): Promise<Page<IssuerReport>> {
    const { items, next } = await this.page(queuePk(uscc), limit, after, query);
    return { items: items.map((i) => IssuerReportSchema.parse(strip(i))), ...(next ? { next } : {}) };
  }

  /**
   * One query of partition `pk`: up to `limit` items after sort key `after`, and where the next
   * page starts (one item more is read, so the last page says so).
   */
  private async page(
    pk: string,
    limit: number,
    after: string | undefined,
    query: PageQuery,
  ): Promise<{ items: Record<string, unknown>[]; next?: string }> {
    const out = await guard(
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          ...query,
          ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':pk': pk },
          ConsistentRead: true,
          Limit: limit + 1,
          ...(after === undefined ? {} : { ExclusiveStartKey: { pk, sk: after } }),
        }),
      ),
      WHAT,
    );
    const items = out.Items ?? [];
    const next = nextOf(items, limit, out.LastEvaluatedKey);
    return { items: items.slice(0, limit), ...(next ? { next } : {}) };
  }

  private async get(key: Key): Promise<Record<string, unknown> | undefined> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
      WHAT,
    );
    return out.Item;
  }
}

/** What a listing's query says besides its partition and page. */
type PageQuery = Pick<
  QueryCommandInput,
  'KeyConditionExpression' | 'ExpressionAttributeValues' | 'ScanIndexForward'
>;
