import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IssueResponseSchema } from '../../contracts/license.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { type Federation, type RunningProvince, startFederation } from '../../federation/federation.ts';
import { FEDERATION } from '../../federation/provinces.ts';
import { integrate } from '../../functions/sequencer/sequencer.ts';
import { assembleTrace, type TraceSource } from '../../lib/audit/trace.ts';
import { traceHtml } from '../../lib/audit/trace-html.ts';
import { registryTraceVerifier } from '../../lib/audit/trace-verifier.ts';
import { sampleIssue } from '../support/gateway.ts';

async function post(p: RunningProvince, role: keyof RunningProvince['tokens'], path: string, body: unknown) {
  const res = await fetch(`${p.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.tokens[role]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json() as Promise<unknown>;
}

describe('one cross-province call traced across provinces', () => {
  let f: Federation;
  let dir: string;
  let sources: TraceSource[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elg-trace-'));
    f = await startFederation({
      dir,
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      ports: 'ephemeral',
      tablePrefix: `trc${randomBytes(3).toString('hex')}`,
      provinces: FEDERATION.filter((p) => ['310000', '330000'].includes(p.id)),
    });
    sources = f.provinces.map((p) => ({ province: p.id, baseUrl: p.url, token: p.tokens.auditor }));
  });
  afterAll(async () => {
    await f?.stop();
  });

  /** A Zhejiang verification of a Shanghai license, integrated into both logs. */
  async function tracedCall() {
    const sh = f.province('310000');
    const zj = f.province('330000');
    const { identifier } = IssueResponseSchema.parse(await post(sh, 'issuer', '/v1/licenses', sampleIssue()));
    const answer = VerifyResponseSchema.parse(
      await post(zj, 'platform', '/v1/verify', { identifier, matterCode: 'DEMO0001', useCause: '窗口核验' }),
    );
    expect(answer.verdict).toBe('valid');
    for (const p of f.provinces) await settle(p);
    return answer.traceId;
  }

  /** Integrates until nothing is pending; the federation's own sequencer loop may hold the lease. */
  async function settle(p: RunningProvince) {
    for (let i = 0; i < 100; i++) {
      const round = await integrate(p.gateway, { maxBatch: 500 });
      if (round.outcome === 'idle') return;
      if (round.outcome === 'busy') await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the log of ${p.id} did not settle`);
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
    expect(report.timeline.map((t) => [t.province, t.event.action])).toEqual(
      expect.arrayContaining([
        ['330000', 'interop.outbound'],
        ['330000', 'verify'],
        ['310000', 'interop.verify'],
      ]),
    );
    expect(report.timeline.every((t) => t.proof === 'verified')).toBe(true);
    expect(report.timeline.find((t) => t.event.action === 'interop.outbound')?.receipt).toBe('verified');
    expect(report.calls).toEqual([expect.objectContaining({ from: '330000', to: '310000', status: 200 })]);
    expect(report.calls[0]?.inbound).toBeDefined();
  });

  it('flags the missing counterpart when the callee’s inbound event is gone', async () => {
    const traceId = await tracedCall();
    const sh = f.province('310000').gateway;
    const events =
      (await sh.doc.send(new ScanCommand({ TableName: sh.tables.audit, ConsistentRead: true }))).Items ?? [];
    const inbound = events.find((e) => e.traceId === traceId);
    expect(inbound).toBeDefined();
    await sh.doc.send(new DeleteCommand({ TableName: sh.tables.audit, Key: { eventId: inbound?.eventId } }));

    const report = await assembleTrace(traceId, sources, registryTraceVerifier(sh.registry));
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
        await post(sh, 'issuer', '/v1/licenses', sampleIssue());
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
    const { impl } = growingFetch(async (url, res) => {
      if (url.pathname !== '/v1/audit/consistency' || res.status !== 200) return res;
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

  it('renders lanes and call arrows that an auditor sees in a browser', async () => {
    const traceId = await tracedCall();
    const report = await assembleTrace(
      traceId,
      sources,
      registryTraceVerifier(f.province('330000').gateway.registry),
    );
    const file = join(dir, 'trace.html');
    await writeFile(file, traceHtml(report));
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      expect(await page.locator('g.lane').count()).toBe(2);
      expect(await page.locator('g.lane[data-province="310000"]').count()).toBe(1);
      expect(await page.locator('g.call[data-from="330000"][data-to="310000"]').count()).toBe(1);
      expect(await page.locator('g.event').count()).toBe(report.timeline.length);
      expect(await page.locator('g.event.bad').count()).toBe(0);
      const box = await page.locator('svg').boundingBox();
      expect(box?.width).toBeGreaterThan(400);
      await page.screenshot({ path: join(dir, 'trace.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
