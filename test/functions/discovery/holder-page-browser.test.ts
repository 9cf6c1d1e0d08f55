import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../contracts/audit.ts';
import { buildIdentifier } from '../../../contracts/codes/index.ts';
import {
  type HolderLicense,
  HolderLicensesPageSchema,
  type HolderUse,
  type HolderUsesPage,
  HolderUsesPageSchema,
} from '../../../contracts/holder.ts';
import type { PublicJwk } from '../../../contracts/keys.ts';
import { witnessName } from '../../../contracts/registry.ts';
import { LocalWitnessSigner } from '../../../lib/signing/local-witness-signer.ts';
import { cosignWith } from '../../../lib/witness/cosignature.ts';
import {
  alteredProof,
  checkpointSignedBy,
  issueEvent,
  type Log,
  logOf,
  newAuditSigner,
  openUseOf,
  type UseInput,
  useEvent,
} from '../../lib/holder/page-fixtures.ts';
import { launchChromium } from '../../support/browser.ts';
import { SHANGHAI_DEPT, type TestGateway, testGateway, ZHEJIANG_DEPT } from '../../support/gateway.ts';

/*
 * The holder page in headless Chromium, served by the real discovery function (the province app
 * of test/support/gateway.ts) behind a small local server that also answers the holder routes
 * with answers built from real logs: canonical audit events in a MemoryTree, a checkpoint signed
 * by the province's test audit key, real inclusion proofs. The page checks each proof itself.
 */

/** Where the screenshots go for a person to look at; never committed. */
const shot = (name: string) => join(tmpdir(), `elg-holder-page-${name}.png`);

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJob2xkZXIifQ.c2lnbmF0dXJlLW9mLXRoZS1ob2xkZXItdG9rZW4';
const TYPE_CODE = '11100000000013338W032';
const TYPE_NAME = '建筑施工特种作业人员操作资格证书';

const shanghai = (serial: string) =>
  buildIdentifier({ typeCode: TYPE_CODE, issuerCode: SHANGHAI_DEPT.uscc, serial, version: '001' });
const zhejiang = (serial: string) =>
  buildIdentifier({ typeCode: TYPE_CODE, issuerCode: ZHEJIANG_DEPT.uscc, serial, version: '001' });

const L1 = shanghai('2026000101');
const L2 = shanghai('2026000102');
const L3 = shanghai('2026000103');
const L4 = shanghai('2026000104');
const F1 = zhejiang('2026000201');
const F2 = zhejiang('2026000202');
/** Zhejiang's uses of F1 again, under checkpoints cosigned by two witnesses (W1) or by one (W2). */
const W1 = zhejiang('2026000203');
const W2 = zhejiang('2026000204');

function license(identifier: string, province: string, n: number, extra: Partial<HolderLicense> = {}) {
  const issuer = province === '310000' ? SHANGHAI_DEPT.name : ZHEJIANG_DEPT.name;
  return {
    identifier,
    province,
    typeCode: TYPE_CODE,
    typeName: TYPE_NAME,
    number: `${province === '310000' ? '沪' : '浙'}建安A（2026）000010${n}`,
    issuer: { name: issuer },
    holderName: '张三',
    version: '001',
    status: '01',
    validFrom: '2026-01-01',
    validUntil: '2028-12-31',
    ...extra,
  } satisfies HolderLicense;
}

const LICENSES = {
  [L1]: license(L1, '310000', 1),
  [L2]: license(L2, '310000', 2, { status: '02' }),
  [L3]: license(L3, '310000', 3, { validUntil: undefined }),
  [L4]: license(L4, '310000', 4, { status: '07' }),
  [F1]: license(F1, '330000', 5),
  [F2]: license(F2, '330000', 6),
} as Record<string, HolderLicense>;

/** Each license's uses, as the page is to get them: pages of items, newest first. */
interface Scenario {
  license: HolderLicense;
  pages: HolderUse[][];
  auditKey: PublicJwk;
  witnesses?: HolderUsesPage['witnesses'];
}

