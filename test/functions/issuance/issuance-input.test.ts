import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { get, issueSample, post, sampleIssue, type TestGateway, testGateway } from '../../support/gateway.ts';

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

/** The sample issue request as JSON text, with `fields` spliced in verbatim. */
const issueWithFields = (fieldsJson: string) =>
  JSON.stringify(sampleIssue({ fields: {} })).replace('"fields":{}', `"fields":${fieldsJson}`);

describe('member names every JSON object may have', () => {
  let t: TestGateway;
  let issuer: string;
  let identifier: string;
  beforeAll(async () => {
    t = await testGateway();
    issuer = await t.token('issuer');
    identifier = (await issueSample(t)).identifier;
  });

  const countHeads = async () => (await t.scan('licenses')).filter((i) => i.sk === 'HEAD').length;

  it.each([
    ['constructor', 'fields.constructor'],
    ['__proto__', 'fields.__proto__'],
    ['toString', 'fields.toString'],
    ['hasOwnProperty', 'fields.hasOwnProperty'],
    ['valueOf', 'fields.valueOf'],
  ])('refuses a license field named %s with 400, not a faked outage', async (name, path) => {
    const before = await countHeads();

    const res = await t.app.request(post('/v1/licenses', issueWithFields(`{"${name}":"v"}`), issuer));

    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.issues?.map((i) => i.path.join('.'))).toContain(path);
    expect(await countHeads()).toBe(before);
  });

  it('stores a field named prototype and gives it back', async () => {
    const res = await t.app.request(
      post('/v1/licenses', issueWithFields('{"prototype":"v","category":"建筑电工"}'), issuer),
    );

    expect(res.status).toBe(201);
    const issued = IssueResponseSchema.parse(await res.json());
    const read = await t.app.request(get(`/v1/licenses/${issued.identifier}`, issuer));
    const body = (await read.json()) as { license: { fields: Record<string, unknown> } };
    expect(body.license.fields).toEqual({ prototype: 'v', category: '建筑电工' });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'refuses %s in the fields of a new version too',
    async (name) => {
      const res = await t.app.request(
        post(`/v1/licenses/${identifier}/versions`, `{"fields":{"${name}":"v"},"reason":"变更"}`, issuer),
      );
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('INVALID_REQUEST');
    },
  );

  it.each([
    ['the body', (s: string) => s.replace('{', '{"__proto__":{"x":1},'), '__proto__'],
    [
      'the holder',
      (s: string) => s.replace('"holder":{', '"holder":{"__proto__":{"x":1},'),
      'holder.__proto__',
    ],
    ['the issuer', (s: string) => s.replace('"issuer":{', '"issuer":{"constructor":"x",'), 'issuer'],
  ])('refuses those names in %s, whose members are fixed', async (_where, edit, path) => {
    const before = await countHeads();

    const res = await t.app.request(post('/v1/licenses', edit(JSON.stringify(sampleIssue())), issuer));

    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.issues?.map((i) => i.path.join('.'))).toContain(path);
    expect(await countHeads()).toBe(before);
  });

  it('leaves the license it could not change as it was', async () => {
    const read = await t.app.request(get(`/v1/licenses/${identifier}`, issuer));
    const body = (await read.json()) as { license: { version: string; fields: Record<string, unknown> } };
    expect(body.license).toMatchObject({ version: '001', fields: { category: '建筑电工' } });
  });
});
