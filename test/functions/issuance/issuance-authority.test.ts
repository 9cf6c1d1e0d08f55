import { beforeAll, describe, expect, it } from 'vitest';
import { AuditAction } from '../../../contracts/audit.ts';
import { buildIdentifier, makeUscc } from '../../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { auditEvent } from '../../../lib/audit/events.ts';
import {
  get,
  issueSample,
  post,
  SHANGHAI_DEPT,
  sampleIssue,
  type TestGateway,
  testGateway,
  unknownIdentifier,
  ZHEJIANG_DEPT,
} from '../../support/gateway.ts';

/** Another department of the same province (Shanghai): a valid USCC with area 310000. */
const OTHER_SHANGHAI_DEPT = { name: '上海市市场监督管理局', uscc: makeUscc('11310000', '00250288') };
/** A central-level authority (area 100000): in no province. */
const CENTRAL_AUTHORITY = { name: '住房和城乡建设部', uscc: '11100000000013338W' };
const TYPE = '11100000000013338W032';

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

describe('issuing only for authorities of the own province', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await testGateway();
  });

  it.each([
    ['another province', ZHEJIANG_DEPT],
    ['the central level', CENTRAL_AUTHORITY],
  ])('refuses an issuer token of an authority of %s, even issuing as itself', async (_where, dept) => {
    const token = await t.token('issuer', { uscc: dept.uscc });
    const heads = async () => (await t.scan('licenses')).filter((i) => i.sk === 'HEAD');
    const headsBefore = await heads();

    const res = await t.app.request(post('/v1/licenses', sampleIssue({ issuer: dept }), token));

    expect(res.status).toBe(403);
    const error = await errorOf(res);
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/not of province 310000/);
    expect(await heads()).toEqual(headsBefore);
  });

  it('issues for another department of the own province', async () => {
    const token = await t.token('issuer', { uscc: OTHER_SHANGHAI_DEPT.uscc });
    const res = await t.app.request(
      post('/v1/licenses', sampleIssue({ issuer: OTHER_SHANGHAI_DEPT }), token),
    );
    expect(res.status).toBe(201);
  });

  it("refuses changes to a stored license of another province's authority", async () => {
    // A license stored before the rule held (or by a faulty import): its authority is Zhejiang's.
    const now = t.clock.now();
    const identifier = buildIdentifier({
      typeCode: TYPE,
      issuerCode: ZHEJIANG_DEPT.uscc,
      serial: 'LEGACY1',
      version: '001',
    });
    await t.gateway.licenses.create({
      licenseKey: `${TYPE}.${ZHEJIANG_DEPT.uscc}.LEGACY1`,
      version: {
        license: {
          identifier,
          province: '310000',
          typeCode: TYPE,
          typeName: '建筑施工特种作业人员操作资格证书',
          number: '浙建安A(2020)000001',
          issuer: ZHEJIANG_DEPT,
          holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
          areaCode: '330000',
          issueDate: '2020-03-01',
          validFrom: '2020-03-01',
          fields: {},
          version: '001',
          issuedAt: now.toISOString(),
        },
        credential: 'legacy',
      },
      head: {
        currentVersion: '001',
        currentIdentifier: identifier,
        status: '01',
        issuerUscc: ZHEJIANG_DEPT.uscc,
        holderHash: 'h',
      },
      audit: auditEvent(
        {
          province: '310000',
          traceId: 'ab'.repeat(16),
          action: AuditAction.licenseIssue,
          outcome: 'success',
        },
        now,
      ),
    });
    const token = await t.token('issuer', { uscc: ZHEJIANG_DEPT.uscc });

    const version = await t.app.request(
      post(`/v1/licenses/${identifier}/versions`, { number: 'N2', reason: '变更' }, token),
    );
    const status = await t.app.request(
      post(`/v1/licenses/${identifier}/status`, { status: '04', reason: '注销' }, token),
    );

    expect([version.status, (await errorOf(version)).code]).toEqual([403, 'FORBIDDEN']);
    expect([status.status, (await errorOf(status)).code]).toEqual([403, 'FORBIDDEN']);
    const head = (await t.scan('licenses')).find((i) => i.currentIdentifier === identifier);
    expect(head).toMatchObject({ status: '01', currentVersion: '001' });
  });
});

describe("another department's licenses, existing or not, get one answer", () => {
  let t: TestGateway;
  let existing: string;
  let missing: string;
  let other: string;
  beforeAll(async () => {
    t = await testGateway();
    existing = (await issueSample(t)).identifier;
    missing = unknownIdentifier({ typeCode: TYPE, issuerCode: SHANGHAI_DEPT.uscc });
    other = await t.token('issuer', { uscc: OTHER_SHANGHAI_DEPT.uscc });
  });

  const routes: [string, (id: string, token: string) => Request][] = [
    ['GET /v1/licenses/{identifier}', (id, token) => get(`/v1/licenses/${id}`, token)],
    [
      'POST /v1/licenses/{identifier}/versions',
      (id, token) => post(`/v1/licenses/${id}/versions`, { number: 'N2', reason: '变更' }, token),
    ],
    [
      'POST /v1/licenses/{identifier}/status',
      (id, token) => post(`/v1/licenses/${id}/status`, { status: '04', reason: '注销' }, token),
    ],
  ];

  it.each(routes)(
    '%s answers 403 FORBIDDEN alike for an existing and a missing license',
    async (_r, make) => {
      const a = await t.app.request(make(existing, other));
      const b = await t.app.request(make(missing, other));

      expect(a.status).toBe(403);
      expect(b.status).toBe(403);
      const [ea, eb] = [await errorOf(a), await errorOf(b)];
      expect(ea.code).toBe('FORBIDDEN');
      expect({ code: eb.code, message: eb.message }).toEqual({ code: ea.code, message: ea.message });
    },
  );

  it.each(routes)('%s still answers 404 NOT_FOUND to the issuing department', async (_r, make) => {
    const res = await t.app.request(make(missing, await t.token('issuer')));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('NOT_FOUND');
  });

  it("lets a platform read another department's license, masked", async () => {
    const res = await t.app.request(get(`/v1/licenses/${existing}`, await t.token('platform')));
    expect(res.status).toBe(200);
  });

  it('leaves the license untouched', async () => {
    const head = (await t.scan('licenses')).find((i) => i.currentIdentifier === existing);
    expect(head).toMatchObject({ status: '01', currentVersion: '001' });
  });
});
