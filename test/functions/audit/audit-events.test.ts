import { beforeAll, describe, expect, it } from 'vitest';
import { AuditEventSchema } from '../../../contracts/audit.ts';
import {
  AuditEventsPageSchema,
  type AuditedEvent,
  AuditedEventSchema,
  HolderHashResponseSchema,
} from '../../../contracts/audit-api.ts';
import { buildIdentifier } from '../../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { traceIdOf } from '../../../lib/ids.ts';
import { credentialClaims } from '../../../lib/license/credential.ts';
import { signCompactJws } from '../../../lib/signing/jws.ts';
import { AuditEventReader } from '../../../lib/store/audit-query.ts';
import {
  get,
  post,
  sampleIssue,
  type TestGateway,
  testGateway,
  ZHEJIANG_DEPT,
} from '../../support/gateway.ts';

const ZHANG = { name: '张三', typeCode: '111', code: '11010519491231002X' } as const;
const LI = { name: '李四', typeCode: '111', code: '110101199003074514' } as const;
const ZHANG_HASH_REQUEST = { holderTypeCode: ZHANG.typeCode, holderCode: ZHANG.code };
const use = { matterCode: '310000-JZ-001', useCause: '办理施工许可' };
const trace = (n: number) => `${'a0'.repeat(15)}${String(n).padStart(2, '0')}`;
const traceparent = (traceId: string) => ({ traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` });

async function errorOf(res: Response) {
  return ErrorBodySchema.parse(await res.json()).error;
}

/**
 * One province's trail over three days: licenses A and C of 张三 and B of 李四, verifications
 * (one of a Zhejiang license, which calls the unreachable peer 330000), a suspension.
 */
describe('querying audit events as an auditor', () => {
  let t: TestGateway;
  let auditor: string;
  let stored: AuditedEvent[];
  let A: string;
  let credentialA: string;
  let B: string;
  let C: string;
  let foreign: string;

  const issue = async (at: string, traceId: string, holder: typeof ZHANG | typeof LI) => {
    t.clock.set(at);
    const res = await t.app.request(
      post('/v1/licenses', sampleIssue({ holder }), await t.token('issuer'), traceparent(traceId)),
    );
    return IssueResponseSchema.parse(await res.json());
  };
  const verify = async (at: string, traceId: string, body: Record<string, string>) => {
    t.clock.set(at);
    const res = await t.app.request(
      post('/v1/verify', { ...use, ...body }, await t.token('platform'), traceparent(traceId)),
    );
    expect(res.status).toBe(200);
  };
  const events = (path: string, token = auditor) => t.app.request(get(path, token));
  const page = async (params: Record<string, string>) => {
    const res = await events(`/v1/audit/events?${new URLSearchParams(params)}`);
    expect(res.status).toBe(200);
    return AuditEventsPageSchema.parse(await res.json());
  };
  /** Follows the cursors to the end, checking that no page is larger than asked. */
  const walk = async (params: Record<string, string>) => {
    const items: AuditedEvent[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = await page({ ...params, ...(cursor ? { cursor } : {}) });
      expect(p.items.length).toBeLessThanOrEqual(Number(params.limit ?? 50));
      items.push(...p.items);
      cursor = p.cursor;
      pages++;
    } while (cursor && pages < 100);
    expect(cursor).toBeUndefined();
    return { items, pages };
  };
  const ids = (items: readonly AuditedEvent[]) => items.map((e) => e.eventId);
  /** The oracle: what the table holds, in event id (time) order, audit queries left out. */
  const expected = (match: (e: AuditedEvent) => boolean) =>
    ids(stored.filter((e) => e.action !== 'audit.query' && match(e)));

  beforeAll(async () => {
    t = await testGateway('310000', '2026-06-01T08:00:00Z');
    const a = await issue('2026-06-01T08:00:00.000Z', trace(1), ZHANG);
    A = a.identifier;
    credentialA = a.credential;
    const b = await issue('2026-06-01T08:05:00.000Z', trace(2), LI);
    B = b.identifier;
    await verify('2026-06-01T08:10:00.000Z', trace(3), { identifier: A });
    foreign = buildIdentifier({
      typeCode: b.license.typeCode,
      issuerCode: ZHEJIANG_DEPT.uscc,
      serial: '2026000001',
      version: '001',
    });
    t.clock.set('2026-06-01T08:15:00.000Z');
    const zj = {
      ...b.license,
      identifier: foreign,
      province: '330000',
      issuer: ZHEJIANG_DEPT,
      holder: ZHANG,
    };
    const jws = await signCompactJws(
      t.peerKeys.credential,
      { typ: 'elicense+jwt' },
      credentialClaims(zj, t.clock.now()),
    );
    await verify('2026-06-01T08:15:00.000Z', trace(4), { credential: jws });
    t.clock.set('2026-06-02T09:00:00.000Z');
    const suspended = await t.app.request(
      post(
        `/v1/licenses/${A}/status`,
        { status: '02', reason: '核查' },
        await t.token('issuer'),
        traceparent(trace(5)),
      ),
    );
    expect(suspended.status).toBe(200);
    await verify('2026-06-02T09:30:00.000Z', trace(6), { credential: credentialA });
    C = (await issue('2026-06-03T10:00:00.000Z', trace(7), ZHANG)).identifier;
    await verify('2026-06-03T23:59:59.999Z', trace(8), { identifier: B });
    t.clock.set('2026-06-10T12:00:00.000Z');
    auditor = await t.token('auditor');
    stored = (await t.scan('audit'))
      .map((item) => AuditedEventSchema.parse(item))
      .sort((x, y) => x.eventId.localeCompare(y.eventId));
  });

  it('finds the events of one trace: the verification and the call it made to the peer', async () => {
    const { items } = await page({ traceId: trace(4) });

    expect(ids(items)).toEqual(expected((e) => e.traceId === trace(4)));
    // One event: the verify event carries the call it made (here, the one that found no peer).
    expect(items.map((e) => e.action)).toEqual(['verify']);
    expect(items.every((e) => e.peer === '330000')).toBe(true);
    expect(items[0]?.details).toMatchObject({ direction: 'outbound', error: expect.any(String) });
  });

  it('finds every event of a license in time order', async () => {
    const { items } = await page({ identifier: A });

    expect(ids(items)).toEqual(expected((e) => e.identifier === A));
    expect(items.map((e) => e.action)).toEqual(['license.issue', 'verify', 'license.status', 'verify']);
  });
  it("finds a holder's events across licenses by the hash an auditor asks for", async () => {
    const res = await t.app.request(
      post('/v1/audit/holder-hash', { holderTypeCode: ZHANG.typeCode, holderCode: ZHANG.code }, auditor),
    );
    expect(res.status).toBe(200);
    const { holderHash } = HolderHashResponseSchema.parse(await res.json());

    const { items } = await page({ holderHash });

    expect(ids(items)).toEqual(expected((e) => e.holderHash === holderHash));
    expect(new Set(items.map((e) => e.identifier))).toEqual(new Set([A, C, foreign]));
    expect(items.map((e) => e.identifier)).not.toContain(B);
  });

  it('finds the calls with a peer province', async () => {
    const { items } = await page({ peer: '330000' });

    expect(ids(items)).toEqual(expected((e) => e.peer === '330000'));
    expect(items).toHaveLength(1);
  });

  it('finds events by action, in time order across days', async () => {
    const { items } = await page({ action: 'license.issue' });

    expect(ids(items)).toEqual(expected((e) => e.action === 'license.issue'));
    expect(items.map((e) => e.identifier)).toEqual([A, B, C]);
  });

  it('applies every filter given, not only the one that picks the index', async () => {
    const verifiesOfA = await page({ identifier: A, action: 'verify' });
    const outbound = await page({ peer: '330000', action: 'verify' });
    const none = await page({ traceId: trace(4), identifier: B });

    expect(ids(verifiesOfA.items)).toEqual(expected((e) => e.identifier === A && e.action === 'verify'));
    expect(verifiesOfA.items).toHaveLength(2);
    expect(outbound.items).toHaveLength(1);
    expect(outbound.items[0]?.traceId).toBe(trace(4));
    expect(none).toEqual({ items: [] });
  });

  it('walks a time range with no other filter day by day, both ends included', async () => {
    const from = '2026-06-01T08:05:00.000Z';
    const to = '2026-06-02T09:00:00.000Z';

    const { items } = await page({ from, to });

    expect(ids(items)).toEqual(expected((e) => e.time >= from && e.time <= to));
    expect(items.map((e) => e.traceId)).toEqual([trace(2), trace(3), trace(4), trace(5)]);
  });

  it('limits an indexed query to a time range', async () => {
    const { items } = await page({ identifier: A, from: '2026-06-02T00:00:00Z' });

    expect(items.map((e) => e.action)).toEqual(['license.status', 'verify']);
  });

  it('answers an empty range with no items and no cursor', async () => {
    expect(await page({ from: '2026-06-05T00:00:00Z', to: '2026-06-06T00:00:00Z' })).toEqual({ items: [] });
  });

  it('serves events as stored, without the storage attributes', async () => {
    const { items } = await page({ traceId: trace(1) });

    expect(items).toHaveLength(1);
    expect(Object.keys(items[0] ?? {})).not.toContain('pendingShard');
    expect(Object.keys(items[0] ?? {})).not.toContain('day');
    expect(AuditEventSchema.parse(items[0])).toEqual(
      AuditEventSchema.parse(stored.find((e) => e.traceId === trace(1))),
    );
  });

  it('pages through every query without duplicates or gaps', async () => {
    const queries: Record<string, string>[] = [
      { from: '2026-06-01T00:00:00Z', to: '2026-06-04T00:00:00Z' },
      { action: 'verify' },
      { identifier: A, action: 'verify' },
      { holderHash: stored.find((e) => e.identifier === A)?.holderHash ?? '' },
    ];
    for (const query of queries) {
      const whole = await page({ ...query, limit: '200' });
      expect(whole.cursor).toBeUndefined();
      for (const limit of ['1', '2', '3']) {
        const { items, pages } = await walk({ ...query, limit });

        expect(ids(items)).toEqual(ids(whole.items));
        expect(new Set(ids(items)).size).toBe(items.length);
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(whole.items.length / Number(limit)));
      }
    }
  });

  it('records each answered query as an audit.query event with what was asked', async () => {
    const hashed = await t.app.request(post('/v1/audit/holder-hash', ZHANG_HASH_REQUEST, auditor));
    const { holderHash } = HolderHashResponseSchema.parse(await hashed.json());
    const queried = await events(`/v1/audit/events?identifier=${A}&from=2026-06-02T00:00:00Z&limit=1`);
    const cursor = AuditEventsPageSchema.parse(await queried.json()).cursor;
    const read = await events(`/v1/audit/events/${stored[0]?.eventId}`);

    const trail = (await t.scan('audit')).map((e) => AuditedEventSchema.parse(e));
    const of = (res: Response) =>
      trail.filter((e) => e.traceId === traceIdOf(res.headers.get('traceparent') ?? undefined));
    expect(of(hashed)).toMatchObject([
      {
        action: 'audit.query',
        outcome: 'success',
        actor: { sub: 'auditor@test', roles: ['auditor'] },
        method: 'POST',
        path: '/v1/audit/holder-hash',
        details: { query: 'holder-hash', holderTypeCode: '111', holderHash },
      },
    ]);
    expect(of(queried)).toMatchObject([
      {
        action: 'audit.query',
        outcome: 'success',
        details: {
          query: 'events',
          index: 'byIdentifier',
          'filter.identifier': A,
          from: '2026-06-02T00:00:00Z',
          limit: 1,
          continued: false,
          returned: 1,
        },
      },
    ]);
    expect(cursor).toBeDefined();
    expect(of(read)).toMatchObject([
      { action: 'audit.query', details: { query: 'event', eventId: stored[0]?.eventId } },
    ]);
    // Auditors' own queries stay out of the trails they read.
    expect(of(queried)[0]?.identifier).toBeUndefined();
    expect(of(hashed)[0]?.holderHash).toBeUndefined();
  });

  it('keeps every citizen ID number and holder name out of the stored trail', async () => {
    await t.app.request(
      post('/v1/audit/holder-hash', { holderTypeCode: LI.typeCode, holderCode: LI.code }, auditor),
    );

    const trail = JSON.stringify(await t.scan('audit'));

    for (const secret of [ZHANG.code, LI.code, ZHANG.name, LI.name]) expect(trail).not.toContain(secret);
  });

  it('documents the auditor routes and their parameters in the OpenAPI document', async () => {
    const res = await t.app.request(get('/openapi.json'));

    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/audit/events',
        '/v1/audit/events/{eventId}',
        '/v1/audit/events/{eventId}/proof',
        '/v1/audit/checkpoint',
        '/v1/audit/consistency',
        '/v1/audit/holder-hash',
      ]),
    );
    expect(doc.paths['/v1/audit/events']?.get?.parameters?.map((p) => p.name)).toEqual([
      'traceId',
      'identifier',
      'holderHash',
      'peer',
      'action',
      'from',
      'to',
      'limit',
      'cursor',
    ]);
  });

  it('resumes a search cut short by its read budget exactly where it stopped', async () => {
    const reader = new AuditEventReader(t.storage.doc, t.storage.tables.audit, 1);
    const range = { from: new Date('2026-05-30T00:00:00Z'), to: new Date('2026-06-04T00:00:00Z') };
    const all = await reader.search({ filter: {}, range, limit: 200 });
    const walked: AuditedEvent[] = [];
    let position: { after?: string; day?: string } | undefined;
    let pages = 0;
    do {
      const p = await reader.search({ filter: {}, range, limit: 200, position });
      walked.push(...p.items);
      position = p.next;
      pages++;
    } while (position && pages < 50);

    expect(all.next).toEqual({ day: '2026-05-31' });
    expect(all.items).toEqual([]);
    expect(ids(walked)).toEqual(expected((e) => e.time < '2026-06-04'));
    expect(pages).toBe(6);
  });
});

describe('refusing bad audit queries', () => {
  let t: TestGateway;
  let auditor: string;
  let identifier: string;
  let cursorOfA: string;

  beforeAll(async () => {
    t = await testGateway();
    const issuer = await t.token('issuer');
    for (let i = 0; i < 2; i++) {
      t.clock.set(`2026-06-01T08:0${i}:00Z`);
      const res = await t.app.request(post('/v1/licenses', sampleIssue(), issuer));
      identifier = IssueResponseSchema.parse(await res.json()).identifier;
      await t.app.request(post('/v1/verify', { ...use, identifier }, await t.token('platform')));
    }
    t.clock.set('2026-06-02T08:00:00Z');
    auditor = await t.token('auditor');
    const first = AuditEventsPageSchema.parse(
      await (await t.app.request(get(`/v1/audit/events?action=license.issue&limit=1`, auditor))).json(),
    );
    cursorOfA = first.cursor ?? '';
    expect(cursorOfA).not.toBe('');
  });

  const tampered = () => {
    const [payload = '', mac = ''] = cursorOfA.split('.');
    const json = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...json, after: '00000000000000000000000000' })).toString(
      'base64url',
    );
    return `${forged}.${mac}`;
  };

  const cases: [string, () => string, string][] = [
    ['a malformed trace id', () => 'traceId=xyz', 'traceId'],
    ['an all-zero trace id', () => `traceId=${'0'.repeat(32)}`, 'traceId'],
    ['an unknown action', () => 'action=license.steal', 'action'],
    ['a malformed holder hash', () => 'holderHash=11010519491231002X', 'holderHash'],
    ['a peer that is no province', () => 'peer=999999', 'peer'],
    ['a time that is not RFC 3339', () => 'from=yesterday&action=verify', 'from'],
    ['an inverted range', () => 'from=2026-06-02T00:00:00Z&to=2026-06-01T00:00:00Z', 'from'],
    [
      'an inverted range within one second',
      () => 'action=verify&from=2026-06-01T08:00:00.500Z&to=2026-06-01T08:00:00Z',
      'from',
    ],
    ['a page over 200', () => 'action=verify&limit=201', 'limit'],
    ['a page of none', () => 'action=verify&limit=0', 'limit'],
    ['a page size that is no number', () => 'action=verify&limit=ten', 'limit'],
    ['an unknown parameter', () => 'action=verify&holderCode=11010519491231002X', ''],
    ['a repeated parameter', () => 'action=verify&action=license.issue', 'action'],
    ['a garbage cursor', () => 'action=license.issue&cursor=%7B%22after%22%3A1%7D', 'cursor'],
    ['a cursor with a forged position', () => `action=license.issue&cursor=${tampered()}`, 'cursor'],
    ['a cursor of another query', () => `action=verify&cursor=${cursorOfA}`, 'cursor'],
    ['a cursor that is too long', () => `action=license.issue&cursor=${'a'.repeat(600)}`, 'cursor'],
    ['no filter and no start', () => 'to=2026-06-02T00:00:00Z', 'from'],
    ['no filter over more than 31 days', () => 'from=2026-05-01T00:00:00Z&to=2026-06-01T00:00:01Z', 'to'],
    ['no filter from long ago up to now', () => 'from=2025-01-01T00:00:00Z', 'to'],
  ];

  it.each(cases)('refuses %s with 400 INVALID_REQUEST and the issue', async (_, query, field) => {
    const res = await t.app.request(get(`/v1/audit/events?${query()}`, auditor));

    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.issues?.length).toBeGreaterThan(0);
    if (field) expect(error.issues?.[0]?.path[0]).toBe(field);
  });

  it('accepts a range of exactly 31 days with no other filter', async () => {
    const res = await t.app.request(
      get('/v1/audit/events?from=2026-05-02T08:00:00Z&to=2026-06-02T08:00:00Z', auditor),
    );

    expect(res.status).toBe(200);
    expect(AuditEventsPageSchema.parse(await res.json()).items.length).toBeGreaterThan(0);
  });

  it('refuses a malformed event id with 400 and answers an unknown one with 404', async () => {
    const bad = await t.app.request(get('/v1/audit/events/not-an-id', auditor));
    const unknown = await t.app.request(get('/v1/audit/events/01KZZZZZZZZZZZZZZZZZZZZZZZ', auditor));

    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues?.[0]?.path).toEqual(['eventId']);
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('NOT_FOUND');
  });

  it('reads one event by id', async () => {
    const [event] = (await t.scan('audit')).map((e) => AuditedEventSchema.parse(e));
    const res = await t.app.request(get(`/v1/audit/events/${event?.eventId}`, auditor));

    expect(res.status).toBe(200);
    expect(AuditedEventSchema.parse(await res.json())).toEqual(event);
  });

  it('refuses bad holder-hash requests without echoing them into the trail', async () => {
    const bodies = [
      { holderTypeCode: '111', holderCode: '11010519491231002Y' },
      { holderTypeCode: '123', holderCode: '11010519491231002X' },
      { holderTypeCode: '111', holderCode: '11010519491231002X', name: '张三' },
      {},
    ];
    for (const body of bodies) {
      const res = await t.app.request(post('/v1/audit/holder-hash', body, auditor));

      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('INVALID_REQUEST');
    }
    const notJson = await t.app.request(
      new Request('http://gateway.test/v1/audit/holder-hash', {
        method: 'POST',
        headers: { authorization: `Bearer ${auditor}`, 'content-type': 'text/plain' },
        body: 'x',
      }),
    );
    expect(notJson.status).toBe(415);
    const trail = JSON.stringify(await t.scan('audit'));
    expect(trail).not.toContain('11010519491231002');
    expect(trail).not.toContain('张三');
  });

  const routes: [string, () => Request, (token?: string) => Request][] = [
    [
      'GET /v1/audit/events',
      () => get('/v1/audit/events?action=verify'),
      (k) => get('/v1/audit/events?action=verify', k),
    ],
    [
      'GET /v1/audit/events/{id}',
      () => get('/v1/audit/events/01KZZZZZZZZZZZZZZZZZZZZZZZ'),
      (k) => get('/v1/audit/events/01KZZZZZZZZZZZZZZZZZZZZZZZ', k),
    ],
    [
      'GET /v1/audit/events/{id}/proof',
      () => get('/v1/audit/events/01KZZZZZZZZZZZZZZZZZZZZZZZ/proof'),
      (k) => get('/v1/audit/events/01KZZZZZZZZZZZZZZZZZZZZZZZ/proof', k),
    ],
    ['GET /v1/audit/checkpoint', () => get('/v1/audit/checkpoint'), (k) => get('/v1/audit/checkpoint', k)],
    [
      'GET /v1/audit/consistency',
      () => get('/v1/audit/consistency?from=1&to=1'),
      (k) => get('/v1/audit/consistency?from=1&to=1', k),
    ],
    [
      'POST /v1/audit/holder-hash',
      () => post('/v1/audit/holder-hash', ZHANG_HASH_REQUEST),
      (k) => post('/v1/audit/holder-hash', ZHANG_HASH_REQUEST, k),
    ],
  ];

  it.each(routes)(
    '%s needs a token and the auditor role, and audits each refusal',
    async (_, anonymous, as) => {
      const unauthenticated = await t.app.request(anonymous());
      expect(unauthenticated.status).toBe(401);
      expect((await errorOf(unauthenticated)).code).toBe('UNAUTHENTICATED');
      const refusals = [traceIdOf(unauthenticated.headers.get('traceparent') ?? undefined)];
      for (const role of ['issuer', 'platform', 'operator'] as const) {
        const res = await t.app.request(as(await t.token(role)));

        expect(res.status).toBe(403);
        expect((await errorOf(res)).code).toBe('FORBIDDEN');
        refusals.push(traceIdOf(res.headers.get('traceparent') ?? undefined));
      }
      const trail = (await t.scan('audit')).map((e) => AuditedEventSchema.parse(e));
      for (const traceId of refusals) {
        expect(trail.filter((e) => e.traceId === traceId)).toMatchObject([
          { action: 'audit.query', outcome: 'refused' },
        ]);
      }
    },
  );
});
