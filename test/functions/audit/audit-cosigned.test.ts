import { describe, expect, it } from 'vitest';
import { InclusionProofSchema } from '../../../contracts/audit-api.ts';
import { LogStore } from '../../../lib/store/log-store.ts';
import { auditItems, cosignatureLine, witnessedThenNewer } from '../../lib/audit/log-fixtures.ts';
import { get, testGateway } from '../../support/gateway.ts';

const line = cosignatureLine;

describe('the auditor API and the witnesses’ cosignatures', () => {
  it('serves the cosigned note, and proves an event against the newest witnessed checkpoint that covers it', async () => {
    const t = await testGateway('310000');
    const store = new LogStore(t.storage.doc, t.storage.tables.log);
    // A witnessed checkpoint of 3, and a newer one without cosignatures yet: events it alone
    // covers are proven against it, and the witnessed one is what the log publishes.
    const first = await witnessedThenNewer(t, store);
    // Integrated events only: the auditor's own queries below wait for the next batch.
    const later = (await auditItems(t)).map((e) => String(e.eventId)).filter((id) => !first.includes(id));
    const token = await t.token('auditor');
    const note = (await store.checkpoint(3))?.note ?? '';

    const checkpoint = await t.app.request(get('/v1/audit/checkpoint', token));
    expect(await checkpoint.text()).toBe(`${note}${line('320000')}${line('330000')}`);

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
