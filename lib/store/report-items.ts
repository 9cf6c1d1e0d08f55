import type { InteropReportOutcome } from '../../contracts/reports.ts';
import type { FilingAnswer } from '../../functions/reports/ports.ts';
import { DependencyUnavailableError, InvalidRequestError } from '../errors.ts';
import type { Filing, IssuerReport } from '../reports/records.ts';
import type { TransactItems } from './transact.ts';

/**
 * The item layout of the reports table (docs/protocol.md §17.8), for lib/store/report-store.ts:
 * the keys of every item, the transaction items of its changes, the page cursors of its
 * listings, and what is stripped off an item before its record is parsed.
 */

export const WHAT = 'the reports table';
export const TX = {
  what: WHAT,
  attempts: 6,
  exhausted: (cause: unknown) => new DependencyUnavailableError(`${WHAT} (concurrent changes)`, cause),
};

/** DynamoDB's limit on the items of one transaction. */
export const TRANSACTION_MAX_ITEMS = 100;

export const DOC = 'DOC';
/** The outbox (lib/store/outbox.ts): due deliveries are a range query under `DLV`. */
export const DLV_PK = 'DLV';
export const OPEN_PK = 'OPEN';
export const FAN_PK = 'FAN';
export const NOTICES_PK = 'NOTICES';

export type Key = { pk: string; sk: string };

export const reportKey = (reportId: string): Key => ({ pk: `RPT#${reportId}`, sk: DOC });
/** Which report a delivered filing became: the duplicate guard of a report's arrival. */
export const receivedKey = (province: string, filingId: string): Key => ({
  pk: `RCV#${province}#${filingId}`,
  sk: 'RCV',
});
export const queuePk = (uscc: string) => `QUEUE#${uscc}`;
export const openQueueKey = (r: { issuerUscc: string; dueDate: string; reportId: string }): Key => ({
  pk: queuePk(r.issuerUscc),
  sk: `O#${r.dueDate}#${r.reportId}`,
});
export const resolvedQueueKey = (r: { issuerUscc: string; resolvedAt: string; reportId: string }): Key => ({
  pk: queuePk(r.issuerUscc),
  sk: `R#${r.resolvedAt}#${r.reportId}`,
});
export const openKey = (r: { dueDate: string; reportId: string }): Key => ({
  pk: OPEN_PK,
  sk: `${r.dueDate}#${r.reportId}`,
});
export const filingKey = (filingId: string): Key => ({ pk: `FIL#${filingId}`, sk: DOC });
/** The filing an issuer's report id names, at the reporting province. */
export const reportFilingKey = (reportId: string): Key => ({ pk: `RID#${reportId}`, sk: 'FIL' });
export const fanoutKey = (f: { createdAt: string; fanoutId: string }): Key => ({
  pk: FAN_PK,
  sk: `${f.createdAt}#${f.fanoutId}`,
});

/** A notice id is `<province>-<ULID>`; its item sorts by the ULID, so the inbox reads newest first. */
export function noticeKey(noticeId: string): Key {
  const [province, id, ...rest] = noticeId.split('-');
  if (!province || !id || rest.length > 0) throw new TypeError(`${noticeId} is not a notice id`);
  return { pk: NOTICES_PK, sk: `${id}#${province}` };
}

/** An item's record without its keys, for the record's schema to parse. */
export function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

/**
 * The transaction items of the reports table, bound to its name: what lib/store/report-store.ts
 * puts together into one transaction per change.
 */
export class ReportItems {
  constructor(private readonly tableName: string) {}

  put(item: Key & Record<string, unknown>): TransactItems[number] {
    return { Put: { TableName: this.tableName, Item: item } };
  }

  /** A put that fails its condition when the item is already there. */
  putNew(item: Key & Record<string, unknown>) {
    return {
      Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
    } satisfies TransactItems[number];
  }

  delete(key: Key): TransactItems[number] {
    return { Delete: { TableName: this.tableName, Key: key } };
  }

  /** A delete that fails its condition when the item is gone. */
  deleteHeld(key: Key): TransactItems[number] {
    return {
      Delete: { TableName: this.tableName, Key: key, ConditionExpression: 'attribute_exists(pk)' },
    };
  }

