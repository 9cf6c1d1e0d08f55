import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizenIdCheckChar, makeUscc } from '../../contracts/codes/index.ts';
import { IssueResponseSchema, LicenseResponseSchema } from '../../contracts/license.ts';
import type { Federation, RunningProvince } from '../../federation/federation.ts';
import { sampleIssue } from '../support/gateway.ts';
import { attackFederation, expectOnlyRefusal, newEvents, type RawAnswer, send, snapshot } from './harness.ts';
import { auditText, expectNothingChanged, type NodeAnswer, nodeRequest } from './kit.ts';

/**
 * Hostile bytes at the HTTP edge (docs/protocol.md §2.7, §11): whatever arrives, the answer is a
 * 4xx of the contract (400 INVALID_REQUEST, 413 PAYLOAD_TOO_LARGE, 431 for oversized headers),
 * never a 5xx; the server keeps answering; and a refused request leaves only its audit event.
 */

let f: Federation;
let sh: RunningProvince;
let zj: RunningProvince;
let license: string;
const MATTER = 'SCJZ0001';
const LIMIT = 64 * 1024;

/** A citizen ID number and a USCC that nothing in the federation carries, to look for in the audit. */
const FOREIGN_ID = `31010419800101123${citizenIdCheckChar('31010419800101123')}`;
const FOREIGN_USCC = makeUscc('91310000', '7A2B3C4D');
const fullWidth = (s: string) =>
  [...s].map((c) => (/[0-9A-Z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');

beforeAll(async () => {
  f = await attackFederation(['310000', '330000'], 'input');
  sh = f.province('310000');
  zj = f.province('330000');
  const issued = await send(sh.url, '/v1/licenses', {
    headers: json(sh, 'issuer'),
    body: JSON.stringify(sampleIssue()),
  });
  expect(issued.status).toBe(201);
  license = IssueResponseSchema.parse(issued.json).identifier;
});

afterAll(async () => {
  await f?.stop();
});

function json(p: RunningProvince, role: keyof RunningProvince['tokens']) {
  return { authorization: `Bearer ${p.tokens[role]}`, 'content-type': 'application/json' };
}

const issueText = (overrides: Record<string, unknown> = {}) => JSON.stringify(sampleIssue(overrides));
const verifyText = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ identifier: license, matterCode: MATTER, useCause: '窗口核验', ...overrides });

async function expectAlive(p: RunningProvince = sh) {
  const health = await send(p.url, '/healthz');
  expect(health.status).toBe(200);
}

function expectAnswer(answer: RawAnswer | NodeAnswer, status: number, code: string) {
  expect({ status: answer.status, code: answer.code }, answer.text).toEqual({ status, code });
}

/** A refused POST of exactly these bytes: status and code, only the refusal audited, server alive. */
async function expectRefusedPost(
  path: string,
  role: keyof RunningProvince['tokens'],
  body: string | Uint8Array,
  status = 400,
  code = 'INVALID_REQUEST',
) {
  const before = await snapshot(sh);
  const answer = await send(sh.url, path, { headers: json(sh, role), body });
  expectAnswer(answer, status, code);
  await expectOnlyRefusal(sh, before);
  await expectAlive();
  return answer;
}

const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

const MALFORMED: [string, string | Uint8Array][] = [
  ['an unclosed object', '{'],
  ['a missing value', '{"typeCode":}'],
  ['a truncated literal', 'nul'],
  ['single quotes', "{'typeCode':'x'}"],
  ['a trailing comma', '{"typeCode":"x",}'],
  ['two objects', '{"a":1}{"b":2}'],
  ['an empty body', ''],
  ['NaN', 'NaN'],
  ['a comment', '/* hi */ {}'],
  ['a byte order mark before JSON', '\ufeff{"a":1}'],
  ['bytes that are not UTF-8', Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
];
const NOT_OBJECTS: [string, string][] = [
  ['an array', '[]'],
  ['an array of an object', '[{}]'],
  ['a string', '"issue"'],
  ['a number', '42'],
  ['null', 'null'],
  ['true', 'true'],
];
const DEEP: [string, string][] = [
  ['10,000 nested arrays', deepArray(10_000)],
  ['10,000 nested objects', deepObject(10_000)],
  ['10,000 nested arrays as typeCode', issueText().replace('"11100000000013338W032"', deepArray(10_000))],
  [
    '10,000 nested arrays as a license field',
    issueText().replace('"fields":{"category":"建筑电工"}', `"fields":{"category":${deepArray(10_000)}}`),
  ],
  [
    '10,000 nested objects as holder',
    issueText().replace(/"holder":\{[^}]*\}/, `"holder":${deepObject(9_000)}`),
  ],
];
const HUGE: [string, string][] = [
  ['a 60,000-character typeName', issueText({ typeName: 'A'.repeat(60_000) })],
  ['a 10,000-character number', issueText({ number: 'A'.repeat(10_000) })],
  ['a 3,000-character field value', issueText({ fields: { category: 'x'.repeat(3_000) } })],
  [
    'a 1,000-character holder name',
    issueText({ holder: { name: '张'.repeat(1_000), typeCode: '111', code: '11010519491231002X' } }),
  ],
  ['a 65-character field name', issueText({ fields: { [`a${'b'.repeat(64)}`]: 'x' } })],
  [
    '51 fields',
    issueText({ fields: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`f${i}`, 'x'])) }),
  ],
];

