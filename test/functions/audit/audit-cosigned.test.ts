import { describe, expect, it } from 'vitest';
import { InclusionProofSchema } from '../../../contracts/audit-api.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { auditItems, issueLicenses } from '../../lib/audit/log-fixtures.ts';
import { get, testGateway } from '../../support/gateway.ts';

/** A signature line of the right form (the store checks form; collection verifies the signature). */
const line = (w: string) => `\u2014 elg/${w}/witness ${Buffer.alloc(76, 7).toString('base64')}\n`;

describe('the auditor API and the witnesses’ cosignatures', () => {
  it('serves the cosigned note, and proves an event against the newest witnessed checkpoint that covers it', async () => {
    const t = await testGateway('310000');
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    await issueLicenses(t, 3);
    await integrate(t.gateway);
    const first = (await auditItems(t)).map((e) => String(e.eventId));
    await store.addCosignatures(3, [
      { witness: '330000', line: line('330000') },
      { witness: '320000', line: line('320000') },
    ]);
    await store.markWitnessed(3);
    const token = await t.token('auditor');
    const note = (await store.checkpoint(3))?.note ?? '';

    const checkpoint = await t.app.request(get('/v1/audit/checkpoint', token));
    expect(await checkpoint.text()).toBe(`${note}${line('320000')}${line('330000')}`);

    // A newer checkpoint, without cosignatures yet: events it alone covers are proven against it.
    await issueLicenses(t, 2);
    await integrate(t.gateway);
    const later = (await auditItems(t)).map((e) => String(e.eventId)).filter((id) => !first.includes(id));
    const proofOf = async (id: string) =>
      InclusionProofSchema.parse(
        await (await t.app.request(get(`/v1/audit/events/${id}/proof`, token))).json(),
      );

    const old = await proofOf(first[0] as string);
    expect(old).toMatchObject({
      treeSize: 3,
      witnessed: true,
      checkpoint: `${note}${line('320000')}${line('330000')}`,
    });
    const newer = await Promise.all(later.map(proofOf));
    const head = await store.head();
    expect(
      newer.some(
        (p) => p.treeSize === head?.treeSize && p.witnessed === false && p.checkpoint === head?.note,
      ),
    ).toBe(true);

    const consistency = await t.app.request(get('/v1/audit/consistency?from=1&to=3', token));
    expect(((await consistency.json()) as { checkpoint?: string }).checkpoint).toBe(
      `${note}${line('320000')}${line('330000')}`,
    );
  });
});
