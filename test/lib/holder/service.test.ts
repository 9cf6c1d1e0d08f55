import { beforeAll, describe, expect, it } from 'vitest';
import { HolderUsesPageSchema, type OpenUse } from '../../../contracts/holder.ts';
import { integrate } from '../../../functions/sequencer/sequencer.ts';
import { auditOrigin, verifyCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { eventLeafHash } from '../../../lib/audit/log-leaf.ts';
import { verifyInclusion } from '../../../lib/audit/merkle.ts';
import { NotFoundError } from '../../../lib/errors.ts';
import { HolderService } from '../../../lib/holder/service.ts';
import { AuditStore } from '../../../lib/store/audit-store.ts';
import { LicenseStore } from '../../../lib/store/license-store.ts';
import { LicenseUseReader } from '../../../lib/store/use-query.ts';
import { issueSample, post, type TestGateway, testGateway } from '../../support/gateway.ts';
import { storedEvents } from '../../support/scan.ts';

const HOLDER = { typeCode: '111', code: '11010519491231002X' } as const;
const OTHER = { typeCode: '111', code: '110105199003071239' } as const;

describe('a holder at the issuing province', () => {
  let t: TestGateway;
  let service: HolderService;
  let identifier: string;

  beforeAll(async () => {
    t = await testGateway();
    const { doc, tables } = t.storage;
    service = new HolderService({
      province: '310000',
      clock: t.clock,
      holderHashKey: (t.gateway as unknown as { parts: { holderHashKey: Uint8Array } }).parts.holderHashKey,
      licenses: new LicenseStore(doc, tables.licenses, new AuditStore(doc, tables.audit)),
      uses: new LicenseUseReader(doc, tables.audit),
      log: t.gateway.log,
      auditKey: t.keys.audit.publicJwk,
    });
    identifier = (await issueSample(t)).identifier;
    await issueSample(t, { holder: { name: '李四', ...OTHER } });
    const token = await t.token('platform');
    for (const matterCode of ['M1', 'M2', 'M3']) {
      t.clock.set(new Date(t.clock.now().getTime() + 1000));
      const res = await t.app.request(
        post('/v1/verify', { identifier, matterCode, useCause: '办理从业登记' }, token),
      );
      expect(res.status).toBe(200);
    }
    await integrate(t.gateway);
  });

  it('lists their licenses, and no one else’s', async () => {
    const mine = await service.licenses(HOLDER, {});
    const theirs = await service.licenses(OTHER, {});

    expect(mine.items.map((l) => l.identifier)).toEqual([identifier]);
    expect(mine.items[0]).toMatchObject({ holderName: '张三', status: '01', version: '001' });
    expect(theirs.items.map((l) => l.holderName)).toEqual(['李四']);
  });

  it('shows every use newest first, each proven in the signed log', async () => {
    const page = HolderUsesPageSchema.parse(await service.uses(identifier, HOLDER, {}));

    const uses = page.items as OpenUse[];
    expect(uses.slice(0, 3).map((u) => u.matterCode)).toEqual(['M3', 'M2', 'M1']);
    const events = await storedEvents(t.storage.doc, t.storage.tables.audit);
    for (const use of uses) {
      const proof = use.proof;
      if (!proof) throw new Error('no proof');
      const checkpoint = verifyCheckpoint(proof.checkpoint, page.auditKey, auditOrigin('310000'));
      const event = events.find((e) => e.eventId === use.eventId);
      const leaf = eventLeafHash(event);
      expect(Buffer.from(leaf).toString('base64')).toBe(proof.leafHash);
      const path = proof.proof.map((p) => new Uint8Array(Buffer.from(p, 'base64')));
      expect(verifyInclusion(proof.index, proof.treeSize, leaf, path, checkpoint.rootHash)).toBe(true);
    }
  });

  it('pages by cursor without repeating or losing a use', async () => {
    const first = await service.uses(identifier, HOLDER, { limit: 2 });
    const second = await service.uses(identifier, HOLDER, { limit: 2, cursor: first.cursor });

    expect(first.items).toHaveLength(2);
    expect(first.cursor).toBeDefined();
    expect([...first.items, ...second.items].map((u) => ('matterCode' in u ? u.matterCode : ''))).toEqual([
      'M3',
      'M2',
      'M1',
    ]);
    expect(second.cursor).toBeUndefined();
  });

  it('shows a sealed use as sealed until its date, and in full with its proof after', async () => {
    const token = await t.token('investigator');
    const until = '2026-06-30';
    t.clock.set(new Date(t.clock.now().getTime() + 60_000));
    const res = await t.app.request(
      post(
        '/v1/verify',
        { identifier, matterCode: 'GA1', useCause: '侦查取证', seal: { until, basis: '沪公立字1号' } },
        token,
      ),
    );
    expect(res.status).toBe(200);
    await integrate(t.gateway);

    const during = await service.uses(identifier, HOLDER, { limit: 1 });
    const saved = t.clock.now();
    t.clock.set(new Date('2026-07-01T00:00:00+08:00'));
    const after = await service.uses(identifier, HOLDER, { limit: 1 });
    t.clock.set(saved);

    expect(during.items[0]).toEqual({ time: expect.any(String), province: '310000', sealed: true, until });
    expect(after.items[0]).toMatchObject({
      matterCode: 'GA1',
      useCause: '侦查取证',
      proof: expect.any(Object),
    });
  });

  it('answers another holder exactly as a license that does not exist', async () => {
    await expect(service.uses(identifier, OTHER, {})).rejects.toThrow(NotFoundError);
    const missing = identifier.replace(/2026000001\.001\../, '2026999999.001.0');
    await expect(service.uses(missing, HOLDER, {})).rejects.toThrow(NotFoundError);
  });
});
