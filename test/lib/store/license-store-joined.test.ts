import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditAction } from '../../../contracts/audit.ts';
import { buildIdentifier, identifierKey } from '../../../contracts/codes/index.ts';
import { ISSUE_REQUEST } from '../../../contracts/examples.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import { ConflictError } from '../../../lib/errors.ts';
import type { JoinedWrite, StoredVersion } from '../../../lib/license/records.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { createDocumentClient, ensureTables } from '../../../lib/store/dynamo.ts';
import { LicenseStore } from '../../../lib/store/license-store.ts';
import { type TableNames, tableNames } from '../../../lib/store/tables.ts';
import { scanAll } from '../../support/scan.ts';

/**
 * A license change carries writes of other tables in its own transaction (docs/protocol.md §17.5,
 * §17.7): they come after the license's items and its event, and a failure of their conditions is
 * told apart from a conflict of the license itself.
 */

const NOW = new Date('2026-06-01T08:00:00Z');
const TYPE_CODE = ISSUE_REQUEST.typeCode;
const ISSUER = ISSUE_REQUEST.issuer.uscc;

let doc: DynamoDBDocumentClient;
let names: TableNames;
let store: LicenseStore;
let serials = 0;

beforeAll(async () => {
  doc = createDocumentClient({ endpoint: inject('dynamodbEndpoint') });
  names = tableNames(`join${process.pid}-${randomBytes(3).toString('hex')}`);
  await ensureTables({ endpoint: inject('dynamodbEndpoint') }, names);
  store = new LicenseStore(doc, names.licenses, new AuditStore(doc, names.audit));
});

afterAll(() => doc.destroy());

const event = (action: AuditAction, identifier: string) =>
  auditEvent({ province: '310000', traceId: 'ab'.repeat(16), action, outcome: 'success', identifier }, NOW);

function versionOf(serial: string, version: string): StoredVersion {
  const identifier = buildIdentifier({ typeCode: TYPE_CODE, issuerCode: ISSUER, serial, version });
  return {
    license: {
      ...structuredClone(ISSUE_REQUEST),
      identifier,
      province: '310000',
      version,
      issuedAt: NOW.toISOString(),
    },
    credential: `credential of ${identifier}`,
  };
}

/** A license of its own (version 001, valid), and its key. */
async function issued(): Promise<{ licenseKey: string; serial: string }> {
  const serial = `2026${String(++serials).padStart(6, '0')}`;
  const licenseKey = identifierKey({ typeCode: TYPE_CODE, issuerCode: ISSUER, serial });
  const first = versionOf(serial, '001');
  await store.create({
    licenseKey,
    version: first,
    head: {
      currentVersion: '001',
      currentIdentifier: first.license.identifier,
      status: '01',
      issuerUscc: ISSUER,
      holderHash: 'h',
    },
    audit: event(AuditAction.licenseIssue, first.license.identifier),
  });
  return { licenseKey, serial };
}

/** A marker item in the reports table. */
const marker = (sk: string): JoinedWrite => ({
  item: { Put: { TableName: names.reports, Item: { pk: 'MARK', sk } } },
});

/** A check of the reports table that holds only once `sk` was put. */
const needs = (sk: string, refused?: () => Error): JoinedWrite => ({
  item: {
    ConditionCheck: {
      TableName: names.reports,
      Key: { pk: 'NEED', sk },
      ConditionExpression: 'attribute_exists(pk)',
    },
  },
  ...(refused ? { refused } : {}),
});

const markers = async () =>
  (await scanAll(doc, names.reports)).filter((i) => i.pk === 'MARK').map((i) => String(i.sk));

class ReportRefused extends Error {}

