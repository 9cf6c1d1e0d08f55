import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditAction } from '../../../contracts/audit.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { LicenseStore } from '../../../lib/store/license-store.ts';
import { NonceStore } from '../../../lib/store/nonce-store.ts';
import { type TableNames, tableNames } from '../../../lib/store/tables.ts';
import { post, sampleIssue, testGateway } from '../../support/gateway.ts';

/**
 * A single conditional write whose answer is lost is resent by the SDK, and the resend meets the
 * write it already made. Each store must recognise its own earlier attempt.
 */

interface LostAnswers {
  /** Attempts of the command that reached DynamoDB. */
  attempts: number;
  lost: number;
}

/**
 * Lets the first attempt of `commandName` reach DynamoDB Local, then throws a retryable network
 * error as if its answer had been lost on the way back, so the SDK's retry sends it again.
 * `meanwhile` runs between the lost answer and the resend.
 */
function loseFirstAnswer(
  doc: DynamoDBDocumentClient,
  commandName: string,
  meanwhile?: () => Promise<unknown>,
): LostAnswers {
  const seen: LostAnswers = { attempts: 0, lost: 0 };
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      seen.attempts++;
      const out = await next(args);
      if (seen.lost > 0) return out;
      seen.lost++;
      await meanwhile?.();
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    },
    { step: 'deserialize', name: 'loseFirstAnswer' },
  );
  return seen;
}

const endpoint = () => inject('dynamodbEndpoint');
let names: TableNames;
const clients: DynamoDBDocumentClient[] = [];

function client(): DynamoDBDocumentClient {
  const doc = createDocumentClient({ endpoint: endpoint() });
  clients.push(doc);
  return doc;
}

beforeAll(async () => {
  names = tableNames(`lost${process.pid}-${randomBytes(3).toString('hex')}`);
  await ensureTables({ endpoint: endpoint() }, names);
});

afterEach(() => {
  for (const doc of clients.splice(0)) doc.destroy();
});

describe('a nonce claim whose answer was lost', () => {
  it('is accepted on the resend, and a real replay is still refused', async () => {
    // Prepare
    const doc = client();
    const seen = loseFirstAnswer(doc, 'PutItemCommand');
    const nonces = new NonceStore(doc, names.nonces);
    const jti = randomBytes(16).toString('base64url');

    // Act
    const first = await nonces.claim(jti, 600);
    const replay = await nonces.claim(jti, 600);

    // Assess
    expect(seen).toEqual({ attempts: 3, lost: 1 });
    expect(first).toBe(true);
    expect(replay).toBe(false);
  });
});

describe('an audit write whose answer was lost', () => {
  const event = (traceId = randomBytes(16).toString('hex')) =>
    auditEvent(
      {
        province: '310000',
        traceId,
        action: AuditAction.verify,
        outcome: 'success',
        details: { verdict: 'valid', receipt: null },
      },
      new Date('2026-06-01T08:00:00Z'),
    );

  it('resolves, and the event is stored exactly once', async () => {
    // Prepare
    const doc = client();
    const seen = loseFirstAnswer(doc, 'PutItemCommand');
    const written = event();

    // Act
    await new AuditStore(doc, names.audit).write(written);

    // Assess
    expect(seen).toEqual({ attempts: 2, lost: 1 });
    const stored = await doc.send(
      new ScanCommand({
        TableName: names.audit,
        ConsistentRead: true,
        FilterExpression: 'traceId = :t',
        ExpressionAttributeValues: { ':t': written.traceId },
      }),
    );
    expect(stored.Items).toHaveLength(1);
    expect(stored.Items?.[0]).toMatchObject(written);
  });

  it('still refuses another event under an id already stored', async () => {
    // Prepare
    const doc = client();
    const audit = new AuditStore(doc, names.audit);
    const first = event();
    await audit.write(first);

    // Act
    const other = audit.write({ ...event(), eventId: first.eventId });

    // Assess
    await expect(other).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    const kept = await doc.send(
      new GetCommand({ TableName: names.audit, Key: { eventId: first.eventId }, ConsistentRead: true }),
    );
    expect(kept.Item?.traceId).toBe(first.traceId);
  });
});

describe('a serial allocation whose answer was lost', () => {
  const type = '11100000000013338W032';
  const serials = (issuer: string) => {
    const doc = client();
    return { doc, store: new LicenseStore(doc, names.licenses, new AuditStore(doc, names.audit)), issuer };
  };

  it('gets the number it took, so the serials stay consecutive', async () => {
    // Prepare
    const { doc, store, issuer } = serials(randomBytes(9).toString('hex').toUpperCase());
    const before = await store.nextSerial(type, issuer, '2026');
    const seen = loseFirstAnswer(doc, 'UpdateItemCommand');

    // Act
    const lost = await store.nextSerial(type, issuer, '2026');
    const after = await store.nextSerial(type, issuer, '2026');

    // Assess
    expect(seen).toEqual({ attempts: 3, lost: 1 });
    expect([before, lost, after]).toEqual(['2026000001', '2026000002', '2026000003']);
  });

  it('gets the number it took even when other allocations came before the resend', async () => {
    // Prepare: two other writers allocate between the lost answer and the resend.
    const { doc, store, issuer } = serials(randomBytes(9).toString('hex').toUpperCase());
    const others = serials(issuer).store;
    const theirs: string[] = [];
    loseFirstAnswer(doc, 'UpdateItemCommand', async () => {
      theirs.push(await others.nextSerial(type, issuer, '2026'));
      theirs.push(await others.nextSerial(type, issuer, '2026'));
    });

    // Act
    const mine = await store.nextSerial(type, issuer, '2026');
    const next = await others.nextSerial(type, issuer, '2026');

    // Assess
    expect(mine).toBe('2026000001');
    expect(theirs).toEqual(['2026000002', '2026000003']);
    expect(next).toBe('2026000004');
  });

  it('counts on from a counter that an earlier version kept without tokens', async () => {
    // Prepare: the counter as the earlier ADD-only code left it.
    const { doc, store, issuer } = serials(randomBytes(9).toString('hex').toUpperCase());
    await doc.send(
      new UpdateCommand({
        TableName: names.licenses,
        Key: { pk: `SERIAL#${type}.${issuer}`, sk: 'Y#2026' },
        UpdateExpression: 'ADD #n :k',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':k': 41 },
      }),
    );

    // Act
    const next = await store.nextSerial(type, issuer, '2026');

    // Assess
    expect(next).toBe('2026000042');
  });
});

describe('an issuance whose transaction answer was lost', () => {
  it('answers 201 with one license and one event', async () => {
    // Prepare
    const t = await testGateway();
    const seen = loseFirstAnswer(t.storage.doc, 'TransactWriteItemsCommand');

    // Act
    const res = await t.app.request(post('/v1/licenses', sampleIssue(), await t.token('issuer')));

    // Assess
    expect(res.status).toBe(201);
    expect(seen.lost).toBe(1);
    const { identifier } = IssueResponseSchema.parse(await res.json());
    const versions = (await t.scan('licenses')).filter((i) => String(i.sk).startsWith('V#'));
    expect(versions.map((v) => (v.license as { identifier: string }).identifier)).toEqual([identifier]);
    const events = (await t.scan('audit')).filter((e) => e.action === AuditAction.licenseIssue);
    expect(events.map((e) => e.identifier)).toEqual([identifier]);
  });
});
