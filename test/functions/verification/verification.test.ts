import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIdentifier } from '../../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../../contracts/errors.ts';
import { IssueResponseSchema } from '../../../contracts/license.ts';
import { VerifyResponseSchema } from '../../../contracts/verify.ts';
import { credentialClaims } from '../../../lib/license/credential.ts';
import { signCompactJws } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import {
  EVERY_CHECK_PASSES,
  issueSample,
  post,
  type TestGateway,
  testGateway,
  ZHEJIANG_DEPT,
} from '../../support/gateway.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const use = { matterCode: '310000-JZ-001', useCause: '办理施工许可' };

describe('verifying e-licenses for platforms', () => {
  let t: TestGateway;
  let platform: string;
  let issued: ReturnType<typeof IssueResponseSchema.parse>;

  const verify = async (body: Record<string, unknown>) => {
    // A token minted at the frozen clock's time, which some tests move by years.
    const res = await t.app.request(post('/v1/verify', { ...use, ...body }, await t.token('platform')));
    expect(res.status).toBe(200);
    return VerifyResponseSchema.parse(await res.json());
  };

  beforeAll(async () => {
    t = await testGateway();
    platform = await t.token('platform');
    issued = await issueSample(t);
  });

  it('finds a valid credential of its own province valid, every check passing', async () => {
    const answer = await verify({ credential: issued.credential });
    expect(answer.verdict).toBe('valid');
    expect(answer.checks).toEqual(EVERY_CHECK_PASSES);
    expect(answer.identifier).toBe(issued.identifier);
    expect(answer.issuerProvince).toBe('310000');
    expect(answer.status).toBe('01');
    expect(answer.license?.holder?.code).toBe('110105********002X');
  });

  it('verifies by identifier alone, with the signature check skipped', async () => {
    const answer = await verify({ identifier: issued.identifier });
    expect(answer.verdict).toBe('valid');
    expect(answer.checks.signature).toBe('skipped');
  });

  it('records every verification in the audit log with the matter code', async () => {
    const answer = await verify({ identifier: issued.identifier });
    const event = (await t.scan('audit')).find((e) => e.traceId === answer.traceId);
    expect(event).toMatchObject({ action: 'verify', outcome: 'success', identifier: issued.identifier });
    expect(event?.details).toMatchObject({ verdict: 'valid', matterCode: use.matterCode });
  });

  it('finds an expired license invalid', async () => {
    t.clock.set('2032-02-28T16:00:00Z');
    try {
      const answer = await verify({ credential: issued.credential });
      expect(answer.verdict).toBe('invalid');
      expect(answer.checks.validity).toBe('fail');
      expect(answer.reasons.map((r) => r.code)).toContain('EXPIRED');
    } finally {
      t.clock.set('2026-06-01T08:00:00Z');
    }
  });

  it('finds a license not yet valid invalid', async () => {
    t.clock.set('2026-02-28T15:59:59Z');
    try {
      const answer = await verify({ identifier: issued.identifier });
      expect(answer.verdict).toBe('invalid');
      expect(answer.reasons.map((r) => r.code)).toContain('NOT_YET_VALID');
    } finally {
      t.clock.set('2026-06-01T08:00:00Z');
    }
  });

  it('finds a tampered credential invalid', async () => {
    const [h, p, s] = issued.credential.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
    claims.lic.holder.name = '李四';
    const answer = await verify({ credential: `${h}.${b64(claims)}.${s}` });
    expect(answer.verdict).toBe('invalid');
    expect(answer.checks.signature).toBe('fail');
    expect(answer.reasons[0]?.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses alg none', async () => {
    const [h, p] = issued.credential.split('.');
    const header = { ...JSON.parse(Buffer.from(h ?? '', 'base64url').toString()), alg: 'none' };
    const answer = await verify({ credential: `${b64(header)}.${p}.` });
    expect(answer.verdict).toBe('invalid');
    expect(answer.reasons[0]?.code).toBe('ALGORITHM_NOT_ALLOWED');
  });

  it('refuses a credential signed with a key of the wrong purpose', async () => {
    const forged = await signCompactJws(
      t.keys.gateway,
      { typ: 'elicense+jwt' },
      credentialClaims({ ...issued.license }, t.clock.now()),
    );
    const answer = await verify({ credential: forged });
    expect(answer.verdict).toBe('invalid');
    expect(answer.reasons[0]?.code).toBe('WRONG_KEY_PURPOSE');
  });

  it('refuses a credential signed by a key the registry does not list', async () => {
    const stranger = await loadLocalKeyRing(await mkdtemp(join(tmpdir(), 'elg-stranger-')));
    const forged = await signCompactJws(
      stranger.credential,
      { typ: 'elicense+jwt' },
      credentialClaims({ ...issued.license }, t.clock.now()),
    );
    const answer = await verify({ credential: forged });
    expect(answer.verdict).toBe('invalid');
    expect(answer.reasons[0]?.code).toBe('UNKNOWN_KEY');
  });

  it('refuses a credential whose iss is not the province owning its key', async () => {
    const forged = await signCompactJws(
      t.keys.credential,
      { typ: 'elicense+jwt' },
      { ...credentialClaims({ ...issued.license }, t.clock.now()), iss: '650000' },
    );
    const answer = await verify({ credential: forged });
    expect(answer.verdict).toBe('invalid');
    expect(answer.checks.issuer).toBe('fail');
    expect(answer.reasons[0]?.code).toBe('ISSUER_MISMATCH');
  });

  it('finds a malformed credential and a malformed identifier invalid with the format check failing', async () => {
    const a = await verify({ credential: 'abc.def' });
    expect(a.verdict).toBe('invalid');
    expect(a.checks.format).toBe('fail');
    const b = await verify({
      identifier: `${issued.identifier.slice(0, -1)}${issued.identifier.endsWith('A') ? 'B' : 'A'}`,
    });
    expect(b.verdict).toBe('invalid');
    expect(b.reasons[0]?.code).toBe('IDENTIFIER_INVALID');
  });

  it("answers unverified with PEER_UNAVAILABLE when another province's gateway does not answer", async () => {
    const identifier = buildIdentifier({
      typeCode: issued.license.typeCode,
      issuerCode: ZHEJIANG_DEPT.uscc,
      serial: '2026000001',
      version: '001',
    });
    const foreign = {
      ...issued.license,
      identifier,
      province: '330000',
      issuer: ZHEJIANG_DEPT,
      areaCode: '330000',
    };
    const jws = await signCompactJws(
      t.peerKeys.credential,
      { typ: 'elicense+jwt' },
      credentialClaims(foreign, t.clock.now()),
    );
    const answer = await verify({ credential: jws });
    expect(answer.verdict).toBe('unverified');
    expect(answer.checks.signature).toBe('pass');
    expect(answer.checks.status).toBe('unavailable');
    expect(answer.reasons.map((r) => r.code)).toContain('PEER_UNAVAILABLE');
    expect(answer.receipt).toBeUndefined();
  });

  it("finds a credential signed by one province for another province's authority invalid, calling no one", async () => {
    // 330000 signs, with its own credential key, a license naming a Shanghai authority.
    const identifier = buildIdentifier({
      typeCode: issued.license.typeCode,
      issuerCode: issued.license.issuer.uscc,
      serial: '2026999999',
      version: '001',
    });
    const jws = await signCompactJws(
      t.peerKeys.credential,
      { typ: 'elicense+jwt' },
      {
        ...credentialClaims({ ...issued.license, identifier, province: '330000' }, t.clock.now()),
        iss: '330000',
      },
    );
    const before = new Set((await t.scan('audit')).map((e) => e.eventId));
    const answer = await verify({ credential: jws });
    expect(answer.verdict).toBe('invalid');
    expect(answer.checks).toMatchObject({ format: 'pass', issuer: 'fail', status: 'skipped' });
    expect(answer.reasons.map((r) => r.code)).toEqual(['ISSUER_MISMATCH']);
    const events = (await t.scan('audit')).filter((e) => !before.has(e.eventId));
    expect(events.map((e) => e.action)).toEqual(['verify']);
  });

  it('tells the issuing province the platform and an opaque officer reference, never the token subject', async () => {
    const identifier = buildIdentifier({
      typeCode: issued.license.typeCode,
      issuerCode: ZHEJIANG_DEPT.uscc,
      serial: '2026000002',
      version: '001',
    });
    const sent: unknown[] = [];
    const original = t.gateway.peers.call.bind(t.gateway.peers);
    t.gateway.peers.call = async (peer, method, path, body, ctx) => {
      sent.push(body);
      return original(peer, method, path, body, ctx);
    };
    try {
      const res = await t.app.request(
        post('/v1/verify', { ...use, identifier }, await t.token('platform', { sub: 'officer-7@sh' })),
      );
      expect(res.status).toBe(200);
    } finally {
      t.gateway.peers.call = original;
    }
    expect(sent).toHaveLength(1);
    const requester = (sent[0] as { requester: { platform: string; officerRef: string } }).requester;
    expect(JSON.stringify(sent[0])).not.toContain('officer-7');
    expect(requester.officerRef).toMatch(/^ofr_[A-Za-z0-9_-]{16}$/);
    const local = (await t.scan('audit')).find(
      (e) => (e.details as Record<string, unknown>)?.officerRef === requester.officerRef,
    );
    expect(local?.actor).toMatchObject({ sub: 'officer-7@sh' });
  });

  it('refuses a request with both or neither of credential and identifier', async () => {
    for (const body of [{ credential: issued.credential, identifier: issued.identifier }, {}]) {
      const res = await t.app.request(post('/v1/verify', { ...use, ...body }, platform));
      expect(res.status).toBe(400);
      expect(ErrorBodySchema.parse(await res.json()).error.code).toBe('INVALID_REQUEST');
    }
  });

  it('refuses callers without the platform role', async () => {
    const res = await t.app.request(
      post('/v1/verify', { ...use, identifier: issued.identifier }, await t.token('issuer')),
    );
    expect(res.status).toBe(403);
  });

  it('finds a superseded version and a revoked license invalid', async () => {
    const issuer = await t.token('issuer');
    // A license of its own: superseding the shared one would change what the other cases verify.
    const first = await issueSample(t);
    const next = IssueResponseSchema.parse(
      await (
        await t.app.request(
          post(`/v1/licenses/${first.identifier}/versions`, { number: 'N-2', reason: '变更' }, issuer),
        )
      ).json(),
    );
    const old = await verify({ credential: first.credential });
    expect(old.verdict).toBe('invalid');
    expect(old.reasons.map((r) => r.code)).toContain('SUPERSEDED');
    expect((await verify({ credential: next.credential })).verdict).toBe('valid');

    await t.app.request(
      post(`/v1/licenses/${next.identifier}/status`, { status: '07', reason: '吊销' }, issuer),
    );
    const revoked = await verify({ credential: next.credential });
    expect(revoked.verdict).toBe('invalid');
    expect(revoked.status).toBe('07');
    expect(revoked.reasons.map((r) => r.code)).toContain('STATUS_NOT_VALID');
  });
});
