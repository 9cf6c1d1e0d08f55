import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import swaggerUiPackage from 'swagger-ui-dist/package.json' with { type: 'json' };
import { DOCS_ASSETS } from '../../contracts/openapi.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';

export const SWAGGER_UI_VERSION: string = swaggerUiPackage.version;

/**
 * Swagger UI's settings. A file of its own rather than an inline script, so the page's CSP can
 * forbid inline scripts. No validator badge (it would send the document to validator.swagger.io),
 * no remote configuration, no telemetry: the page talks to this gateway only.
 */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  queryConfigEnabled: false,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
});
`;

type AssetName = (typeof DOCS_ASSETS)[number];

const TYPES: Record<AssetName, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'docs.js': 'text/javascript; charset=utf-8',
};

/**
 * A file of swagger-ui-dist. Bundled for Lambda (infra/bundle.ts), esbuild embeds it as text
 * through the import attribute, so the discovery function carries the page and needs nothing at
 * run time; only this function imports this module, so no other bundle grows. Run from the
 * sources (tsx, vitest), which do not know `type: 'text'`, the file is read from the installed
 * package instead.
 */
async function swaggerUiFile(name: 'swagger-ui.css' | 'swagger-ui-bundle.js'): Promise<string> {
  if (import.meta.url.endsWith('.ts')) {
    return readFile(createRequire(import.meta.url).resolve(`swagger-ui-dist/${name}`), 'utf8');
  }
  const file =
    name === 'swagger-ui.css'
      ? await import('swagger-ui-dist/swagger-ui.css', { with: { type: 'text' } })
      : await import('swagger-ui-dist/swagger-ui-bundle.js', { with: { type: 'text' } });
  return file.default;
}

interface Asset {
  body: string;
  /** Made on the first request that accepts gzip: the bundle is 1.7 MB, about 0.5 MB gzipped. */
  gzipped?: Uint8Array<ArrayBuffer>;
}

const loaded = new Map<AssetName, Promise<Asset>>();

function asset(name: AssetName): Promise<Asset> {
  let found = loaded.get(name);
  if (!found) {
    found = (name === 'docs.js' ? Promise.resolve(INIT_SCRIPT) : swaggerUiFile(name)).then((body) => ({
      body,
    }));
    // A failed read is not kept: the next request tries again.
    found.catch(() => loaded.delete(name));
    loaded.set(name, found);
  }
  return found;
}

const isAsset = (name: string): name is AssetName => (DOCS_ASSETS as readonly string[]).includes(name);

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export interface DocsOptions {
  province: string;
  provinceName: string;
  /** The province's own base URL, which "Try it out" calls; read per request (the registry refreshes). */
  serverUrl: () => string | undefined;
}

/** The Content-Security-Policy of the page: its own files and this gateway, nothing else. */
export function docsCsp(serverUrl: string | undefined): string {
  let server = '';
  try {
    if (serverUrl) server = ` ${new URL(serverUrl).origin}`;
  } catch {
    // not a URL: 'self' only
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Swagger UI sets style attributes from script.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${server}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * `GET /docs`: the OpenAPI document as an interactive reference page (Swagger UI), and
 * `GET /docs/{asset}` its files, all served by the gateway itself: government networks and this
 * machine have no internet, and the page must not depend on a CDN.
 */
export function docsRoutes(options: DocsOptions) {
  const app = new Hono<GatewayEnv>();
  const v = encodeURIComponent(SWAGGER_UI_VERSION);
  const title = escapeHtml(`${options.provinceName} (${options.province}) e-license gateway: API reference`);
  const page = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css?v=${v}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js?v=${v}"></script>
<script src="/docs/docs.js?v=${v}"></script>
</body>
</html>
`;

  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', docsCsp(options.serverUrl()));
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-cache');
    return c.html(page);
  });

  app.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset');
    if (!isAsset(name)) throw new NotFoundError(`no file ${name} on the reference page`);
    const etag = `"swagger-ui-${SWAGGER_UI_VERSION}-${name}"`;
    c.header('Content-Type', TYPES[name]);
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('ETag', etag);
    c.header('Vary', 'Accept-Encoding');
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    const file = await asset(name);
    if (/\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')) {
      file.gzipped ??= new Uint8Array(gzipSync(file.body));
      c.header('Content-Encoding', 'gzip');
      return c.body(file.gzipped);
    }
    return c.body(file.body);
  });

  return app;
}