describe('bodies that are not the JSON object of the route are 400 INVALID_REQUEST', () => {
  it.each([...MALFORMED, ...NOT_OBJECTS])('issuing with %s', async (_name, body) => {
    await expectRefusedPost('/v1/licenses', 'issuer', body);
  });

  it.each([...MALFORMED, ...NOT_OBJECTS])('verifying with %s', async (_name, body) => {
    await expectRefusedPost('/v1/verify', 'platform', body);
  });

  it.each(DEEP)('issuing with %s', async (_name, body) => {
    expect(Buffer.byteLength(body)).toBeLessThan(LIMIT);
    await expectRefusedPost('/v1/licenses', 'issuer', body);
  });

  it.each([
    ['10,000 nested arrays as useCause', () => verifyText().replace('"窗口核验"', deepArray(10_000))],
    ['10,000 nested objects as identifier', () => verifyText().replace(`"${license}"`, deepObject(10_000))],
  ])('verifying with %s', async (_name, body) => {
    await expectRefusedPost('/v1/verify', 'platform', body());
  });

  it.each(HUGE)('issuing with %s', async (_name, body) => {
    expect(Buffer.byteLength(body)).toBeLessThan(LIMIT);
    await expectRefusedPost('/v1/licenses', 'issuer', body);
  });

  it.each([
    ['a 60,000-character identifier', () => verifyText({ identifier: 'A'.repeat(60_000) })],
    ['a 5,000-character useCause', () => verifyText({ useCause: '核'.repeat(5_000) })],
    [
      'a 20,000-character credential',
      () => verifyText({ identifier: undefined, credential: 'a'.repeat(20_000) }),
    ],
  ])('verifying with %s', async (_name, body) => {
    await expectRefusedPost('/v1/verify', 'platform', body());
  });
});

