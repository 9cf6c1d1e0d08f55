import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOLDER_PAGE_FILES } from '../../../contracts/openapi/paths/discovery.ts';
import { get, type TestGateway, testGateway } from '../../support/gateway.ts';

const PAGE_DIR = new URL('../../../lib/holder/page/', import.meta.url);

describe('the holder page at /holder, as HTTP', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await testGateway();
  });

  it('is served by discovery with a CSP that allows only its own files and same-origin calls', async () => {
    const res = await t.app.request(get('/holder'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = (res.headers.get('content-security-policy') ?? '').split('; ');
    expect(csp).toEqual(
      expect.arrayContaining([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
      ]),
    );
    expect(csp.join(' ')).not.toMatch(/unsafe-|https?:|\*/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');

    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('name="viewport"');
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(urls.sort()).toEqual(['/holder/app.js', '/holder/style.css', 'data:,']);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    // The one script without src is a JSON data block (names of codes), which no browser runs.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
    expect(scripts.map((a) => /\bsrc=/.test(a) || /type="application\/json"/.test(a))).toEqual([true, true]);
    const data = JSON.parse(
      /<script type="application\/json" id="holder-names">(.*?)<\/script>/s.exec(html)?.[1] ?? '',
    );
    expect(data.provinces['330000']).toBe('浙江省');
    expect(data.statuses['02']).toBe('暂扣');
    // No form field has a name: nothing the holder types can ever be submitted in a URL.
    expect(html).not.toMatch(/<input[^>]*\sname=/);
  });

  it('serves each of its files as it is in lib/holder/page, typed, with an ETag', async () => {
    expect([...HOLDER_PAGE_FILES].sort()).toEqual(['app.js', 'style.css', 'verify.js']);
    for (const name of HOLDER_PAGE_FILES) {
      const res = await t.app.request(get(`/holder/${name}`));
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type'), name).toMatch(
        name.endsWith('.css') ? /^text\/css; charset=utf-8/ : /^text\/javascript; charset=utf-8/,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(await readFile(new URL(name, PAGE_DIR), 'utf8'));
      const etag = res.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"holder-[A-Za-z0-9_-]{22}"$/);
      const again = await t.app.request(
        new Request(`http://gateway.test/holder/${name}`, { headers: { 'if-none-match': etag } }),
      );
      expect(again.status).toBe(304);
    }
  });

  it('sets what it shows as text only, and keeps the token out of storage and URLs', async () => {
    const app = await readFile(new URL('app.js', PAGE_DIR), 'utf8');
    const verify = await readFile(new URL('verify.js', PAGE_DIR), 'utf8');
    for (const source of [app, verify]) {
      expect(source).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/,
      );
      expect(source).not.toMatch(/localStorage|sessionStorage|indexedDB|document\.cookie/);
    }
    // The one place the token goes: the Authorization header.
    expect(app).toMatch(/Authorization: `Bearer \$\{token\}`/);
    expect(app).not.toMatch(/[?&]token=/);
  });

  it('answers a file it does not have with the JSON 404', async () => {
    for (const path of [
      '/holder/index.html',
      '/holder/..%2Fpage.ts',
      '/holder/verify.d.ts',
      '/holder/page.ts',
    ]) {
      const res = await t.app.request(get(path));
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });
});