describe('the holder page in headless Chromium', () => {
  let t: TestGateway;
  let browser: Browser;
  let base: string;
  let close: () => Promise<void>;
  const scenarios = new Map<string, Scenario>();
  /** Every request the local server got: what the page sent, and with which Authorization. */
  const seen: { path: string; search: string; authorization: string | null }[] = [];
  let home: Log;
  let foreign: Log;
  let pending: AuditEvent;
  let altered: AuditEvent;

  beforeAll(async () => {
    t = await testGateway('310000', '2026-06-01T08:00:00Z');

    // Shanghai's log: issues and uses of L1-L3 (one more use of L3 written but not integrated yet).
    const use = (identifier: string, time: string, rest: Omit<UseInput, 'identifier' | 'time'> = {}) =>
      useEvent('310000', { identifier, time, ...rest });
    const l1 = [
      use(L1, '2026-05-20T01:30:00Z', { platform: '上海市一网通办', matterCode: '310000-JS-0012' }),
      use(L1, '2026-05-21T06:15:00Z', { by: '330000', dataLevel: 2, matterCode: '330000-JS-0001' }),
      use(L1, '2026-05-25T10:00:00Z', { outcome: 'refused', useCause: '核验证照真伪' }),
      use(L1, '2026-05-28T23:45:00Z', { by: '330000', dataLevel: 3, platform: '浙江省住房和城乡建设厅' }),
    ];
    const l2 = [
      use(L2, '2026-05-22T02:00:00Z'),
      use(L2, '2026-05-23T03:00:00Z', { by: '330000', dataLevel: 1 }),
      use(L2, '2026-05-24T04:00:00Z', { outcome: 'error' }),
    ];
    const sealed = use(L3, '2026-05-26T05:00:00Z', { by: '330000', sealUntil: '2026-09-30' });
    const open = use(L3, '2026-05-27T06:00:00Z');
    pending = use(L3, '2026-05-31T07:00:00Z');
    [, altered] = l2 as [AuditEvent, AuditEvent];
    const issues = [L1, L2, L3, L4].map((id, i) => issueEvent('310000', id, `2026-05-0${i + 1}T00:00:00Z`));
    home = await logOf(
      '310000',
      [...issues, ...l1, l2[0], sealed, ...l2.slice(1), open] as AuditEvent[],
      t.keys.audit,
    );

    // Zhejiang's log, signed by Zhejiang's audit key (the registry's peer).
    const f = (identifier: string, time: string, by?: string) =>
      useEvent('330000', { identifier, time, ...(by ? { by } : {}), platform: '浙江政务服务网' });
    const f1 = [f(F1, '2026-05-10T01:00:00Z'), f(F1, '2026-05-11T02:00:00Z', '310000')];
    const f2 = [f(F2, '2026-05-12T03:00:00Z'), f(F2, '2026-05-13T04:00:00Z')];
    foreign = await logOf(
      '330000',
      [
        issueEvent('330000', F1, '2026-05-01T00:00:00Z'),
        issueEvent('330000', F2, '2026-05-01T00:00:01Z'),
        ...f1,
        ...f2,
      ],
      t.peerKeys.audit,
    );
    const rogue = await newAuditSigner();
    const rogueCheckpoint = await checkpointSignedBy(foreign, rogue);

    const newestFirst = (events: AuditEvent[]) => [...events].sort((a, b) => b.time.localeCompare(a.time));
    const opened = (log: Log, e: AuditEvent) => openUseOf(log.province, e, log.proofOf(e.eventId));
    const homeKey = t.keys.audit.publicJwk;
    const peerKey = t.peerKeys.audit.publicJwk;
    const l1Uses = newestFirst(l1).map((e) => opened(home, e));
    scenarios.set(L1, {
      license: LICENSES[L1] as HolderLicense,
      pages: [l1Uses.slice(0, 3), l1Uses.slice(3)],
      auditKey: homeKey,
    });
    scenarios.set(L2, {
      license: LICENSES[L2] as HolderLicense,
      pages: [
        newestFirst(l2).map((e) =>
          e === altered ? openUseOf('310000', e, alteredProof(home.proofOf(e.eventId), 1)) : opened(home, e),
        ),
      ],
      auditKey: homeKey,
    });
    scenarios.set(L3, {
      license: LICENSES[L3] as HolderLicense,
      pages: [
        [
          openUseOf('310000', pending, undefined),
          opened(home, open),
          { time: sealed.time, province: '330000', sealed: true, until: '2026-09-30' },
        ],
      ],
      auditKey: homeKey,
    });
    scenarios.set(L4, { license: LICENSES[L4] as HolderLicense, pages: [[]], auditKey: homeKey });
    scenarios.set(F1, {
      license: LICENSES[F1] as HolderLicense,
      pages: [newestFirst(f1).map((e) => opened(foreign, e))],
      auditKey: peerKey,
    });
    scenarios.set(F2, {
      license: LICENSES[F2] as HolderLicense,
      pages: [
        newestFirst(f2).map((e) => openUseOf('330000', e, foreign.proofOf(e.eventId, rogueCheckpoint))),
      ],
      auditKey: peerKey,
    });

    // Zhejiang's log is witnessed by 310000, 320000 and 340000 with quorum 2.
    const witnessSigners = new Map(
      await Promise.all(
        ['310000', '320000', '340000'].map(
          async (id) =>
            [id, await LocalWitnessSigner.create(generateKeyPairSync('ed25519').privateKey)] as const,
        ),
      ),
    );
    const witnesses = {
      policy: { witnesses: [...witnessSigners.keys()], quorum: 2 },
      keys: [...witnessSigners].map(([id, w]) => ({ province: id, name: witnessName(id), jwk: w.publicJwk })),
    };
    const cosignedBy = async (ids: string[]) => {
      let note = foreign.checkpoint;
      for (const id of ids) {
        const signer = witnessSigners.get(id);
        if (signer) note += await cosignWith(signer, foreign.checkpoint, witnessName(id), 1_780_000_000);
      }
      return note;
    };
    for (const [id, cosigners] of [
      [W1, ['310000', '340000']],
      [W2, ['320000']],
    ] as const) {
      const note = await cosignedBy([...cosigners]);
      scenarios.set(id, {
        license: LICENSES[F1] as HolderLicense,
        pages: [newestFirst(f1).map((e) => openUseOf('330000', e, foreign.proofOf(e.eventId, note)))],
        auditKey: peerKey,
        witnesses,
      });
    }

    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const refusal = (status: number, code: string, message: string) =>
      json({ error: { code, message, traceId: '4bf92f3577b34da6a3ce929d0e0736aa' } }, status);
    const server = createAdaptorServer({
      fetch: async (request: Request) => {
        const url = new URL(request.url);
        const authorization = request.headers.get('authorization');
        seen.push({ path: url.pathname, search: url.search, authorization });
        if (url.pathname !== '/v1/holder/licenses' && url.pathname !== '/v1/holder/uses') {
          // Everything else, the page and its files included, is the gateway's own.
          return t.app.fetch(request);
        }
        if (authorization !== `Bearer ${TOKEN}`)
          return refusal(401, 'UNAUTHENTICATED', 'no valid bearer token');
        if (url.pathname === '/v1/holder/licenses') {
          const cursor = url.searchParams.get('cursor');
          const page =
            cursor === 'page-2'
              ? { items: [LICENSES[L3], LICENSES[L4]] }
              : { items: [LICENSES[L1], LICENSES[L2]], cursor: 'page-2' };
          return json(HolderLicensesPageSchema.parse(page));
        }
        const scenario = scenarios.get(url.searchParams.get('identifier') ?? '');
        if (!scenario) return refusal(404, 'NOT_FOUND', 'no such license of this holder');
        const at = Number(url.searchParams.get('cursor')?.replace('p', '') ?? '0');
        const items = scenario.pages[at] ?? [];
        const answer: HolderUsesPage = {
          license: scenario.license,
          items,
          ...(at + 1 < scenario.pages.length ? { cursor: `p${at + 1}` } : {}),
          auditKey: scenario.auditKey,
          ...(scenario.witnesses ? { witnesses: scenario.witnesses } : {}),
        };
        return json(HolderUsesPageSchema.parse(answer));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
  });

  interface Opened {
    page: Page;
    context: BrowserContext;
    /** Console errors and script errors: a CSP violation shows here. */
    problems: string[];
    /** Every URL the page asked for; anything not this server's is refused. */
    requested: string[];
  }

  async function open(hash = `#token=${TOKEN}`, viewport = { width: 1000, height: 1000 }): Promise<Opened> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems: string[] = [];
    const requested: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      requested.push(url.href);
      if (url.origin === base) return route.continue();
      return route.abort('blockedbyclient');
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));
    const res = await page.goto(`${base}/holder${hash}`);
    expect(res?.status()).toBe(200);
    return { page, context, problems, requested };
  }

  /** Waits until `count` uses are listed and none is still being checked; their states and texts. */
  async function uses(page: Page, count: number) {
    await page.waitForFunction(
      (n) => {
        // biome-ignore lint/suspicious/noExplicitAny: the browser's document (no DOM library here)
        const list = (globalThis as any).document.querySelectorAll('#use-list > li');
        return list.length === n && [...list].every((li) => li.getAttribute('data-check') !== 'checking');
      },
      count,
      { timeout: 10_000 },
    );
    return page.locator('#use-list > li').evaluateAll((nodes) =>
      nodes.map((n) => ({
        check: n.getAttribute('data-check'),
        code: n.getAttribute('data-check-code'),
        eventId: n.getAttribute('data-event-id'),
        text: n.textContent ?? '',
      })),
    );
  }

  async function openLicense(page: Page, identifier: string) {
    await page.locator(`#license-list li[data-identifier="${identifier}"] button`).click();
  }

  async function lookUp(page: Page, identifier: string) {
    await page.locator('#identifier-input').fill(identifier);
    await page.locator('#lookup-form button').click();
  }

  async function finish(o: Opened, allowed: RegExp[] = []) {
    for (const url of o.requested) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(o.requested.filter((u) => !u.startsWith(base))).toEqual([]);
    expect(o.problems.filter((p) => !allowed.some((a) => a.test(p)))).toEqual([]);
    // The token went nowhere but the Authorization header, and was never stored.
    expect(o.requested.filter((u) => u.includes(TOKEN) || u.includes('token='))).toEqual([]);
    expect(
      await o.page.evaluate('localStorage.length + sessionStorage.length + document.cookie.length'),
    ).toBe(0);
    await o.context.close();
  }

  it('(g, a) takes the token from the fragment, removes it, lists the licenses and verifies every use', async () => {
    const o = await open();
    const { page } = o;
    await page.locator('#license-list > li').nth(1).waitFor();
    // The token is gone from the address bar, and so from history.
    expect(page.url()).toBe(`${base}/holder`);
    expect(await page.evaluate('location.hash')).toBe('');
    // Replaced, not pushed: the entry before this one is the new tab's, none holds the token.
    expect(await page.evaluate('history.length')).toBe(2);

    const cards = await page.locator('#license-list > li').allTextContents();
    expect(cards).toHaveLength(2);
    expect(cards[0]).toContain(TYPE_NAME);
    expect(cards[0]).toContain('沪建安A（2026）0000101');
    expect(cards[0]).toContain(SHANGHAI_DEPT.name);
    expect(cards[0]).toContain('有效');
    expect(cards[0]).toContain('2026年1月1日 至 2028年12月31日');
    expect(cards[1]).toContain('暂扣');
    // The second page of licenses.
    await page.locator('#licenses-more').click();
    await page.locator('#license-list > li').nth(3).waitFor();
    const more = await page.locator('#license-list > li').allTextContents();
    expect(more[2]).toContain('长期有效');
    expect(more[3]).toContain('吊销');
    expect(await page.locator('#licenses-more').isHidden()).toBe(true);
    await page.screenshot({ path: shot('licenses'), fullPage: true });

    await openLicense(page, L1);
    let listed = await uses(page, 3);
    expect(listed.map((u) => u.check)).toEqual(['verified', 'verified', 'verified']);
    for (const u of listed) expect(u.text).toContain('已在日志中核验 ✓');
    // Newest first, in Beijing time: 23:45Z on 28 May is 07:45 on 29 May.
    expect(listed[0]?.text).toContain('2026年5月29日 07:45');
    expect(listed[0]?.text).toContain('浙江省');
    expect(listed[0]?.text).toContain('浙江省住房和城乡建设厅');
    expect(listed[0]?.text).toContain('3 敏感');
    expect(listed[1]?.text).toContain('2026年5月25日 18:00');
    expect(listed[1]?.text).toContain('被拒绝');
    expect(listed[1]?.text).toContain('核验证照真伪');
    expect(listed[1]?.text).toContain('本省使用');
    expect(listed[2]?.text).toContain('2 内部');
    expect(listed[2]?.text).toContain('330000-JS-0001');
    // "更多" follows the cursor.
    await page.locator('#uses-more').click();
    listed = await uses(page, 4);
    expect(listed.map((u) => u.check)).toEqual(['verified', 'verified', 'verified', 'verified']);
    expect(listed[3]?.text).toContain('2026年5月20日 09:30');
    expect(listed[3]?.text).toContain('上海市一网通办');
    expect(listed[3]?.text).toContain('上海市');
    expect(listed[3]?.text).toContain('成功');
    expect(await page.locator('#uses-more').isHidden()).toBe(true);
    expect(await page.locator('#uses-summary').textContent()).toBe('已显示 4 条记录，4 条已核验。');
    expect(await page.locator('#uses-warning').isHidden()).toBe(true);
    await page.screenshot({ path: shot('verified'), fullPage: true });

    // Only the holder routes got the token; the page and its files were fetched without it.
    const withToken = seen.filter((s) => s.authorization !== null);
    expect(withToken.length).toBeGreaterThanOrEqual(4);
    for (const s of withToken) {
      expect(s.path).toMatch(/^\/v1\/holder\/(licenses|uses)$/);
      expect(s.authorization).toBe(`Bearer ${TOKEN}`);
      expect(s.search).not.toContain(TOKEN);
    }
    expect(seen.filter((s) => s.path.startsWith('/holder')).map((s) => s.path)).toEqual(
      expect.arrayContaining(['/holder', '/holder/app.js', '/holder/verify.js', '/holder/style.css']),
    );
    // Back and forward through the whole history: no entry brings the token back.
    await page.goBack();
    expect(page.url()).toBe('about:blank');
    await page.goForward();
    expect(page.url()).toBe(`${base}/holder`);
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    await finish(o);
  });

  it('(b) marks the one use whose proof was altered as failed, and the others verified', async () => {
    const o = await open();
    await o.page.locator('#license-list > li').nth(1).waitFor();
    await openLicense(o.page, L2);
    const listed = await uses(o.page, 3);
    const byId = new Map(listed.map((u) => [u.eventId, u]));
    expect(byId.get(altered.eventId)).toMatchObject({ check: 'failed', code: 'PROOF_INVALID' });
    expect(byId.get(altered.eventId)?.text).toContain('核验失败 ✗');
    expect(byId.get(altered.eventId)?.text).not.toContain('已在日志中核验');
    expect(listed.filter((u) => u.eventId !== altered.eventId).map((u) => u.check)).toEqual([
      'verified',
      'verified',
    ]);
    expect(listed.map((u) => u.text).join()).toContain('出错');
    expect(await o.page.locator('#uses-summary').textContent()).toBe(
      '已显示 3 条记录，2 条已核验，1 条核验失败。',
    );
    expect(await o.page.locator('#uses-warning').textContent()).toContain('有 1 条记录没有通过核验');
    // Not only by color: the failed mark has its own border style and symbol.
    const style = async (selector: string) =>
      o.page
        .locator(selector)
        .first()
        .evaluate((el) => {
          // biome-ignore lint/suspicious/noExplicitAny: the browser's getComputedStyle (no DOM library here)
          const s = (globalThis as any).getComputedStyle(el);
          return `${s.borderTopStyle} ${s.borderTopWidth}`;
        });
    expect(await style('.mark-bad')).toBe('double 3px');
    expect(await style('.mark-ok')).toBe('solid 2px');
    await o.page.screenshot({ path: shot('altered'), fullPage: true });
    await finish(o);
  });

  it('(c) marks every use failed when the checkpoint is signed by another key; a foreign license verifies with its own', async () => {
    const o = await open();
    await o.page.locator('#license-list > li').nth(1).waitFor();
    // A license Zhejiang issued, typed in: its proofs are checked against elg/330000/audit.
    await lookUp(o.page, F1);
    let listed = await uses(o.page, 2);
    expect(listed.map((u) => u.check)).toEqual(['verified', 'verified']);
    expect(await o.page.locator('#uses-license').textContent()).toContain(ZHEJIANG_DEPT.name);

    await o.page.locator('#back').click();
    await lookUp(o.page, F2);
    listed = await uses(o.page, 2);
    expect(listed.map((u) => [u.check, u.code])).toEqual([
      ['failed', 'CHECKPOINT_UNSIGNED'],
      ['failed', 'CHECKPOINT_UNSIGNED'],
    ]);
    for (const u of listed) expect(u.text).toContain('核验失败 ✗');
    await o.page.screenshot({ path: shot('wrong-key'), fullPage: true });

    // An identifier that is not the holder's: the plain 404 message.
    await o.page.locator('#back').click();
    await lookUp(o.page, shanghai('2026000999'));
    await o.page.locator('#uses-error').waitFor();
    expect(await o.page.locator('#uses-error').textContent()).toContain('没有找到这本证照');
    await finish(o, [/status of 404/]);
  });

  it('(h) shows who witnessed each use’s checkpoint, and flags NOT_WITNESSED when the quorum is not met', async () => {
    const o = await open();
    await o.page.locator('#license-list > li').nth(1).waitFor();
    const witnessed = async (n: number) => {
      await o.page.waitForFunction(
        (count) => {
          // biome-ignore lint/suspicious/noExplicitAny: the browser's document (no DOM library here)
          const list = (globalThis as any).document.querySelectorAll('#use-list > li');
          return list.length === count && [...list].every((li) => li.getAttribute('data-witness') !== null);
        },
        n,
        { timeout: 10_000 },
      );
      return o.page.locator('#use-list > li').evaluateAll((nodes) =>
        nodes.map((li) => ({
          check: li.getAttribute('data-check'),
          witness: li.getAttribute('data-witness'),
          text: li.textContent ?? '',
        })),
      );
    };

    await lookUp(o.page, W1);
    let listed = await witnessed(2);
    expect(listed.map((u) => [u.check, u.witness])).toEqual([
      ['verified', 'witnessed'],
      ['verified', 'witnessed'],
    ]);
    for (const u of listed) expect(u.text).toContain('已获见证 ✓：2 个见证省份联署（需要 2 个）');
    expect(await o.page.locator('#uses-warning').textContent()).toBe('');

    await o.page.locator('#back').click();
    await lookUp(o.page, W2);
    listed = await witnessed(2);
    expect(listed.map((u) => [u.check, u.witness])).toEqual([
      ['verified', 'NOT_WITNESSED'],
      ['verified', 'NOT_WITNESSED'],
    ]);
    for (const u of listed) expect(u.text).toContain('未获足够见证 NOT_WITNESSED ✗：只有 1 个见证省份联署');
    expect(await o.page.locator('#uses-summary').textContent()).toContain('2 条未获足够见证 (NOT_WITNESSED)');
    expect(await o.page.locator('#uses-warning').textContent()).toContain('NOT_WITNESSED');
    await o.page.screenshot({ path: shot('not-witnessed'), fullPage: true });

    // A license whose page gives no witnesses: verified, the witnesses shown as not checked.
    await o.page.locator('#back').click();
    await lookUp(o.page, F1);
    listed = await witnessed(2);
    expect(listed.map((u) => u.witness)).toEqual(['unchecked', 'unchecked']);
    await finish(o);
  });

  it('(d, e) shows a sealed use without its details, and a pending use as waiting', async () => {
    const o = await open();
    await o.page.locator('#license-list > li').nth(1).waitFor();
    await o.page.locator('#licenses-more').click();
    await o.page.locator('#license-list > li').nth(3).waitFor();
    await openLicense(o.page, L3);
    const listed = await uses(o.page, 3);
    expect(listed.map((u) => u.check)).toEqual(['pending', 'verified', 'sealed']);
    expect(listed[0]?.eventId).toBe(pending.eventId);
    expect(listed[0]?.text).toContain('尚未写入日志（等待中）');
    expect(listed[0]?.text).not.toMatch(/核验失败|已在日志中核验/);
    const sealed = listed[2]?.text ?? '';
    expect(sealed).toContain('该记录因依法调查暂不公开，2026年9月30日 之后可以查看。');
    expect(sealed).toContain('2026年5月26日 13:00');
    // Nothing else of the use: no platform, matter, cause, level, outcome or check.
    for (const word of [
      '使用单位',
      '办理事项',
      '使用事由',
      '数据级别',
      '结果',
      '核验',
      '浙江省政务服务平台',
    ]) {
      expect(sealed).not.toContain(word);
    }
    expect(await o.page.locator('#uses-summary').textContent()).toBe(
      '已显示 3 条记录，1 条已核验，1 条等待写入日志，1 条暂不公开。',
    );
    await o.page.screenshot({ path: shot('sealed-pending'), fullPage: true });

    // And the empty state.
    await o.page.locator('#back').click();
    await openLicense(o.page, L4);
    await o.page.locator('#uses-empty').waitFor();
    expect(await o.page.locator('#uses-empty').textContent()).toBe('这本证照还没有使用记录。');
    await finish(o);
  });

  it('(f) fits a 360 px phone screen without scrolling sideways, in large type', async () => {
    const o = await open('', { width: 360, height: 740 });
    const { page } = o;
    const width = () => page.evaluate('document.documentElement.scrollWidth');
    expect(await page.evaluate('getComputedStyle(document.body).fontSize')).toBe('18px');
    expect(await width()).toBeLessThanOrEqual(360);
    await page.screenshot({ path: shot('phone-sign-in'), fullPage: true });

    // Signing in through the field; a wrong token is the plain 401 message, and the field again.
    await page.locator('#token-input').fill('not-the-token');
    await page.locator('#token-form button').click();
    await page.locator('#error').waitFor();
    expect(await page.locator('#error').textContent()).toContain('登录凭证无效或已过期');
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    expect(await page.locator('#token-input').inputValue()).toBe('');

    await page.locator('#token-input').fill(TOKEN);
    await page.locator('#token-form button').click();
    await page.locator('#license-list > li').nth(1).waitFor();
    expect(await width()).toBeLessThanOrEqual(360);
    await page.screenshot({ path: shot('phone-licenses'), fullPage: true });

    await lookUp(page, F1);
    await uses(page, 2);
    await page.locator('#back').click();
    await openLicense(page, L1);
    await uses(page, 3);
    await page.locator('#uses-more').click();
    await uses(page, 4);
    expect(await width()).toBeLessThanOrEqual(360);
    // Every control is large enough to tap.
    const heights = await page
      .locator('button:visible, input:visible')
      .evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().height));
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
    await page.screenshot({ path: shot('phone-uses'), fullPage: true });

    await openLicenseAfterBack(page, L2);
    await uses(page, 3);
    expect(await width()).toBeLessThanOrEqual(360);
    await page.screenshot({ path: shot('phone-altered'), fullPage: true });

    // Signing out forgets the token: the next call would have none.
    await page.locator('#sign-out').click();
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    expect(await page.locator('#licenses').isHidden()).toBe(true);
    await finish(o, [/status of 401/]);
  });

  async function openLicenseAfterBack(page: Page, identifier: string) {
    await page.locator('#back').click();
    await openLicense(page, identifier);
  }
});
