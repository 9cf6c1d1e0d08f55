import { beforeAll, describe, expect, it } from 'vitest';
import { JwksSchema } from '../../contracts/keys.ts';
import { get, type TestGateway, testGateway } from '../support/gateway.ts';

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
        Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>
      >;
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
    const issue = doc.paths['/v1/licenses']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(issue?.properties ?? {})).toEqual(
      expect.arrayContaining(['typeCode', 'issuer', 'holder', 'validFrom', 'validUntil']),
    );
  });

  it('answers an unknown route with the JSON error shape', async () => {
    const res = await t.app.request(get('/v2/nothing'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
