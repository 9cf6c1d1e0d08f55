import { Hono } from 'hono';
import { NotFoundError } from '../../lib/errors.ts';
import {
  HOLDER_PAGE_CSP,
  HOLDER_PAGE_TYPES,
  holderPageFile,
  holderPageHtml,
  isHolderPageFile,
} from '../../lib/holder/page/page.ts';
import type { GatewayEnv } from '../../lib/http/env.ts';

/**
 * `GET /holder`: the holder page (知情权), where a license holder sees every use of their licenses
 * and the page checks each use's proof itself; `GET /holder/{file}` its script, proof check and
 * style sheet, all from the gateway (lib/holder/page). The page calls only this origin.
 */
export function holderPageRoutes(options: { province: string; provinceName: string }) {
  const app = new Hono<GatewayEnv>();
  const page = holderPageHtml(options);

  app.get('/holder', (c) => {
    c.header('Content-Security-Policy', HOLDER_PAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    // The page holds no data, but a shared cache has no business keeping a holder's page.
    c.header('Cache-Control', 'no-store');
    return c.html(page);
  });

  app.get('/holder/:file', async (c) => {
    const name = c.req.param('file');
    if (!isHolderPageFile(name)) throw new NotFoundError(`no file ${name} on the holder page`);
    const file = await holderPageFile(name);
    c.header('Content-Type', HOLDER_PAGE_TYPES[name]);
    // Small files, checked on every load: a new release reaches the browser at once.
    c.header('Cache-Control', 'no-cache');
    c.header('ETag', file.etag);
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304);
    return c.body(file.body);
  });

  return app;
}
