import { beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { VerifyResponseSchema } from '../../../contracts/verify.ts';
import {
  issueSample,
  post,
  type TestGateway,
  testGateway,
  unknownIdentifier,
  ZHEJIANG_DEPT,
} from '../../support/gateway.ts';

const MATTER = '310000-JZ-001';
const ID = '11010519491231002X';
/** U+FF10-FF19 and U+FF38: the citizen ID number as typed in full-width mode. */
const FULL_WIDTH_ID = '１１０１０５１９４９１２３１００２Ｘ';

describe('the use cause of a verification', () => {
  let t: TestGateway;
  let own: string;
  let foreign: string;
  let sent: unknown[];
  beforeAll(async () => {
    t = await testGateway();
    own = (await issueSample(t)).identifier;
    foreign = unknownIdentifier({ issuerCode: ZHEJIANG_DEPT.uscc, serial: '2026000001' });
    sent = [];
    const original = t.gateway.peers.call.bind(t.gateway.peers);
    t.gateway.peers.call = async (peer, method, path, body, ctx) => {
      sent.push(body);
      return original(peer, method, path, body, ctx);
    };
  });

  it('lets a printable cause through and logs it', async () => {
    const res = await t.app.request(
      post(
        '/v1/verify',
        { identifier: own, matterCode: MATTER, useCause: '办理施工许可' },
        await t.token('platform'),
      ),
    );

    expect(res.status).toBe(200);
    expect(VerifyResponseSchema.parse(await res.json()).verdict).toBe('valid');
  });

  it.each([
    ['a citizen ID number', `为${ID}办理`, ID],
    ['a full-width citizen ID number', `为${FULL_WIDTH_ID}办理`, FULL_WIDTH_ID],
    ['a spaced-out citizen ID number', '为 110105 19491231 002X 办理', '19491231'],
    ['a 15-digit citizen ID number', '为310104800101123办理', '310104800101123'],
    ['a USCC', '企业91310115MA1FL5X274年检', '91310115MA1FL5X274'],
    ['a NUL', '办理\u0000施工许可', undefined],
    ['a CR', '办理\r施工许可', undefined],
    ['an LF', '办理施工许可\n', undefined],
    ['a right-to-left override', '办理\u202e可许工施', undefined],
    ['a zero-width space', '办理\u200b施工许可', undefined],
  ])('refuses a cause with %s before logging or sending it', async (_name, useCause, secret) => {
    const before = (await t.scan('audit')).length;
    const calls = sent.length;

    const res = await t.app.request(
      post('/v1/verify', { identifier: foreign, matterCode: MATTER, useCause }, await t.token('platform')),
    );

    expect(res.status).toBe(400);
    const error = ErrorBodySchema.parse(await res.json()).error;
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.issues?.map((i) => i.path.join('.'))).toEqual(['useCause']);
    expect(sent).toHaveLength(calls);
    const audit = await t.scan('audit');
    expect(audit).toHaveLength(before + 1);
    expect(audit.find((e) => e.traceId === error.traceId)).toMatchObject({
      action: 'verify',
      outcome: 'refused',
      errorCode: 'INVALID_REQUEST',
    });
    if (secret) {
      expect(JSON.stringify(audit)).not.toContain(secret);
      expect(JSON.stringify(error)).not.toContain(secret);
    }
  });
});