  /** The report as resolved, in place of the report held, only while that one is open. */
  resolvedReport(to: IssuerReport): TransactItems[number] {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...reportKey(to.reportId), ...to },
        ConditionExpression: '#state = :open',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':open': 'open' },
      },
    };
  }

  /** The report is held, open, of this license and of this department. */
  openReportCheck(reportId: string, licenseKey: string, issuerUscc: string): TransactItems[number] {
    return {
      ConditionCheck: {
        TableName: this.tableName,
        Key: reportKey(reportId),
        ConditionExpression:
          'attribute_exists(pk) AND #state = :open AND licenseKey = :licenseKey AND issuerUscc = :uscc',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':open': 'open', ':licenseKey': licenseKey, ':uscc': issuerUscc },
      },
    };
  }

  /** A filing and the index from its issuer's report id to it. */
  filingWithReport(filing: Filing, reportId: string): TransactItems {
    return [
      this.putNew({ ...filingKey(filing.filingId), ...filing }),
      this.put({ ...reportFilingKey(reportId), filingId: filing.filingId }),
    ];
  }

  /** The issuer's answer to a filing's delivery, only while the filing is still delivering. */
  settledFiling(filingId: string, answer: FilingAnswer): TransactItems[number] {
    const change: Partial<Filing> =
      answer.state === 'open'
        ? { state: 'open', reportId: answer.reportId, dueDate: answer.dueDate, receipt: answer.receipt }
        : { state: 'refused', refusal: answer.refusal, receipt: answer.receipt };
    return this.update(filingKey(filingId), update(change), '#state = :delivering', {
      '#state': 'state',
      ':delivering': 'delivering',
    });
  }

  /**
   * The issuer's outcome of a filing, only while the filing is in the state it was read in. A
   * refused filing the issuer answers after all holds a report there: it is no longer refused.
   */
  resolvedFiling(filing: Filing, outcome: InteropReportOutcome): TransactItems[number] {
    const change: Partial<Filing> = {
      state: 'resolved',
      reportId: outcome.reportId,
      outcome: outcome.outcome,
      reason: outcome.reason,
      newIdentifier: outcome.newIdentifier,
      resolvedAt: outcome.resolvedAt,
    };
    const remove = ['refusal', ...(outcome.newIdentifier === undefined ? ['newIdentifier'] : [])];
    return this.update(filingKey(filing.filingId), update(change, remove), '#state = :read', {
      '#state': 'state',
      ':read': filing.state,
    });
  }

  private update(
    key: Key,
    change: ReturnType<typeof update>,
    condition: string,
    bindings: Record<string, string>,
  ): TransactItems[number] {
    const names = Object.fromEntries(Object.entries(bindings).filter(([k]) => k.startsWith('#')));
    const values = Object.fromEntries(Object.entries(bindings).filter(([k]) => k.startsWith(':')));
    return {
      Update: {
        TableName: this.tableName,
        Key: key,
        UpdateExpression: change.expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: { ...change.names, ...names },
        ExpressionAttributeValues: { ...change.values, ...values },
      },
    };
  }
}

/**
 * `SET #a = :a, …` over the defined attributes of `values`, and `REMOVE` of `remove`, every name
 * through `#a` (so reserved words such as `state` need no care).
 */
function update(values: Record<string, unknown>, remove: readonly string[] = []) {
  const set = Object.entries(values).filter(([, v]) => v !== undefined);
  const names: Record<string, string> = {};
  const bound: Record<string, unknown> = {};
  for (const [name, value] of set) {
    names[`#${name}`] = name;
    bound[`:${name}`] = value;
  }
  for (const name of remove) names[`#${name}`] = name;
  const expression = [
    set.length > 0 ? `SET ${set.map(([n]) => `#${n} = :${n}`).join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.map((n) => `#${n}`).join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  return { expression, names, values: bound };
}

const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const REPORT_ID = `\\d{2}0000-${ULID}`;

/** The sort keys each listing's cursors may name. */
export const CursorShape = {
  open: new RegExp(`^O#\\d{4}-\\d{2}-\\d{2}#${REPORT_ID}$`),
  resolved: new RegExp(`^R#[0-9T:.Z-]{1,40}#${REPORT_ID}$`),
  notices: new RegExp(`^${ULID}#\\d{2}0000$`),
} as const;

/** The opaque cursor of a page that ends at sort key `sk`. */
export function encodeCursor(sk: string): string {
  return Buffer.from(sk, 'utf8').toString('base64url');
}

/**
 * The sort key a cursor names, when it is one of this listing's (`shape`); anything else is 400
 * on `cursor`, never a storage error.
 */
export function decodeCursor(cursor: string, shape: RegExp): string {
  const sk = /^[0-9A-Za-z_-]{1,300}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!shape.test(sk)) {
    const message = 'the cursor is not one of this list';
    throw new InvalidRequestError(message, [{ path: ['cursor'], code: 'invalid_cursor', message }]);
  }
  return sk;
}

/**
 * Where the next page starts, from a query of `limit + 1` items: the last kept item when there
 * was one more, else DynamoDB's own stop (a page cut at 1 MB), else nowhere (the last page).
 */
export function nextOf(
  items: Record<string, unknown>[],
  limit: number,
  lastEvaluated: Record<string, unknown> | undefined,
): string | undefined {
  if (items.length > limit) return encodeCursor(String(items[limit - 1]?.sk));
  const stop = lastEvaluated?.sk;
  return typeof stop === 'string' ? encodeCursor(stop) : undefined;
}