describe('oversized headers are refused at the edge, and the server keeps answering', () => {
  it('a 60 KB header value is 431', async () => {
    const before = await snapshot(sh);
    const answer = await nodeRequest(sh.url, '/v1/licenses', {
      headers: { ...json(sh, 'issuer'), 'x-padding': 'a'.repeat(60 * 1024) },
      body: issueText(),
    });
    expect(answer.status).toBe(431);
    await expectNothingChanged(sh, before);
    await expectAlive();
  });

  it('a 60 KB Authorization header is 431', async () => {
    const before = await snapshot(sh);
    const answer = await nodeRequest(sh.url, '/v1/licenses', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${'a'.repeat(60 * 1024)}` },
      body: issueText(),
    });
    expect(answer.status).toBe(431);
    await expectNothingChanged(sh, before);
    await expectAlive();
  });

  it('3,000 headers are 431 or 400, never more', async () => {
    const before = await snapshot(sh);
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`x-h-${i}`, 'v']));
    const answer = await nodeRequest(sh.url, '/v1/licenses', {
      headers: { ...json(sh, 'issuer'), ...many },
      body: issueText(),
    });
    expect([400, 431]).toContain(answer.status);
    if (answer.status === 431) await expectNothingChanged(sh, before);
    else {
      expect(answer.code).toBe('INVALID_REQUEST');
      await expectOnlyRefusal(sh, before);
    }
    await expectAlive();
  });
});

/** Raw JSON text: a JS object literal would turn `__proto__` into the prototype instead of a key. */
const withField = (key: string, value = '"v"') =>
  issueText().replace(
    '"fields":{"category":"建筑电工"}',
    `"fields":{"category":"建筑电工","${key}":${value}}`,
  );
const PROTO_KEYS = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
];

describe('prototype keys are data: stored and returned as sent, or 400, never a 5xx', () => {
  it.each(PROTO_KEYS)('a license field named %s', async (key) => {
    const before = await snapshot(sh);
    const answer = await send(sh.url, '/v1/licenses', { headers: json(sh, 'issuer'), body: withField(key) });
    expect([201, 400], answer.text).toContain(answer.status);
    if (answer.status === 400) {
      expect(answer.code).toBe('INVALID_REQUEST');
      await expectOnlyRefusal(sh, before);
      return;
    }
    const { identifier } = IssueResponseSchema.parse(answer.json);
    const got = await send(sh.url, `/v1/licenses/${identifier}`, { headers: json(sh, 'issuer') });
    expect(got.status).toBe(200);
    // JSON.parse keeps `__proto__` as an own key: compare own entries, not through the prototype.
    const fields = (JSON.parse(got.text) as { license: { fields: object } }).license.fields;
    expect(Object.entries(fields).sort()).toEqual(
      [
        ['category', '建筑电工'],
        [key, 'v'],
      ].sort(),
    );
    expect(LicenseResponseSchema.safeParse(got.json).success).toBe(true);
  });

  it.each(['prototype', 'toString', '__proto__'])('a new version with a field named %s', async (key) => {
    const issued = await send(sh.url, '/v1/licenses', { headers: json(sh, 'issuer'), body: issueText() });
    const { identifier } = IssueResponseSchema.parse(issued.json);
    const before = await snapshot(sh);
    const answer = await send(sh.url, `/v1/licenses/${identifier}/versions`, {
      headers: json(sh, 'issuer'),
      body: `{"fields":{"category":"建筑电工","${key}":"v"},"reason":"变更"}`,
    });
    expect([201, 400], answer.text).toContain(answer.status);
    if (answer.status === 400) {
      expect(answer.code).toBe('INVALID_REQUEST');
      await expectOnlyRefusal(sh, before);
      return;
    }
    const next = IssueResponseSchema.parse(answer.json).identifier;
    const got = await send(sh.url, `/v1/licenses/${next}`, { headers: json(sh, 'issuer') });
    const fields = (JSON.parse(got.text) as { license: { fields: object } }).license.fields;
    expect(Object.entries(fields).sort()).toEqual(
      [
        ['category', '建筑电工'],
        [key, 'v'],
      ].sort(),
    );
  });

  it.each([
    ['constructor.prototype as a field value', withField('constructor', '{"prototype":{"polluted":"yes"}}')],
    ['__proto__ as a field value', withField('__proto__', '{"polluted":"yes"}')],
    ['__proto__ at the top', issueText().replace(/^\{/, '{"__proto__":{"polluted":"yes"},')],
    [
      'constructor at the top',
      issueText().replace(/^\{/, '{"constructor":{"prototype":{"polluted":"yes"}},'),
    ],
    [
      'issuer.uscc only through __proto__',
      issueText().replace(
        /"issuer":\{[^}]*\}/,
        '"issuer":{"name":"上海市住房和城乡建设管理委员会","__proto__":{"uscc":"113100000024601315"}}',
      ),
    ],
    [
      '__proto__ in holder',
      issueText().replace('"typeCode":"111"', '"typeCode":"111","__proto__":{"code":"x"}'),
    ],
  ])('%s is 400 and pollutes nothing', async (_name, body) => {
    await expectRefusedPost('/v1/licenses', 'issuer', body);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['__proto__ in a verify body', () => verifyText().replace(/^\{/, '{"__proto__":{"identifier":"x"},')],
    ['constructor in a verify body', () => verifyText().replace(/^\{/, '{"constructor":"x",')],
  ])('%s is 400', async (_name, body) => {
    await expectRefusedPost('/v1/verify', 'platform', body());
  });

  it.each([
    ['__proto__', '__proto__=x'],
    ['constructor', 'constructor=x'],
    ['hasOwnProperty', 'hasOwnProperty=x'],
  ])('an audit query parameter %s is 400', async (_name, query) => {
    const before = await snapshot(sh);
    const answer = await send(sh.url, `/v1/audit/events?identifier=${license}&${query}`, {
      headers: json(sh, 'auditor'),
    });
    expectAnswer(answer, 400, 'INVALID_REQUEST');
    await expectOnlyRefusal(sh, before);
  });

  it('a status change with __proto__ is 400 and leaves the license valid', async () => {
    await expectRefusedPost(
      `/v1/licenses/${license}/status`,
      'issuer',
      '{"status":"07","reason":"吊销","__proto__":{"status":"01"}}',
    );
  });
});

const LOOKALIKES: [string, Record<string, unknown>][] = [
  ['full-width digits in typeCode', { typeCode: `11100000000013338W${fullWidth('032')}` }],
  ['a Cyrillic We in typeCode', { typeCode: '11100000000013338\u051c032' }],
  ['a zero-width space in typeCode', { typeCode: '11100000000013338W032\u200b' }],
  ['an RTL override in typeCode', { typeCode: '\u202e11100000000013338W032' }],
  [
    'full-width digits in issuer.uscc',
    { issuer: { name: '上海市住房和城乡建设管理委员会', uscc: `${fullWidth('1')}13100000024601315` } },
  ],
  [
    'a zero-width space in issuer.uscc',
    { issuer: { name: '上海市住房和城乡建设管理委员会', uscc: '1131000000\u200b24601315' } },
  ],
  [
    'full-width digits in holder.code',
    { holder: { name: '张三', typeCode: '111', code: fullWidth('11010519491231002X') } },
  ],
  [
    'a Cyrillic Ha in holder.code',
    { holder: { name: '张三', typeCode: '111', code: '11010519491231002\u0425' } },
  ],
  [
    'a zero-width space in holder.code',
    { holder: { name: '张三', typeCode: '111', code: '\u200b11010519491231002X' } },
  ],
  [
    'an RTL override in holder.code',
    { holder: { name: '张三', typeCode: '111', code: '\u202e11010519491231002X' } },
  ],
  [
    'a Cyrillic A in a passport number',
    { holder: { name: 'Ivan', typeCode: '414', code: '\u0410E1234567' } },
  ],
  [
    'full-width digits in holder.typeCode',
    { holder: { name: '张三', typeCode: fullWidth('111'), code: '11010519491231002X' } },
  ],
  ['full-width digits in areaCode', { areaCode: fullWidth('310000') }],
  ['a zero-width space in areaCode', { areaCode: '310000\u200b' }],
  ['a byte order mark in areaCode', { areaCode: '\ufeff310000' }],
  ['Arabic-Indic digits in areaCode', { areaCode: '\u0663\u0661\u0660\u0660\u0660\u0660' }],
];

describe('look-alike Unicode in codes is 400 INVALID_REQUEST', () => {
  it.each(LOOKALIKES)('issuing with %s', async (_name, overrides) => {
    await expectRefusedPost('/v1/licenses', 'issuer', issueText(overrides));
  });

  it.each([
    ['full-width letters in matterCode', { matterCode: `${fullWidth('SCJZ')}0001` }],
    ['a Cyrillic A in matterCode', { matterCode: '\u0410BCD0001' }],
    ['a Cyrillic Es in matterCode', { matterCode: '\u0421CJZ0001' }],
    ['a zero-width space in matterCode', { matterCode: 'SCJZ\u200b0001' }],
    ['an RTL override in matterCode', { matterCode: '\u202eSCJZ0001' }],
  ])('verifying with %s', async (_name, overrides) => {
    await expectRefusedPost('/v1/verify', 'platform', verifyText(overrides));
  });

  it.each([
    ['full-width digits', () => license.replace('1.2.156', `${fullWidth('1')}.2.156`)],
    ['a Cyrillic We', () => license.replace('W032', '\u051c032')],
    ['a zero-width space', () => `${license}\u200b`],
    ['an RTL override', () => `\u202e${license}`],
  ])('verifying an identifier with %s', async (_name, identifier) => {
    const before = await snapshot(sh);
    const answer = await send(sh.url, '/v1/verify', {
      headers: json(sh, 'platform'),
      body: verifyText({ identifier: identifier() }),
    });
    // A well-formed request about a malformed identifier may also be answered as a verdict.
    if (answer.status === 200) {
      expect((answer.json as { verdict: string }).verdict).toBe('invalid');
    } else {
      expectAnswer(answer, 400, 'INVALID_REQUEST');
      await expectOnlyRefusal(sh, before);
    }
  });
});

/** Paths exactly as sent; `audited` where the path still names the license route once URL-parsed. */
const PATHS: [string, () => string, boolean][] = [
  ['..', () => '..', false],
  ['%2E%2E', () => '%2E%2E', false],
  ['..%2F..%2Fetc%2Fpasswd', () => '..%2F..%2Fetc%2Fpasswd', true],
  ['%2F', () => '%2F', true],
  ['a%2Fb', () => 'a%2Fb', true],
  ['%00', () => '%00', true],
  ['the identifier and %00', () => `${license}%00`, true],
  ['the identifier and %2F..', () => `${license}%2F..`, true],
  ['%ZZ (bad percent-encoding)', () => '%ZZ', true],
  ['%E0%A4%A (truncated UTF-8)', () => '%E0%A4%A', true],
  ['%C0%AE%C0%AE (overlong dots)', () => '%C0%AE%C0%AE', true],
  ['%5C..%5C', () => '%5C..%5C', true],
  ['%u002e%u002e', () => '%u002e%u002e', true],
  ['5,000 characters', () => 'A'.repeat(5_000), true],
  ['the identifier and 3,000 characters', () => `${license}${'A'.repeat(3_000)}`, true],
  ['the identifier with a full-width digit', () => license.replace('1.2.156', '%EF%BC%91.2.156'), true],
];

describe('identifiers with path characters are 400 or 404, never a 5xx', () => {
  it.each(PATHS)('GET /v1/licenses/%s', async (_name, segment, audited) => {
    const before = await snapshot(sh);
    const answer = await nodeRequest(sh.url, `/v1/licenses/${segment()}`, { headers: json(sh, 'issuer') });
    expect([400, 404], answer.text).toContain(answer.status);
    expect(answer.code).toBe(answer.status === 400 ? 'INVALID_REQUEST' : 'NOT_FOUND');
    if (audited) await expectOnlyRefusal(sh, before);
    else await expectNothingChanged(sh, before);
    await expectAlive();
  });
});

const USE_CAUSES: [string, string, string | undefined][] = [
  ['a NUL', '窗口\u0000核验', undefined],
  ['a CR', '窗口\r核验', undefined],
  ['an LF', '窗口\n核验', undefined],
  ['a tab', '窗口\t核验', undefined],
  ['a DEL', '窗口\u007f核验', undefined],
  ['a C1 control (NEL)', '窗口\u0085核验', undefined],
  ['a line separator', '窗口\u2028核验', undefined],
  ['an RTL override', '\u202e验核口窗', undefined],
  ['a zero-width space', '窗口\u200b核验', undefined],
  ['a citizen ID number', `核验 ${FOREIGN_ID} 本人`, FOREIGN_ID],
  ['a citizen ID number run into the text', `为${FOREIGN_ID}办理`, FOREIGN_ID],
  ["the holder's citizen ID number", '持证人11010519491231002X', '11010519491231002X'],
  ['a citizen ID number with a lower-case x', '持证人11010519491231002x', '11010519491231002x'],
  ['a citizen ID number in full-width digits', `核验${fullWidth(FOREIGN_ID)}`, fullWidth(FOREIGN_ID)],
  ['a USCC', '企业113100000024601315核验', undefined],
  ['another USCC', `企业 ${FOREIGN_USCC}`, FOREIGN_USCC],
];

describe('a use cause must be printable text without personal identifiers', () => {
  it('(control) a plain use cause verifies', async () => {
    const answer = await send(sh.url, '/v1/verify', { headers: json(sh, 'platform'), body: verifyText() });
    expect(answer.status, answer.text).toBe(200);
  });

  it.each(USE_CAUSES)('a use cause with %s is 400, and stored nowhere', async (_name, useCause, secret) => {
    await expectRefusedPost('/v1/verify', 'platform', verifyText({ useCause }));
    if (secret) expect(await auditText(sh, true)).not.toContain(secret);
    expect(await auditText(sh, true)).not.toContain(useCause);
  });

  it.each(USE_CAUSES.filter((_, i) => i === 0 || i >= 7))(
    'from 330000, a use cause with %s is 400 there and never reaches 310000',
    async (_name, useCause, secret) => {
      const [beforeSh, beforeZj] = await Promise.all([snapshot(sh), snapshot(zj)]);
      const answer = await send(zj.url, '/v1/verify', {
        headers: json(zj, 'platform'),
        body: verifyText({ useCause }),
      });
      expectAnswer(answer, 400, 'INVALID_REQUEST');
      await expectOnlyRefusal(zj, beforeZj);
      await expectNothingChanged(sh, beforeSh);
      for (const p of [sh, zj]) {
        const text = await auditText(p, true);
        if (secret) expect(text).not.toContain(secret);
        expect(text).not.toContain(useCause);
      }
    },
  );

  it.each([
    ['a citizen ID number', `核验 ${FOREIGN_ID}`, FOREIGN_ID],
    ['an LF', '窗口\n核验', undefined],
  ])(
    'a signed interop call whose use cause holds %s is 400 at 310000, unrecorded',
    async (_n, useCause, secret) => {
      const before = await snapshot(sh);
      const res = await zj.gateway.peers.call(
        '310000',
        'POST',
        '/v1/interop/verify',
        { identifier: license, matterCode: MATTER, useCause, requester: { platform: 'attack' } },
        { traceId: 'ab'.repeat(16) },
      );
      expect(res.status).toBe(400);
      expect((res.body as { error?: { code?: string } }).error?.code).toBe('INVALID_REQUEST');
      await expectOnlyRefusal(sh, before, { nonceRecorded: true });
      const text = await auditText(sh, true);
      if (secret) expect(text).not.toContain(secret);
      expect(text).not.toContain(useCause);
    },
  );
});

const oversized = (n: number) => issueText({ fields: { category: 'x', pad: 'x'.repeat(n) } });

describe('a body over 64 KB is 413 PAYLOAD_TOO_LARGE and the connection lives on', () => {
  it.each([
    ['issuing, with content-length', '/v1/licenses', 'issuer', false],
    ['issuing, chunked', '/v1/licenses', 'issuer', true],
    ['verifying, with content-length', '/v1/verify', 'platform', false],
    ['verifying, chunked', '/v1/verify', 'platform', true],
  ] as const)('%s', async (_name, path, role, chunked) => {
    const before = await snapshot(sh);
    const answer = await nodeRequest(sh.url, path, {
      headers: json(sh, role),
      body: oversized(LIMIT + 1024),
      chunked,
    });
    expectAnswer(answer, 413, 'PAYLOAD_TOO_LARGE');
    await expectOnlyRefusal(sh, before);
    await expectAlive();
  });

  it('a 2 MB body is 413 as well', async () => {
    const before = await snapshot(sh);
    const answer = await nodeRequest(sh.url, '/v1/licenses', {
      headers: json(sh, 'issuer'),
      body: oversized(2 * 1024 * 1024),
      chunked: true,
    });
    expectAnswer(answer, 413, 'PAYLOAD_TOO_LARGE');
    await expectOnlyRefusal(sh, before);
    await expectAlive();
  });

  it.each([
    ['with content-length', false],
    ['chunked', true],
  ])('the next request on the same keep-alive socket succeeds (%s)', async (_name, chunked) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await snapshot(sh);
      const refused = await nodeRequest(sh.url, '/v1/verify', {
        headers: json(sh, 'platform'),
        body: oversized(LIMIT + 1024),
        chunked,
        agent,
      });
      expectAnswer(refused, 413, 'PAYLOAD_TOO_LARGE');
      const events = await newEvents(sh, before);
      expect(events.map((e) => e.outcome)).toEqual(['refused']);
      const next = await nodeRequest(sh.url, '/v1/verify', {
        headers: json(sh, 'platform'),
        body: verifyText(),
        agent,
      });
      // The rest of an oversized body is never read, so the gateway says it closes the
      // connection; the client then sends its next request on a fresh one and loses nothing.
      expect(refused.headers.connection).toBe('close');
      expect(next.status, next.text).toBe(200);
      expect(next.socket === refused.socket).toBe(false);
    } finally {
      agent.destroy();
    }
  });
});