describe('a new version with joined writes', () => {
  it('stores them with the version, its record included', async () => {
    const { licenseKey, serial } = await issued();
    const sk = `v-${serial}`;
    await doc.send(new PutCommand({ TableName: names.reports, Item: { pk: 'NEED', sk } }));
    const next = { ...versionOf(serial, '002'), reportId: `310000-${'0'.repeat(26)}` };

    await store.addVersion({
      licenseKey,
      from: '001',
      next,
      audit: event(AuditAction.licenseVersion, next.license.identifier),
      alsoWrite: [marker(sk), needs(sk, () => new ReportRefused('no'))],
    });

    expect(await markers()).toContain(sk);
    const read = await store.get(licenseKey, '002');
    expect(read?.version.reportId).toBe(next.reportId);
    expect(read?.version.license).not.toHaveProperty('reportId');
  });

  it("answers the joined write's own refusal when only its condition fails, and stores nothing", async () => {
    const { licenseKey, serial } = await issued();
    const sk = `refused-${serial}`;
    const next = versionOf(serial, '002');
    const auditBefore = (await scanAll(doc, names.audit)).length;

    const attempt = store.addVersion({
      licenseKey,
      from: '001',
      next,
      audit: event(AuditAction.licenseVersion, next.license.identifier),
      alsoWrite: [marker(sk), needs(sk, () => new ReportRefused('report refused'))],
    });

    await expect(attempt).rejects.toBeInstanceOf(ReportRefused);
    expect(await markers()).not.toContain(sk);
    expect(await store.get(licenseKey, '002')).toBeUndefined();
    expect((await store.get(licenseKey, '001'))?.head.currentVersion).toBe('001');
    expect(await scanAll(doc, names.audit)).toHaveLength(auditBefore);
  });

  it('answers the license conflict when the license changed meanwhile, whatever the joined writes', async () => {
    const { licenseKey, serial } = await issued();
    const v2 = versionOf(serial, '002');
    await store.addVersion({
      licenseKey,
      from: '001',
      next: v2,
      audit: event(AuditAction.licenseVersion, v2.license.identifier),
    });
    const sk = `late-${serial}`;

    const attempt = store.addVersion({
      licenseKey,
      from: '001',
      next: versionOf(serial, '003'),
      audit: event(AuditAction.licenseVersion, 'x'),
      alsoWrite: [marker(sk), needs(sk, () => new ReportRefused('report refused'))],
    });

    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toThrow(/no longer current/);
    expect(await markers()).not.toContain(sk);
  });

  it('answers the license conflict for a joined condition that names no refusal', async () => {
    const { licenseKey, serial } = await issued();
    const next = versionOf(serial, '002');

    const attempt = store.addVersion({
      licenseKey,
      from: '001',
      next,
      audit: event(AuditAction.licenseVersion, next.license.identifier),
      alsoWrite: [needs(`silent-${serial}`)],
    });

    await expect(attempt).rejects.toThrow(ConflictError);
    expect(await store.get(licenseKey, '002')).toBeUndefined();
  });
});

describe('a status change with joined writes', () => {
  it('stores them with the status', async () => {
    const { licenseKey, serial } = await issued();
    const sk = `status-${serial}`;

    await store.changeStatus({
      licenseKey,
      from: '01',
      to: '02',
      reason: '暂扣',
      at: NOW,
      audit: event(AuditAction.licenseStatus, 'x'),
      alsoWrite: [marker(sk)],
    });

    expect(await markers()).toContain(sk);
    expect((await store.get(licenseKey, '001'))?.head.status).toBe('02');
  });

  it('stores neither when the status changed meanwhile', async () => {
    const { licenseKey, serial } = await issued();
    const sk = `stale-${serial}`;

    const attempt = store.changeStatus({
      licenseKey,
      from: '02',
      to: '01',
      reason: 'x',
      at: NOW,
      audit: event(AuditAction.licenseStatus, 'x'),
      alsoWrite: [marker(sk)],
    });

    await expect(attempt).rejects.toThrow(/status changed meanwhile/);
    expect(await markers()).not.toContain(sk);
    const head = await doc.send(
      new GetCommand({ TableName: names.licenses, Key: { pk: `LIC#${licenseKey}`, sk: 'HEAD' } }),
    );
    expect(head.Item?.status).toBe('01');
  });
});
