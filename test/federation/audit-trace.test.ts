import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { assembleTrace, type TraceSource } from '../../lib/audit/trace.ts';
import { traceHtml } from '../../lib/audit/trace-html.ts';
import type { TraceReport } from '../../lib/audit/trace-report.ts';
import { registryTraceVerifier } from '../../lib/audit/trace-verifier.ts';
import { launchChromium } from '../support/browser.ts';
import { call, settle, type TestFederation, testFederation, traceSources } from '../support/federation.ts';
import { sampleIssue } from '../support/gateway.ts';

/** The browser's, inside page.evaluate callbacks (the project compiles without the DOM library). */
declare const getComputedStyle: (el: unknown) => { stroke: string; getPropertyValue(p: string): string };

describe('one cross-province call traced across provinces', () => {
  let f: TestFederation;
  let dir: string;
  let sources: TraceSource[];

  beforeAll(async () => {
    // Sichuan has no agreement with Shanghai: its verifications of Shanghai licenses are refused.
    f = await testFederation({ name: 'trc', provinces: ['310000', '330000', '510000'] });
    dir = f.dir;
    sources = traceSources(f);
  });
  afterAll(async () => {
    await browser?.close();
    await f?.stop();
  });

  /** A verification of a fresh Shanghai license by `verifier` (Zhejiang), integrated into every log. */
  async function tracedCall(verifier = '330000', verdict = 'valid') {
    const sh = f.province('310000');
    const { identifier } = IssueResponseSchema.parse(
      (await call(sh, 'issuer', '/v1/licenses', sampleIssue())).body,
    );
    const answer = VerifyResponseSchema.parse(
      (
        await call(f.province(verifier), 'platform', '/v1/verify', {
          identifier,
          matterCode: 'DEMO0001',
          useCause: '窗口核验',
        })
      ).body,
    );
    expect(answer.verdict).toBe(verdict);
    for (const p of f.provinces) await settle(p);
    return answer.traceId;
  }

  it('shows every event of the call in both provinces, each proven in its signed log, the receipt checked', async () => {
    const traceId = await tracedCall();
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
    );

    expect(report.gaps).toEqual([]);
    expect(report.ok).toBe(true);
    // One event on each side: the caller's verify event carries its call to the issuer.
    expect(report.timeline.map((t) => [t.province, t.event.action])).toHaveLength(2);
    expect(report.timeline.map((t) => [t.province, t.event.action])).toEqual(
      expect.arrayContaining([
        ['330000', 'verify'],
        ['310000', 'interop.verify'],
      ]),
    );
    expect(report.timeline.every((t) => t.proof === 'verified')).toBe(true);
    const verify = report.timeline.find((t) => t.event.action === 'verify');
    const inbound = report.timeline.find((t) => t.event.action === 'interop.verify');
    expect(verify?.receipt).toBe('verified');
    expect(report.calls).toEqual([
      expect.objectContaining({
        from: '330000',
        to: '310000',
        status: 200,
        class: 'success',
        jti: inbound?.event.details.jti,
        outbound: verify?.event.eventId,
        inbound: inbound?.event.eventId,
      }),
    ]);
    expect(report.calls[0]?.jti).toEqual(expect.any(String));
  });

  it('flags the missing counterpart when the caller’s verify event is gone', async () => {
    const traceId = await tracedCall();
    const zj = f.province('330000').storage;
    const events =
      (await zj.doc.send(new ScanCommand({ TableName: zj.tables.audit, ConsistentRead: true }))).Items ?? [];
    const verify = events.find((e) => e.traceId === traceId && e.action === 'verify');
    expect(verify?.details?.direction).toBe('outbound');
    await zj.doc.send(new DeleteCommand({ TableName: zj.tables.audit, Key: { eventId: verify?.eventId } }));

    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
    );
    expect(report.ok).toBe(false);
    expect(report.gaps).toEqual([expect.objectContaining({ kind: 'MISSING_OUTBOUND', province: '330000' })]);
  });

  it('flags a receipt in the caller’s verify event that the callee’s key did not sign', async () => {
    const traceId = await tracedCall();
    const zj = f.province('330000');
    const verifier = registryTraceVerifier(zj.gateway.registry);
    const report = await assembleTrace(traceId, sources, {
      ...verifier,
      receipt: (jws, expected) => verifier.receipt(jws, { ...expected, peer: '510000' }),
    });
    expect(report.ok).toBe(false);
    expect(report.gaps).toEqual([expect.objectContaining({ kind: 'RECEIPT_INVALID', province: '330000' })]);
    expect(report.timeline.find((t) => t.event.action === 'verify')?.receipt).toBe('failed');
  });

  it('flags the missing counterpart when the callee’s inbound event is gone', async () => {
    const traceId = await tracedCall();
    const sh = f.province('310000').storage;
    const events =
      (await sh.doc.send(new ScanCommand({ TableName: sh.tables.audit, ConsistentRead: true }))).Items ?? [];
    const inbound = events.find((e) => e.traceId === traceId);
    expect(inbound).toBeDefined();
    await sh.doc.send(new DeleteCommand({ TableName: sh.tables.audit, Key: { eventId: inbound?.eventId } }));

    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('310000').gateway.registry),
    );
    expect(report.ok).toBe(false);
    expect(report.gaps).toEqual([expect.objectContaining({ kind: 'MISSING_INBOUND', province: '310000' })]);
  });

  /**
   * A fetch that grows Shanghai's log just before the first proof is read, so the proofs are made
   * against a later checkpoint than the one the trace started from; `alter` may change answers.
   */
  function growingFetch(alter?: (url: URL, res: Response) => Promise<Response>) {
    const sh = f.province('310000');
    const seen: string[] = [];
    let grown = false;
    const impl: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      seen.push(url.pathname);
      if (!grown && url.origin === new URL(sh.url).origin && url.pathname.endsWith('/proof')) {
        grown = true;
        await call(sh, 'issuer', '/v1/licenses', sampleIssue());
        await settle(sh);
      }
      const res = await fetch(input, init);
      return alter ? alter(url, res) : res;
    };
    return { impl, seen };
  }

  it('proves that a log which grew during the trace extends the checkpoint the trace started from', async () => {
    const traceId = await tracedCall();
    const { impl, seen } = growingFetch();
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
      impl,
    );
    expect(seen).toContain('/v1/audit/consistency');
    expect(report.gaps).toEqual([]);
    expect(report.timeline.every((t) => t.proof === 'verified')).toBe(true);
  });

  it('flags proofs against a checkpoint that does not extend the one the trace started from', async () => {
    const traceId = await tracedCall();
    const shanghai = new URL(f.province('310000').url).origin;
    const { impl } = growingFetch(async (url, res) => {
      // Only Shanghai's answers: Zhejiang's trace reads consistency proofs too (its events are
      // proven against its newest witnessed checkpoint, which may be older than its head).
      if (url.origin !== shanghai || url.pathname !== '/v1/audit/consistency' || res.status !== 200)
        return res;
      const body = (await res.json()) as { proof: string[] };
      // A different history: the first hash of the proof replaced.
      body.proof[0] = Buffer.alloc(32, 7).toString('base64');
      return new Response(JSON.stringify(body), { status: 200, headers: res.headers });
    });
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
      impl,
    );
    const failed = report.gaps.filter((g) => g.kind === 'PROOF_FAILED');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((g) => g.province === '310000' && /does not extend/.test(g.message))).toBe(true);
    expect(report.ok).toBe(false);
  });

  it('flags an unreachable province', async () => {
    const traceId = await tracedCall();
    const report = await assembleTrace(
      traceId,
      [
        ...sources.filter((s) => s.province === '330000'),
        { province: '310000', baseUrl: 'http://127.0.0.1:9', token: 'x' },
      ],
      registryTraceVerifier(f.province('330000').gateway.registry),
    );
    expect(report.gaps.map((g) => g.kind)).toContain('PROVINCE_UNREACHABLE');
  });

  it('does not call a trace that no province holds verified', async () => {
    const report = await assembleTrace(
      randomBytes(16).toString('hex'),
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
    );
    expect(report.found).toBe(false);
    expect(report.ok).toBe(false);
    expect(report.gaps).toEqual([]);
    expect(report.provinces.every((p) => p.reachable && p.events === 0)).toBe(true);
  });

  let browser: Browser | undefined;
  /** Where screenshots go: ELG_TRACE_SHOTS (under /tmp, to look at), else the test's temp dir. */
  const shots = () => process.env.ELG_TRACE_SHOTS ?? dir;

  /** The report's page opened in headless Chromium, and a full-page screenshot of it taken. */
  async function open(report: TraceReport, name: string): Promise<Page> {
    const file = join(dir, `${name}.html`);
    await writeFile(file, traceHtml(report));
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`file://${file}`);
    await mkdir(shots(), { recursive: true });
    await page.screenshot({ path: join(shots(), `trace-${name}.png`), fullPage: true });
    return page;
  }

  const GREEN = 'rgb(47, 133, 90)';
  const ORANGE = 'rgb(192, 86, 33)';
  const RED = 'rgb(197, 48, 48)';
  const style = (page: Page, selector: string, property: string) =>
    page
      .locator(selector)
      .first()
      .evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);

  it('renders a valid trace: verdict, green 200 arrow, names, checkpoints, event ids and leaves', async () => {
    const traceId = await tracedCall();
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
    );
    expect(report.ok).toBe(true);
    const page = await open(report, 'valid');

    expect(await page.locator('g.lane').count()).toBe(3);
    expect(await page.locator('g.lane[data-province="310000"] .lane-title').textContent()).toBe(
      '310000 上海市',
    );
    expect(await page.locator('.banner.ok').textContent()).toContain('Trace verified, no gaps');
    expect(await page.locator('#verdict').textContent()).toContain('valid');
    expect(await page.locator('#matter').textContent()).toBe('DEMO0001');
    expect(await page.locator('#use-cause').textContent()).toBe('窗口核验');
    expect(await page.locator('#requester').textContent()).toBe('浙江省政务服务平台');
    const identifier = report.verdicts[0]?.identifier ?? '';
    expect(identifier).not.toBe('');
    expect(await page.locator('#identifier').textContent()).toBe(identifier);
    const made = (await page.locator('#made').textContent()) ?? '';
    expect(made).toContain(report.generatedAt);
    expect(made).toContain(`seq ${report.registry?.seq}`);

    // The arrow of the answered call: green, labelled 200.
    const arrow = 'g.call[data-from="330000"][data-to="310000"]';
    expect(await page.locator(arrow).getAttribute('class')).toBe('call success');
    expect(await page.locator(`${arrow} .call-label`).textContent()).toBe('200');
    expect(await style(page, `${arrow} line`, 'stroke')).toBe(GREEN);
    expect(await style(page, '.legend .key.refused line', 'stroke')).toBe(ORANGE);
    expect(await style(page, '.legend .key.error line', 'stroke')).toBe(RED);
    const verify = page.locator('g.event[data-action="verify"][data-province="330000"]');
    expect(await verify.getAttribute('data-verdict')).toBe('valid');
    expect(await style(page, 'g.event[data-action="verify"] rect', 'stroke')).toBe(GREEN);

    // Every event with its id and leaf; every province with its tree size and root.
    for (const t of report.timeline) {
      const box = page.locator(`g.event[data-event="${t.event.eventId}"]`);
      expect(await box.locator('.ev-id').textContent()).toBe(t.event.eventId);
      expect(t.leafIndex).toEqual(expect.any(Number));
      expect(await box.locator('.ev-proof').textContent()).toContain(`leaf #${t.leafIndex} · ✓ in log`);
    }
    for (const p of report.provinces.filter((x) => x.checkpoint)) {
      const row = page.locator(`table.provinces tr[data-province="${p.id}"]`);
      expect(await row.textContent()).toContain(String(p.checkpoint?.treeSize));
      expect(await row.locator('code.root').textContent()).toBe(p.checkpoint?.root);
    }
    expect(await page.locator('g.tick').count()).toBe(report.timeline.length);
    expect(await page.locator('g.event.bad').count()).toBe(0);
    // An officer is never named: neither the token's subject nor the officer reference.
    const html = await page.content();
    expect(html).not.toMatch(/dev-platform@|ofr_/);
  });

  it('renders a refusal as a refusal: orange 403 AGREEMENT_REQUIRED, caller box unverified', async () => {
    // Sichuan verifies a Shanghai license without an agreement: Shanghai refuses with 403.
    const traceId = await tracedCall('510000', 'unverified');
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('510000').gateway.registry),
    );
    expect(report.gaps).toEqual([]);
    expect(report.verdicts).toEqual([
      expect.objectContaining({ province: '510000', verdict: 'unverified', reasons: ['AGREEMENT_REQUIRED'] }),
    ]);
    const page = await open(report, 'refused');

    const arrow = 'g.call[data-from="510000"][data-to="310000"]';
    expect(await page.locator(arrow).getAttribute('class')).toBe('call refused');
    expect(await page.locator(`${arrow} .call-label`).textContent()).toBe('403 AGREEMENT_REQUIRED');
    const stroke = await style(page, `${arrow} line`, 'stroke');
    expect(stroke).not.toBe(GREEN);
    expect(stroke).toBe(ORANGE);
    expect(await style(page, `${arrow} .call-label`, 'fill')).toBe(ORANGE);

    const caller = page.locator('g.event[data-action="verify"][data-province="510000"]');
    expect(await caller.getAttribute('data-verdict')).toBe('unverified');
    expect(await caller.locator('.ev-title').textContent()).toBe('verify · unverified');
    expect(await caller.locator('.ev-codes').textContent()).toContain('AGREEMENT_REQUIRED');
    expect(await style(page, 'g.event[data-action="verify"][data-province="510000"] rect', 'stroke')).toBe(
      ORANGE,
    );
    const callee = page.locator('g.event[data-action="interop.verify"][data-province="310000"]');
    expect(await callee.locator('.ev-title').textContent()).toBe('interop.verify · refused');
    expect(await callee.locator('.ev-codes').textContent()).toBe('403 · AGREEMENT_REQUIRED');
    const verdict = (await page.locator('#verdict').textContent()) ?? '';
    expect(verdict).toMatch(/^unverified AGREEMENT_REQUIRED \(510000 四川省/);
    expect(await style(page, '#verdict .verdict', 'color')).toBe(ORANGE);
    expect(await page.locator('table.calls tr.refused td.call-class').textContent()).toBe(
      '403 AGREEMENT_REQUIRED',
    );
    // Nothing refused is drawn green.
    for (const line of await page.locator('g.call.refused line').all()) {
      expect(await line.evaluate((el) => getComputedStyle(el).stroke)).not.toBe(GREEN);
    }
  });

  it('renders a broken trace: the missing inbound side and the failed proof in red', async () => {
    const traceId = await tracedCall();
    const sh = f.province('310000').storage;
    const events =
      (await sh.doc.send(new ScanCommand({ TableName: sh.tables.audit, ConsistentRead: true }))).Items ?? [];
    const inbound = events.find((e) => e.traceId === traceId);
    await sh.doc.send(new DeleteCommand({ TableName: sh.tables.audit, Key: { eventId: inbound?.eventId } }));
    // Zhejiang's verify event served with another verdict than the one it logged.
    const tampered: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const url = new URL(String(input));
      if (url.origin !== new URL(f.province('330000').url).origin || url.pathname !== '/v1/audit/events')
        return res;
      const body = (await res.json()) as { items: { action: string; details: Record<string, unknown> }[] };
      for (const e of body.items) if (e.action === 'verify') e.details.useCause = '篡改';
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('310000').gateway.registry),
      tampered,
    );
    expect(report.ok).toBe(false);
    expect(report.gaps.map((g) => g.kind).sort()).toEqual(['MISSING_INBOUND', 'PROOF_FAILED']);
    const page = await open(report, 'broken');

    expect(await page.locator('.banner.bad').textContent()).toContain('2 gaps');
    expect(await page.locator('ul.gaps li').count()).toBe(2);
    expect(await page.locator('ul.gaps').textContent()).toContain('MISSING_INBOUND');
    // One event holds both gaps: the verify event records the call as well as the verdict.
    const bad = page.locator('g.event.bad');
    expect(await bad.count()).toBe(1);
    expect(await style(page, 'g.event.bad rect', 'stroke')).toBe(RED);
    expect(await style(page, 'g.event.bad rect', 'stroke-dasharray')).not.toBe('none');
    const verify = page.locator('g.event.bad[data-action="verify"]');
    expect(await verify.locator('.ev-proof').textContent()).toContain('✗ proof');
    expect(await verify.locator('.ev-title').textContent()).toContain('✗ gap');
    // The verdict comes from an event that fails its proof: shown, and said to be no evidence.
    expect(await page.locator('#verdict .unproven').textContent()).toContain('fails its proof');
    // The call is drawn to Shanghai's lane, dashed: seen on one side only.
    const arrow = 'g.call[data-from="330000"][data-to="310000"]';
    expect(await page.locator(arrow).getAttribute('class')).toBe('call success one-sided');
    expect(await page.locator(`${arrow} .call-label`).textContent()).toBe('200 · ✗ no inbound event');
    expect(await style(page, `${arrow} line`, 'stroke-dasharray')).not.toBe('none');
    expect(await page.locator('g.event[data-province="310000"]').count()).toBe(0);
  });

  it('names the acting department of an issue by USCC and name, never the officer', async () => {
    const sh = f.province('310000');
    const res = await call(sh, 'issuer', '/v1/licenses', sampleIssue());
    expect(res.status).toBe(201);
    const traceId = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceparent') ?? '')?.[1] ?? '';
    await settle(sh);
    const report = await assembleTrace(traceId, sources, registryTraceVerifier(sh.gateway.registry));
    expect(report.ok).toBe(true);
    const page = await open(report, 'issue');

    const dept = sh.departments[0];
    expect(await page.locator('#department').textContent()).toBe(`${dept?.uscc} ${dept?.name}`);
    const box = page.locator('g.event[data-action="license.issue"] .ev-actor');
    expect(await box.textContent()).toContain(`dept ${dept?.uscc}`);
    expect(await page.content()).not.toContain('dev-issuer@');
  });

  it('renders a trace nobody holds as not verified', async () => {
    const report = await assembleTrace(
      randomBytes(16).toString('hex'),
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
    );
    const page = await open(report, 'empty');
    expect(await page.locator('.banner.none').textContent()).toContain(
      'No province holds events for this trace',
    );
    expect(await page.locator('.banner.ok').count()).toBe(0);
    expect(await style(page, '.banner.none', 'color')).toBe(RED);
  });
});
