import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Federation } from '../../../federation/federation.ts';
import { launchChromium } from '../../support/browser.ts';
import { testFederation } from '../../support/federation.ts';

/** Where the screenshots go for a person to look at; never committed. */
const SCREENSHOT = join(tmpdir(), 'elg-docs-page.png');
const SCREENSHOT_OPERATION = join(tmpdir(), 'elg-docs-page-verify.png');

describe('the API reference page at /docs, in headless Chromium', () => {
  let f: Federation;
  let browser: Browser;

  beforeAll(async () => {
    f = await testFederation({ name: 'doc', provinces: ['310000'] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.stop();
  });

  it('shows every operation of the document, loading everything from the gateway and nothing from elsewhere', async () => {
    const sh = f.province('310000');
    const gateway = new URL(sh.url);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requested: string[] = [];
    const refused: string[] = [];
    const problems: string[] = [];
    // Every request the page makes: anything not to this gateway is recorded and refused, so a
    // CDN reference fails here even on a machine with internet.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      requested.push(url.href);
      if (url.origin === gateway.origin) return route.continue();
      refused.push(url.href);
      return route.abort('blockedbyclient');
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));

    const res = await page.goto(`${sh.url}/docs`);
    expect(res?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });

    // Every operation of the document is on the page, with its path.
    const doc = (await (await fetch(`${sh.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const count = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(await page.locator('.opblock').count()).toBe(count);
    const text = await page.locator('#swagger-ui').innerText();
    for (const path of [
      '/v1/verify',
      '/v1/agreements',
      '/v1/interop/agreements/{id}/signatures',
      '/v1/audit/events',
    ]) {
      expect(text).toContain(path);
    }
    // Swagger UI finds nothing to warn about in the document.
    expect(await page.locator('.errors-wrapper').count()).toBe(0);
    // The server is the province's own URL, and the security schemes are offered.
    expect(await page.locator('.servers select').inputValue()).toBe(sh.url);
    expect(await page.locator('.btn.authorize').count()).toBe(1);

    await page.screenshot({ path: SCREENSHOT });

    // Open one operation: its example request body is the document's.
    await page.locator('#operations-verification-verify .opblock-summary').click();
    await page
      .locator(
        '#operations-verification-verify .body-param__example, #operations-verification-verify .microlight',
      )
      .first()
      .waitFor();
    expect(await page.locator('#operations-verification-verify').innerText()).toContain('310000-JS-0012');

    await page.screenshot({ path: SCREENSHOT_OPERATION });

    expect(refused).toEqual([]);
    expect(requested.length).toBeGreaterThanOrEqual(4);
    for (const url of requested) expect(['127.0.0.1', 'localhost', '[::1]']).toContain(new URL(url).hostname);
    expect(requested.map((u) => new URL(u).pathname)).toEqual(
      expect.arrayContaining([
        '/docs',
        '/docs/swagger-ui.css',
        '/docs/swagger-ui-bundle.js',
        '/docs/docs.js',
        '/openapi.json',
      ]),
    );
    // No CSP violation, no script error.
    expect(problems).toEqual([]);
    await page.close();
  });
});
