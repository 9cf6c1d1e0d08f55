import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { Federation } from '../../federation/federation.ts';
import { newTraceId } from '../../lib/ids.ts';
import { signRequest } from '../../lib/interop/request-signature.ts';
import { sampleIssue, unknownIdentifier } from '../support/gateway.ts';
import { attackFederation, bearer, expectOnlyRefusal, send, snapshot } from './harness.ts';

/**
 * A holder's questions under attack (docs/protocol.md §16): 310000 answers POST
 * /v1/interop/holder-uses only for the license's own holder, to a correctly signed call, within its
 * rate limit; every refusal leaves nothing but its audit event (and the call's nonce and count).
 */

const SH = '310000';
const SC = '510000';
const PATH = '/v1/interop/holder-uses';
const HOLDER = { typeCode: '111', code: '11010519491231002X' };

describe('holder-uses under attack', () => {
  let f: Federation;
  let identifier: string;
  const p = (id: string) => f.province(id);

  beforeAll(async () => {
    f = await attackFederation([SH, '340000', SC], 'hld');
    const res = await send(p(SH).url, '/v1/licenses', {
      method: 'POST',
      headers: { ...bearer(p(SH), 'issuer'), 'content-type': 'application/json' },
      body: JSON.stringify(sampleIssue()),
    });
    identifier = IssueResponseSchema.parse(res.json).identifier;
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  async function signedCall(from: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const signed = await signRequest(p(from).gateway.keys.gateway, {
      iss: from,
      aud: SH,
      method: 'POST',
      pathWithQuery: PATH,
      body,
      traceId: newTraceId(),
      now: new Date(),
    });
    const again = () =>
      send(p(SH).url, PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signed.header },
        body,
      });
    return { res: await again(), again };
  }

  it('answers the holder’s own question from a province with no agreement: it is the holder’s right', async () => {
    const { res } = await signedCall(SC, { identifier, holder: HOLDER });
    expect(res.status).toBe(200);
  });

  it('answers another holder, and a license that does not exist, with the same 404', async () => {
    const before = await snapshot(p(SH));
    const other = await signedCall(SC, {
      identifier,
      holder: { typeCode: '111', code: '110105199003071239' },
    });
    const none = await signedCall(SC, { identifier: unknownIdentifier(), holder: HOLDER });

    expect([other.res.status, none.res.status]).toEqual([404, 404]);
    expect(other.res.code).toBe('NOT_FOUND');
    const message = (r: typeof other.res) => (r.json as { error: { message: string } }).error.message;
    expect(message(other.res)).toBe(message(none.res));
    await expectOnlyRefusal(p(SH), before, { nonceRecorded: true });
  });

  it('refuses an unsigned call, a body outside its contract and a replay', async () => {
    const before = await snapshot(p(SH));
    const unsigned = await send(p(SH).url, PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identifier, holder: HOLDER }),
    });
    const extra = await signedCall(SC, { identifier, holder: HOLDER, holderHash: 'x' });
    const first = await signedCall(SC, { identifier, holder: HOLDER });
    const replay = await first.again();

    expect(unsigned.status).toBe(401);
    expect(unsigned.code).toBe('SIGNATURE_INVALID');
    expect(extra.res.status).toBe(400);
    expect(first.res.status).toBe(200);
    expect(replay.status).toBe(409);
    expect(replay.code).toBe('REPLAYED');
    expect(before.licenses).toEqual((await snapshot(p(SH))).licenses);
  });

  it('stops a province that asks more than 120 times a minute with 429 RATE_LIMITED', async () => {
    // Bounded: two windows' worth at most, should a minute turn over during the loop.
    let limited: Awaited<ReturnType<typeof signedCall>>['res'] | undefined;
    for (let i = 0; i < 250 && !limited; i++) {
      const { res } = await signedCall(SC, { identifier, holder: HOLDER });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }

    expect(limited?.code).toBe('RATE_LIMITED');
    // Another province is not limited by 510000's calls.
    const home = await send(p('340000').url, `/v1/holder/uses?identifier=${identifier}`, {
      headers: bearer(p('340000'), 'holder'),
    });
    expect(home.status).toBe(200);
  }, 60_000);
});
