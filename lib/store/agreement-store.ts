import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  AgreementDocumentSchema,
  AgreementSignatureSchema,
  WithdrawalSchema,
} from '../../contracts/agreement.ts';
import type { AuditEvent } from '../../contracts/audit.ts';
import type { AgreementRepository } from '../../functions/agreements/ports.ts';
import {
  type AddOutcome,
  type AddSignatureInput,
  type AddWithdrawalInput,
  type CreateAgreementInput,
  type StoredDelivery,
  StoredDeliverySchema,
} from '../agreements/records.ts';
import type { AgreementRecord } from '../agreements/state.ts';
import { DependencyUnavailableError, NotFoundError } from '../errors.ts';
import type { AuditStore } from './audit-store.ts';
import { OutboxTable } from './outbox.ts';
import { conditionFailures, guard, type TransactItems, transact } from './transact.ts';

const agrPk = (id: string) => `AGR#${id}`;
const DOC = 'DOC';
const sigSk = (party: string) => `SIG#${party}`;
const wdrSk = (party: string) => `WDR#${party}`;
/** One item per agreement under one partition: listing never scans the table. */
const INDEX_PK = 'AGREEMENTS';
/** A counter every change bumps, so readers can tell cheaply whether anything changed. */
const STAMP_KEY = { pk: 'META', sk: 'STAMP' } as const;
/** The stamp's counter; 0 before the first change. */
const StampSchema = z.number().int().catch(0);
/** The outbox (lib/store/outbox.ts): due deliveries are a range query under `DLV`. */
const DLV_PK = 'DLV';

/**
 * DynamoDB adapter for agreements (docs/protocol.md §8). Items under `AGR#<id>`: the document
 * (`DOC`), each party's signature (`SIG#<party>`) and withdrawal (`WDR#<party>`); an index item per
 * agreement under `AGREEMENTS`; a change stamp; and the outbox of deliveries under `DLV`. Every
 * change is one transaction with its audit event, its stamp bump and the deliveries it causes.
 * Only verified signatures and withdrawals reach this store.
 */
export class AgreementStore implements AgreementRepository {
  /** The deliveries of proposals, signatures and withdrawals to the other parties. */
  readonly outbox: OutboxTable<StoredDelivery>;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly audit: AuditStore,
  ) {
    this.outbox = new OutboxTable(doc, tableName, StoredDeliverySchema, DLV_PK, 'the agreement table');
  }

  /**
   * A new agreement with the signatures already held. `exists` when the id is taken: the caller
   * compares documents and adds signatures one by one.
   */
  async create(input: CreateAgreementInput): Promise<'created' | 'exists'> {
    const { document, signatures, withdrawals } = input.record;
    const pk = agrPk(document.id);
    const items: TransactItems = [
      this.put({ pk, sk: DOC, document }),
      this.put({ pk: INDEX_PK, sk: document.id, id: document.id }),
      ...signatures.map((s) => this.put({ pk, sk: sigSk(s.party), ...s })),
      ...withdrawals.map((w) => this.put({ pk, sk: wdrSk(w.party), ...w })),
      ...this.changeItems(input.deliveries, input.audit),
    ];
    try {
      await transact(this.doc, items, TX);
      return 'created';
    } catch (err) {
      if (conditionFailures(err).includes(0)) return 'exists';
      throw err;
    }
  }

  /** A party's verified signature; `held` when that party's signature is already stored. */
  addSignature(input: AddSignatureInput): Promise<AddOutcome> {
    const { agreementId, signature } = input;
    return this.addPart(agreementId, { sk: sigSk(signature.party), ...signature }, input);
  }

  /** A party's verified withdrawal; `held` when that party already withdrew. */
  addWithdrawal(input: AddWithdrawalInput): Promise<AddOutcome> {
    const { agreementId, withdrawal } = input;
    return this.addPart(agreementId, { sk: wdrSk(withdrawal.party), ...withdrawal }, input);
  }

  async get(id: string): Promise<AgreementRecord | undefined> {
    const items = await this.partition(agrPk(id));
    const head = items.find((i) => i.sk === DOC);
    if (!head) return undefined;
    return {
      document: AgreementDocumentSchema.parse(head.document),
      signatures: items
        .filter((i) => String(i.sk).startsWith('SIG#'))
        .map((i) => AgreementSignatureSchema.parse(strip(i))),
      withdrawals: items
        .filter((i) => String(i.sk).startsWith('WDR#'))
        .map((i) => WithdrawalSchema.parse(strip(i))),
    };
  }

  /** Every agreement this province holds, by id. */
  async list(): Promise<AgreementRecord[]> {
    const index = await this.partition(INDEX_PK);
    const records = await Promise.all(index.map((i) => this.get(String(i.sk))));
    return records.filter((r): r is AgreementRecord => r !== undefined);
  }

  /** The change stamp: it moves whenever a document, signature or withdrawal is stored. */
  async stamp(): Promise<number> {
    const out = await guard(
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: STAMP_KEY, ConsistentRead: true })),
      'the agreement table',
    );
    return StampSchema.parse(out.Item?.n);
  }

  /** Every pending delivery, oldest due first. */
  pendingDeliveries(): Promise<StoredDelivery[]> {
    return this.outbox.pending();
  }

  private async addPart(
    agreementId: string,
    part: { sk: string } & Record<string, unknown>,
    input: { deliveries: StoredDelivery[]; audit: AuditEvent },
  ): Promise<AddOutcome> {
    const pk = agrPk(agreementId);
    try {
      await transact(
        this.doc,
        [
          {
            ConditionCheck: {
              TableName: this.tableName,
              Key: { pk, sk: DOC },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          this.put({ pk, ...part }),
          ...this.changeItems(input.deliveries, input.audit),
        ],
        TX,
      );
      return 'added';
    } catch (err) {
      const failed = conditionFailures(err);
      if (failed.includes(0)) throw new NotFoundError(`no agreement ${agreementId} is held here`);
      if (failed.includes(1)) return 'held';
      throw err;
    }
  }

  /** What every change writes besides itself: the stamp, its deliveries and its audit event. */
  private changeItems(deliveries: StoredDelivery[], audit: AuditEvent): TransactItems {
    return [
      {
        Update: {
          TableName: this.tableName,
          Key: STAMP_KEY,
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: { ':one': 1 },
        },
      },
      ...deliveries.map((d) => this.outbox.putItem(d)),
      { Put: this.audit.putItem(audit) },
    ];
  }

  private put(item: { pk: string; sk: string } & Record<string, unknown>): TransactItems[number] {
    return {
      Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
    };
  }

  /** Every item of the partition `pk`, read consistently. */
  private partition(pk: string): Promise<Record<string, unknown>[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    });
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: QueryCommandInput['ExclusiveStartKey'];
    do {
      const out = await guard(
        this.doc.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) })),
        'the agreement table',
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

const TX_ATTEMPTS = 6;

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

const TX = {
  what: 'the agreement table',
  attempts: TX_ATTEMPTS,
  exhausted: (cause: unknown) =>
    new DependencyUnavailableError('the agreement table (concurrent changes)', cause),
};
