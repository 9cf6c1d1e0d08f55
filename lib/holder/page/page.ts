import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LICENSE_STATUS_NAMES } from '../../../contracts/codes/license-status.ts';
import { PROVINCES } from '../../../contracts/codes/provinces.ts';
import { HOLDER_PAGE_FILES } from '../../../contracts/openapi/paths/discovery.ts';

/**
 * The holder page (知情权): `GET /holder` and its files `GET /holder/{file}` (app.js, verify.js,
 * style.css beside this module), served by the discovery function. The files are plain JavaScript
 * and CSS, no build step: the browser runs them as they are here, and the tests run verify.js in
 * Node.
 */

export type HolderPageFile = (typeof HOLDER_PAGE_FILES)[number];

export const isHolderPageFile = (name: string): name is HolderPageFile =>
  (HOLDER_PAGE_FILES as readonly string[]).includes(name);

export const HOLDER_PAGE_TYPES: Record<HolderPageFile, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'verify.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * The page's Content-Security-Policy: its own three files and same-origin calls, nothing else; no
 * inline script or style, and Trusted Types required with no policy, so no string can ever become
 * markup or script (the page sets text only).
 */
export const HOLDER_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

interface PageFile {
  body: string;
  etag: string;
}

/**
 * A file of the page. Bundled for Lambda (infra/bundle.ts), esbuild embeds it as text through the
 * import attribute, so the discovery function carries the page; run from the sources (tsx,
 * vitest), which do not know `type: 'text'`, the file is read from beside this module. The
 * specifiers go through `../page/` to match the declarations of text-imports.d.ts.
 */
async function fileText(name: HolderPageFile): Promise<string> {
  if (import.meta.url.endsWith('.ts')) return readFile(new URL(`./${name}`, import.meta.url), 'utf8');
  switch (name) {
    case 'app.js':
      return (await import('../page/app.js', { with: { type: 'text' } })).default;
    case 'style.css':
      return (await import('../page/style.css', { with: { type: 'text' } })).default;
    case 'verify.js':
      return (
        (await import('../page/verify.js', { with: { type: 'text' } })) as unknown as { default: string }
      ).default;
  }
}

const loaded = new Map<HolderPageFile, Promise<PageFile>>();

/** A file of the page with its ETag (a hash of its content), read once. */
export function holderPageFile(name: HolderPageFile): Promise<PageFile> {
  let found = loaded.get(name);
  if (!found) {
    found = fileText(name).then((body) => ({
      body,
      etag: `"holder-${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    }));
    // A failed read is not kept: the next request tries again.
    found.catch(() => loaded.delete(name));
    loaded.set(name, found);
  }
  return found;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** JSON inside a `<script type="application/json">` data block: no `<` that could end it. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The names the page shows for codes: provinces (GB/T 2260) and license statuses, in Chinese. */
function names() {
  return {
    provinces: Object.fromEntries(Object.entries(PROVINCES).map(([code, p]) => [code, p.full])),
    statuses: Object.fromEntries(Object.entries(LICENSE_STATUS_NAMES).map(([code, s]) => [code, s.zh])),
  };
}

/** The page itself: markup only; what it shows is filled in by app.js, as text. */
export function holderPageHtml(options: { province: string; provinceName: string }): string {
  const gateway = escapeHtml(`${options.provinceName}（${options.province}）电子证照`);
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>我的证照使用记录</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/holder/style.css">
<script type="application/json" id="holder-names">${scriptJson(names())}</script>
<script type="module" src="/holder/app.js"></script>
</head>
<body>
<header class="top">
<p class="gateway">${gateway}</p>
<h1>我的证照使用记录</h1>
<p class="lead">在这里可以看到您的电子证照在什么时间、什么地方、被哪个部门或平台使用过。每一条记录，本页都会自己核对它是否已经写入发证省份不可篡改的审计日志。</p>
</header>
<main>
<noscript><p class="notice notice-error">本页面需要开启浏览器的 JavaScript 功能才能使用。</p></noscript>
<section id="sign-in" class="card" aria-labelledby="sign-in-title">
<h2 id="sign-in-title">登录</h2>
<form id="token-form" autocomplete="off" novalidate>
<label for="token-input">请粘贴政务服务平台给您的登录凭证</label>
<input id="token-input" type="password" autocomplete="off" autocapitalize="off" spellcheck="false">
<button type="submit" class="primary">查看我的证照</button>
</form>
<p class="hint">登录凭证只留在本页面里，不会被保存；关闭页面即清除。</p>
</section>
<section id="signed-in" class="card" hidden>
<p>您已登录。用完后请点“退出登录”。</p>
<button type="button" id="sign-out">退出登录</button>
</section>
<p id="status" class="notice" role="status" aria-live="polite" hidden></p>
<p id="error" class="notice notice-error" role="alert" hidden></p>
<section id="licenses" aria-labelledby="licenses-title" hidden>
<h2 id="licenses-title">我的证照</h2>
<p id="licenses-empty" class="empty" hidden>没有找到您名下的电子证照。</p>
<ul id="license-list" class="cards"></ul>
<button type="button" id="licenses-more" hidden>更多证照</button>
<form id="lookup-form" class="card" novalidate>
<h3>查询外省签发的证照</h3>
<label for="identifier-input">证照标识（印在证照上，以 1.2.156 开头）</label>
<input id="identifier-input" type="text" autocomplete="off" autocapitalize="off" spellcheck="false">
<button type="submit">查询使用记录</button>
</form>
</section>
<section id="uses" aria-labelledby="uses-title" hidden>
<h2 id="uses-title" tabindex="-1">使用记录</h2>
<div id="uses-license" class="card"></div>
<p id="uses-summary" class="summary" hidden></p>
<p id="uses-warning" class="notice notice-error" role="alert" hidden></p>
<p id="uses-empty" class="empty" hidden>这本证照还没有使用记录。</p>
<ol id="use-list" class="timeline"></ol>
<p id="uses-status" class="notice" role="status" aria-live="polite" hidden></p>
<p id="uses-error" class="notice notice-error" role="alert" hidden></p>
<button type="button" id="uses-more" hidden>更多</button>
<button type="button" id="back">返回我的证照</button>
</section>
</main>
</body>
</html>
`;
}
