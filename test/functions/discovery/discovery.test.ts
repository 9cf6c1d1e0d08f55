import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { JwksSchema } from '../../../contracts/keys.ts';
import { DOCS_ASSETS, HealthSchema } from '../../../contracts/openapi.ts';
import { get, type TestGateway, testGateway } from '../../support/gateway.ts';

describe('discovery endpoints', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await testGateway();
  });

  it('publishes the three public keys with kid, alg, use and purpose, and no private part', async () => {
    const res = await t.app.request(get('/.well-known/jwks.json'));
    expect(res.status).toBe(200);
    const raw = (await res.json()) as { keys: Record<string, unknown>[] };
    const jwks = JwksSchema.parse(raw);
    expect(jwks.keys.map((k) => [k.purpose, k.kid])).toEqual(
      expect.arrayContaining([
        ['credential', t.keys.credential.kid],
        ['gateway', t.keys.gateway.kid],
        ['audit', t.keys.audit.kid],
      ]),
    );
    expect(raw.keys.every((k) => !('d' in k))).toBe(true);
  });

  it('serves an OpenAPI 3.1 document describing every route with its request schema', async () => {
    const res = await t.app.request(get('/openapi.json'));
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string } }> } }>
      >;
      components: { schemas: Record<string, { properties?: object }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/licenses',
        '/v1/licenses/{identifier}',
        '/v1/licenses/{identifier}/versions',
        '/v1/licenses/{identifier}/status',
        '/v1/verify',
        '/.well-known/jwks.json',
      ]),
    );
    // The request body refers to the named contract.
    const body = doc.paths['/v1/licenses']?.post?.requestBody?.content['application/json']?.schema;
    expect(body).toEqual({ $ref: '#/components/schemas/IssueRequest' });
    const issue = doc.components.schemas.IssueRequest;
    expect(Object.keys(issue?.properties ?? {})).toEqual(
      expect.arrayContaining(['typeCode', 'issuer', 'holder', 'validFrom', 'validUntil']),
    );
  });

  it('reports health in the documented shape', async () => {
    const res = await t.app.request(get('/healthz'));
    expect(res.status).toBe(200);
    expect(HealthSchema.parse(await res.json())).toMatchObject({ status: 'ok', province: '310000' });
  });

  it('serves the reference page with its files from the gateway itself, and a CSP that allows nothing else', async () => {
    const res = await t.app.request(get('/docs'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    // "Try it out" may call the province's own base URL (the registry's), nothing else.
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:1");
    const html = await res.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) expect(url, url).toMatch(/^(\/docs\/[a-z.-]+(\?v=[0-9.]+)?|data:,)$/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>/);

    for (const name of DOCS_ASSETS) {
      const file = await t.app.request(get(`/docs/${name}`));
      expect(file.status, name).toBe(200);
      expect(file.headers.get('content-type'), name).toMatch(
        name.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      expect((await file.text()).length, name).toBeGreaterThan(100);
    }
    expect(await (await t.app.request(get('/docs/docs.js'))).text()).toContain("url: '/openapi.json'");
  });

  it('sends the page files gzipped when accepted, and 304 for a copy the browser holds', async () => {
    const plain = await (await t.app.request(get('/docs/swagger-ui-bundle.js'))).text();
    const zipped = await t.app.request(
      new Request('http://gateway.test/docs/swagger-ui-bundle.js', {
        headers: { 'accept-encoding': 'gzip, br' },
      }),
    );
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    const bytes = new Uint8Array(await zipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(plain.length / 2);
    expect(gunzipSync(bytes).toString('utf8')).toBe(plain);

    const etag = zipped.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"swagger-ui-[0-9.]+-swagger-ui-bundle\.js"$/);
    const again = await t.app.request(
      new Request('http://gateway.test/docs/swagger-ui-bundle.js', { headers: { 'if-none-match': etag } }),
    );
    expect(again.status).toBe(304);
  });

  it('answers a file the page does not have with the JSON 404', async () => {
    const res = await t.app.request(get('/docs/..%2Fpackage.json'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await t.app.request(get('/docs/index.html'))).status).toBe(404);
  });

  it('answers an unknown route with the JSON error shape', async () => {
    const res = await t.app.request(get('/v2/nothing'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
