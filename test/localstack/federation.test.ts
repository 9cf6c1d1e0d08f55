import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fetchRegistryEntry } from '../../cli/commands/registry.ts';
import { isProvinceCode, PROVINCES } from '../../contracts/codes/index.ts';
import { IssueResponseSchema } from '../../contracts/license.ts';
import type { RegistryClaims, RegistryProvince } from '../../contracts/registry.ts';
import { VerifyResponseSchema } from '../../contracts/verify.ts';
import { FEDERATION } from '../../federation/provinces.ts';
import { assembleTrace } from '../../lib/audit/trace.ts';
import type { TraceReport } from '../../lib/audit/trace-report.ts';
import { registryTraceVerifier } from '../../lib/audit/trace-verifier.ts';
import { DevIdentityProvider } from '../../lib/auth/dev-idp.ts';
import { loadOrCreateRootKey, type RootKey, signRegistry } from '../../lib/registry/sign-registry.ts';
import { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { verifyRegistry } from '../../lib/registry/verify-registry.ts';
import {
  currentKeysFromKms,
  ensureBucket,
  eventually,
  localStackSettings,
  putObject,
  reachableApiUrl,
  stackOutputs,
} from './localstack.ts';

/**
 * The federation scenario against provinces deployed to LocalStack with `cdklocal` (README,
 * "LocalStack"): the registry exchanged as operators exchange it, an agreement between the two
 * provinces, a license issued in the first and verified in the second over a signed call with a
 * receipt, and the audit trace of that call proven in both provinces' logs. The sequencer and the
 * agreement deliveries run on their EventBridge schedules (every minute), so the suite waits for
 * them. It runs only when LOCALSTACK_ENDPOINT is set, and is reported as skipped otherwise.
 */
const settings = localStackSettings();
const MINUTE = 60_000;
const POLL = { attempts: 60, intervalMs: 5000 } as const;
const use = { matterCode: 'LOCALSTACK01', useCause: '跨省通办 LocalStack 集成测试' };

const AgreementSchema = z.object({
  id: z.string(),
  state: z.string(),
  parties: z.array(z.string()),
  activeParties: z.array(z.string()),
});

interface Province {
  id: string;
  url: string;
  tokens: Record<'issuer' | 'platform' | 'operator' | 'auditor', string>;
}

describe.skipIf(settings === undefined)('the federation on LocalStack (LOCALSTACK_ENDPOINT)', () => {
  const s = settings ?? localStackSettingsMissing();
  const [issuingId, verifyingId] = s.provinces;
  let root: RootKey;
  let idp: DevIdentityProvider;
  const provinces = new Map<string, Province>();
  let claims: RegistryClaims;

  const province = (id: string): Province => {
    const p = provinces.get(id);
    if (!p) throw new Error(`province ${id} was not found in LocalStack`);
    return p;
  };

  async function call(p: Province, role: keyof Province['tokens'], path: string, body?: unknown) {
    const res = await fetch(`${p.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${p.tokens[role]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  }

  beforeAll(async () => {
    if (!existsSync(s.rootKeyFile)) {
      throw new Error(
        `no root key at ${s.rootKeyFile}: create it with \`elg registry root --root-key ${s.rootKeyFile} --create\` ` +
          'and deploy the stacks with its output as registryRootJwk (README, LocalStack)',
      );
    }
    root = await loadOrCreateRootKey(s.rootKeyFile);
    idp = await DevIdentityProvider.loadOrCreate(s.idpKeyFile);
    await ensureBucket(s);
    await putObject(s, 'idp/jwks.json', JSON.stringify(idp.jwks), 'application/json');

    const first = FEDERATION.find((f) => f.id === issuingId)?.departments[0];
    for (const id of s.provinces) {
      const outputs = await stackOutputs(s, `elg-${id}`);
      const apiUrl = outputs.ApiUrl;
      if (!apiUrl) throw new Error(`stack elg-${id} has no ApiUrl output`);
      const mint = (role: keyof Province['tokens']) =>
        idp.mint({
          sub: `localstack-${role}@${id}`,
          roles: [role],
          ...(role === 'issuer' && first && id === issuingId ? { uscc: first.uscc, name: first.name } : {}),
          ttlSeconds: 3600,
          issuer: s.idpIssuer,
          audience: s.idpAudience,
        });
      provinces.set(id, {
        id,
        url: reachableApiUrl(apiUrl, s.endpoint),
        tokens: {
          issuer: await mint('issuer'),
          platform: await mint('platform'),
          operator: await mint('operator'),
          auditor: await mint('auditor'),
        },
      });
    }

    // The first registry, from the keys in KMS, so that the gateways can start at all.
    const now = Math.floor(Date.now() / 1000);
    const bootstrap: RegistryProvince[] = [];
    for (const id of s.provinces) {
      bootstrap.push({
        id,
        name: isProvinceCode(id) ? PROVINCES[id].full : id,
        baseUrl: province(id).url,
        jwks: await currentKeysFromKms(s, id),
        status: 'active',
      });
    }
    await putObject(
      s,
      'registry.jwt',
      await signRegistry(root, { iss: 'elg-localstack-root', iat: now, seq: now, provinces: bootstrap }),
      'application/jwt',
    );
    claims = { iss: 'elg-localstack-root', iat: now, seq: now, provinces: bootstrap };
  }, 5 * MINUTE);

  afterAll(() => {
    provinces.clear();
  });

  it(
    'exchanges registry entries read from the deployed gateways and publishes the signed registry',
    async () => {
      // Act: each operator's `elg registry entry`, then the national operator's `elg registry sign`
      const entries: RegistryProvince[] = [];
      for (const id of s.provinces)
        entries.push(await fetchRegistryEntry(province(id).url, { province: id }));
      const next: RegistryClaims = {
        ...claims,
        iat: claims.iat + 1,
        seq: claims.seq + 1,
        provinces: entries,
      };
      const jws = await signRegistry(root, next);
      await putObject(s, 'registry.jwt', jws, 'application/jwt');

      // Assess: every gateway publishes the KMS keys behind its aliases, and the registry verifies
      for (const entry of entries) {
        const fromKms = claims.provinces.find((p) => p.id === entry.id)?.jwks.keys.map((k) => k.kid) ?? [];
        expect(entry.jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(fromKms));
        expect(entry.baseUrl).toBe(province(entry.id).url);
      }
      claims = await verifyRegistry(jws, root.publicJwk);
      expect(claims.provinces.map((p) => p.id)).toEqual([...s.provinces]);
    },
    5 * MINUTE,
  );

  it(
    `issues in ${issuingId} and verifies valid in ${verifyingId} over a signed call with a receipt`,
    async () => {
      // Prepare: an active agreement between the two, proposed by one, signed by the other
      const issuing = province(issuingId);
      const verifying = province(verifyingId);
      const listed = await call(issuing, 'operator', '/v1/agreements');
      const existing = z
        .object({ items: z.array(AgreementSchema) })
        .parse(listed.json)
        .items.find(
          (a) =>
            a.state === 'active' &&
            a.activeParties.includes(issuingId) &&
            a.activeParties.includes(verifyingId),
        );
      if (!existing) {
        const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
        const grant = (grantor: string, grantee: string) => ({
          grantor,
          grantee,
          actions: ['verify', 'status'],
          licenseTypes: ['*'],
          matterCodes: ['*'],
          maxDataLevel: 2,
        });
        const proposed = await call(issuing, 'operator', '/v1/agreements', {
          name: 'LocalStack 集成测试互认协议',
          parties: [issuingId, verifyingId],
          grants: [grant(issuingId, verifyingId), grant(verifyingId, issuingId)],
          validFrom: today,
          validUntil: `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`,
        });
        expect(proposed.status, JSON.stringify(proposed.json)).toBe(201);
        const { id } = AgreementSchema.parse(proposed.json);
        await eventually(
          `the proposal ${id} delivered to ${verifyingId}`,
          async () =>
            (await call(verifying, 'operator', `/v1/agreements/${id}`)).status === 200 ? true : undefined,
          POLL,
        );
        const signed = await call(verifying, 'operator', `/v1/agreements/${id}/signatures`, {});
        expect(signed.status, JSON.stringify(signed.json)).toBeLessThan(300);
        for (const p of [issuing, verifying]) {
          await eventually(
            `the agreement ${id} active in ${p.id}`,
            async () =>
              AgreementSchema.parse((await call(p, 'operator', `/v1/agreements/${id}`)).json).state ===
              'active'
                ? true
                : undefined,
            POLL,
          );
        }
      }
      const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
      const department = FEDERATION.find((f) => f.id === issuingId)?.departments[0];

      // Act: issue, then verify in the other province
      const issued = await call(issuing, 'issuer', '/v1/licenses', {
        typeCode: '11100000000013338W032',
        typeName: '建筑施工特种作业人员操作资格证书',
        number: `LS-${Date.now()}`,
        issuer: department,
        holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
        areaCode: issuingId,
        issueDate: today,
        validFrom: today,
        fields: { category: '建筑电工' },
      });
      expect(issued.status, JSON.stringify(issued.json)).toBe(201);
      const license = IssueResponseSchema.parse(issued.json);
      const verified = await call(verifying, 'platform', '/v1/verify', {
        identifier: license.identifier,
        ...use,
      });

      // Assess
      expect(verified.status, JSON.stringify(verified.json)).toBe(200);
      const answer = VerifyResponseSchema.parse(verified.json);
      expect(answer.verdict).toBe('valid');
      expect(answer.issuerProvince).toBe(issuingId);
      expect(answer.receipt).toEqual(expect.any(String));

      // Act: the audit trace of the verification, once both sequencers have integrated it
      const registry = TrustRegistry.fromClaims(claims);
      const report = await eventually<TraceReport>(
        `the trace ${answer.traceId} proven in both logs`,
        async () => {
          const r = await assembleTrace(
            answer.traceId,
            [issuing, verifying].map((p) => ({ province: p.id, baseUrl: p.url, token: p.tokens.auditor })),
            registryTraceVerifier(registry),
          );
          return r.ok ? r : undefined;
        },
        POLL,
      );

      // Assess: both sides of the call, each event proven in its province's signed log, the receipt checked
      expect(report.gaps).toEqual([]);
      expect(report.timeline.map((t) => [t.province, t.event.action])).toEqual(
        expect.arrayContaining([
          [verifyingId, 'verify'],
          [issuingId, 'interop.verify'],
        ]),
      );
      expect(report.timeline.every((t) => t.proof === 'verified')).toBe(true);
      // The verify event carries the call to the issuer: its receipt is checked there.
      expect(report.timeline.find((t) => t.event.action === 'verify')?.receipt).toBe('verified');
      expect(report.calls).toEqual([
        expect.objectContaining({ from: verifyingId, to: issuingId, status: 200 }),
      ]);
    },
    15 * MINUTE,
  );
});

/** Only reached when the suite is skipped: its body is still collected, and must not throw. */
function localStackSettingsMissing(): NonNullable<ReturnType<typeof localStackSettings>> {
  return {
    endpoint: 'http://localstack.invalid',
    region: 'us-east-1',
    provinces: ['310000', '330000'],
    bucket: '',
    rootKeyFile: '',
    idpKeyFile: '',
    idpIssuer: '',
    idpAudience: '',
  };
}
