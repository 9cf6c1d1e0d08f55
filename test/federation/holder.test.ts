import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { HolderLicensesPageSchema, HolderUsesPageSchema, type OpenUse } from '../../contracts/holder.ts';
import { JwksSchema } from '../../contracts/keys.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { Federation } from '../../federation/federation.ts';
import { auditOrigin, verifyCheckpoint } from '../../lib/audit/checkpoint.ts';
import { verifyInclusion } from '../../lib/audit/merkle.ts';
import { todayCst } from '../../lib/license/validity.ts';
import { launchChromium } from '../support/browser.ts';
import { call, settle, testFederation } from '../support/federation.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import { storedEvents } from '../support/scan.ts';

const b = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('a holder at home in 340000 sees every use of a license 310000 issued, proven in its log', () => {
  let f: Federation;
  let identifier: string;
  let others: string;
  const sealUntil = (() => {
    const d = new Date(Date.parse(`${todayCst(new Date())}T00:00:00Z`) + 30 * 86_400_000);
    return d.toISOString().slice(0, 10);
  })();

  beforeAll(async () => {
    f = await testFederation({ name: 'hld', provinces: ['310000', '330000', '340000'] });
    const sh = f.province('310000');
    const zj = f.province('330000');
    const issued = await call(sh, 'issuer', '/v1/licenses', sampleIssue());
    identifier = IssueResponseSchema.parse(issued.body).identifier;
    const theirs = await call(
      sh,
      'issuer',
      '/v1/licenses',
      sampleIssue({ holder: { name: '李四', typeCode: '111', code: '110105199003071239' } }),
    );
    others = IssueResponseSchema.parse(theirs.body).identifier;
    const ask = { identifier, useCause: '办理建筑施工特种作业人员从业登记' };
    expect((await call(sh, 'platform', '/v1/verify', { ...ask, matterCode: 'SH-0001' })).status).toBe(200);
    expect((await call(zj, 'platform', '/v1/verify', { ...ask, matterCode: 'ZJ-0001' })).status).toBe(200);
    const sealed = await call(zj, 'investigator', '/v1/verify', {
      ...ask,
      matterCode: 'ZJ-GA-01',
      seal: { until: sealUntil, basis: '浙公（刑）立字〔2026〕1号' },
    });
    expect(sealed.status).toBe(200);
    await settle(sh);
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('lists every use newest first, the sealed one as sealed, each other one with a proof that verifies', async () => {
    const ah = f.province('340000');
    const res = await call(ah, 'holder', `/v1/holder/uses?identifier=${identifier}`);

    expect(res.status).toBe(200);
    const page = HolderUsesPageSchema.parse(res.body);
    expect(page.license).toMatchObject({ identifier, province: '310000', holderName: '张三' });
    expect(page.items[0]).toEqual({
      time: expect.any(String),
      province: '330000',
      sealed: true,
      until: sealUntil,
    });
    const open = page.items.slice(1) as OpenUse[];
    expect(open.map((u) => [u.province, u.platform, u.matterCode, u.dataLevel])).toEqual([
      ['330000', '浙江省政务服务平台', 'ZJ-0001', 2],
      ['310000', '上海市政务服务平台', 'SH-0001', undefined],
    ]);
    // A platform or department by name, never who at it: no officer reference, no actor.
    expect(JSON.stringify(res.body)).not.toMatch(/officerRef|ofr_|"actor"|"sub"|dev-platform/);
    // The key is the registry's: 310000's own audit key, as 310000 publishes it.
    const published = JwksSchema.parse(
      await (await fetch(`${f.province('310000').url}/.well-known/jwks.json`)).json(),
    );
    expect(page.auditKey).toEqual(published.keys.find((k) => k.purpose === 'audit'));
    for (const use of open) {
      const proof = use.proof;
      if (!proof) throw new Error(`use ${use.eventId} has no proof`);
      const checkpoint = verifyCheckpoint(proof.checkpoint, page.auditKey, auditOrigin('310000'));
      const path = proof.proof.map(b);
      expect(verifyInclusion(proof.index, proof.treeSize, b(proof.leafHash), path, checkpoint.rootHash)).toBe(
        true,
      );
    }
  });

  it('shows the same on the /holder page in Chromium, each proof checked in the page', async () => {
    const ah = f.province('340000');
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
      await context.route('**/*', (route) =>
        new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
      );
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(String(err)));
      await page.goto(`${ah.url}/holder#token=${ah.tokens.holder}`);
      await page.locator('#identifier-input').fill(identifier);
      await page.locator('#lookup-form button').click();
      await page.waitForFunction(
        () => {
          // biome-ignore lint/suspicious/noExplicitAny: the browser's document (no DOM library here)
          const list = (globalThis as any).document.querySelectorAll('#use-list > li');
          return list.length === 3 && [...list].every((li) => li.getAttribute('data-check') !== 'checking');
        },
        undefined,
        { timeout: 15_000 },
      );
      const checks = await page
        .locator('#use-list > li')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-check')));

      // The sealed use has nothing to check; the two others are proven in 310000's log.
      expect(checks.filter((c) => c === 'verified')).toHaveLength(2);
      expect(checks.filter((c) => c === 'failed')).toEqual([]);
      expect(page.url()).not.toContain('token=');
      expect(problems).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('lists the holder’s licenses where they were issued', async () => {
    const res = await call(f.province('310000'), 'holder', '/v1/holder/licenses');

    expect(res.status).toBe(200);
    expect(HolderLicensesPageSchema.parse(res.body).items.map((l) => l.identifier)).toEqual([identifier]);
  });

  it('answers a license of another holder as one that does not exist, at home and at the issuer', async () => {
    const ah = f.province('340000');
    const missing = unknownIdentifier();

    const theirs = await call(ah, 'holder', `/v1/holder/uses?identifier=${others}`);
    const none = await call(ah, 'holder', `/v1/holder/uses?identifier=${missing}`);

    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect(ErrorBodySchema.parse(theirs.body).error.message).toBe(
      ErrorBodySchema.parse(none.body).error.message,
    );
  });

  it('gives nothing of another license for a cursor taken from this one', async () => {
    const ah = f.province('340000');
    const first = HolderUsesPageSchema.parse(
      (await call(ah, 'holder', `/v1/holder/uses?identifier=${identifier}&limit=1`)).body,
    );
    expect(first.cursor).toEqual(expect.any(String));

    const theirs = await call(ah, 'holder', `/v1/holder/uses?identifier=${others}&cursor=${first.cursor}`);
    const forged = await call(
      ah,
      'holder',
      `/v1/holder/uses?identifier=${identifier}&cursor=..%2F${first.cursor}`,
    );

    expect(theirs.status).toBe(404);
    expect(forged.status).toBe(400);
  });

  it('refuses other roles, and a seal from anyone but an investigator', async () => {
    const ah = f.province('340000');
    const zj = f.province('330000');

    const platform = await call(ah, 'platform', `/v1/holder/uses?identifier=${identifier}`);
    const seal = await call(zj, 'platform', '/v1/verify', {
      identifier,
      matterCode: 'ZJ-0002',
      useCause: '办理从业登记',
      seal: { until: sealUntil, basis: '无' },
    });
    const tooLong = await call(zj, 'investigator', '/v1/verify', {
      identifier,
      matterCode: 'ZJ-0003',
      useCause: '办理从业登记',
      seal: { until: '2099-01-01', basis: '浙公（刑）立字〔2026〕2号' },
    });

    expect(platform.status).toBe(403);
    expect(seal.status).toBe(403);
    expect(tooLong.status).toBe(400);
  });

  it('audits the question on both sides, never with the holder’s code', async () => {
    const sh = f.province('310000');
    const ah = f.province('340000');

    const atIssuer = (await storedEvents(sh.storage.doc, sh.storage.tables.audit)).filter(
      (e) => e.action === 'holder.uses' && e.peer === '340000',
    );
    const atHome = (await storedEvents(ah.storage.doc, ah.storage.tables.audit)).filter(
      (e) => e.action === 'holder.uses' && e.peer === '310000',
    );

    expect(atIssuer.length).toBeGreaterThan(0);
    expect(atHome.length).toBeGreaterThan(0);
    for (const e of [...atIssuer, ...atHome]) {
      expect(JSON.stringify(e)).not.toContain('11010519491231002X');
      expect(e.holderHash).toEqual(expect.any(String));
    }
  });
});
