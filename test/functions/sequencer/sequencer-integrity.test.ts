import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { integrate, SequencerIntegrityError } from '../../../functions/sequencer/sequencer.ts';
import { BatchIntentSchema } from '../../../lib/store/log-records.ts';
import {
  auditItems,
  dyingClient,
  issueLicenses,
  leafItems,
  logItems,
  putsTo,
} from '../../lib/audit/log-fixtures.ts';
import { type TestGateway, testGateway } from '../../support/gateway.ts';

/** A batch of 4 recorded by a sequencer that died before its first leaf; its event ids. */
async function abandonedBatch(t: TestGateway): Promise<string[]> {
  await issueLicenses(t, 4);
  const dying = dyingClient(t.storage.doc, (c) => putsTo(c, 'TILE#') || putsTo(c, 'EVENTS#'));
  await integrate(t.gateway.withParts({ doc: dying.doc }), { maxBatch: 4 }).catch(() => undefined);
  const [batch] = (await logItems(t, 'BATCH')).map((b) => BatchIntentSchema.parse(b));
  if (!batch) throw new Error('no batch was recorded');
  t.clock.set(new Date(t.clock.now().getTime() + 30_000));
  return batch.eventIds;
}

describe('a sequencer resuming a recorded batch whose events were changed behind its back', () => {
  it('stops at an event that is gone, with nothing written', async () => {
    // Prepare
    const t = await testGateway();
    const ids = await abandonedBatch(t);
    await t.storage.doc.send(
      new DeleteCommand({ TableName: t.storage.tables.audit, Key: { eventId: ids[2] } }),
    );

    // Act
    const run = integrate(t.gateway, { maxBatch: 4 });

    // Assess
    await expect(run).rejects.toThrow(SequencerIntegrityError);
    await expect(run).rejects.toThrow(/is gone/);
    expect(await leafItems(t)).toEqual([]);
    expect((await auditItems(t)).filter((e) => e.leafIndex !== undefined)).toEqual([]);
  });

  it('stops at an event integrated at another index, with nothing written', async () => {
    // Prepare
    const t = await testGateway();
    const ids = await abandonedBatch(t);
    await t.storage.doc.send(
      new UpdateCommand({
        TableName: t.storage.tables.audit,
        Key: { eventId: ids[1] },
        UpdateExpression: 'SET leafIndex = :i REMOVE pendingShard',
        ExpressionAttributeValues: { ':i': 99 },
      }),
    );

    // Act
    const run = integrate(t.gateway, { maxBatch: 4 });

    // Assess
    await expect(run).rejects.toThrow(SequencerIntegrityError);
    await expect(run).rejects.toThrow(/integrated at another index/);
    expect(await leafItems(t)).toEqual([]);
    const marked = (await auditItems(t)).filter((e) => e.leafIndex !== undefined);
    expect(marked.map((e) => [e.eventId, e.leafIndex])).toEqual([[ids[1], 99]]);
  });
});
