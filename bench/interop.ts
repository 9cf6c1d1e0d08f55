import { createPublicKey, sign, verify } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IssueResponseSchema } from '../contracts/license.ts';
import { VerifyResponseSchema } from '../contracts/verify.ts';
import { startDynamoDbLocal } from '../federation/dynamodb-local.ts';
import { startFederation } from '../federation/federation.ts';
import { FEDERATION } from '../federation/provinces.ts';
import { generateP256PrivateKey } from '../lib/signing/public-jwk.ts';
import { type Budget, type Measurement, measure, type Section } from './harness.ts';

const CONCURRENCY = 8;
const MAX_CALLS = 20_000;

/**
 * The cross-province verify path between two local provinces over real HTTP: a Zhejiang platform
 * verifies a Shanghai license by identifier, so each call is a bearer check, a signed request,
 * its verification and single-use jti write at Shanghai, a signed receipt and its verification.
 * Reported: calls per second and latency at a fixed concurrency, and this process's CPU time per
 * call (both gateways run here; DynamoDB Local runs in its own JVM) next to the cost of the
 * signatures one call needs (2 ES256 signs, 3 verifies), measured with node:crypto in this run.
 */
export const interop: Section = {
  name: 'interop',
  title: 'cross-province verify (two local provinces over HTTP)',
  async run(budget: Budget): Promise<Measurement[]> {
    const dir = await mkdtemp(join(tmpdir(), 'elg-bench-'));
    const ddb = await startDynamoDbLocal();
    const f = await startFederation({
      dir,
      dynamodbEndpoint: ddb.endpoint,
      ports: 'ephemeral',
      provinces: FEDERATION.filter((p) => p.id === '310000' || p.id === '330000'),
    });
    try {
      const sh = f.province('310000');
      const zj = f.province('330000');
      const issued = IssueResponseSchema.parse(
        await post(`${sh.url}/v1/licenses`, sh.tokens.issuer, {
          typeCode: '11100000000013338W032',
          typeName: '建筑施工特种作业人员操作资格证书',
          number: '沪建安A(2026)000123',
          issuer: sh.departments[0],
          holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
          areaCode: '310000',
          issueDate: '2026-03-01',
          validFrom: '2026-03-01',
          fields: { category: '建筑电工' },
        }),
      );
      const body = { identifier: issued.identifier, matterCode: 'BENCH001', useCause: '性能测试' };
      const once = async () => {
        const answer = VerifyResponseSchema.parse(
          await post(`${zj.url}/v1/verify`, zj.tokens.platform, body),
        );
        if (answer.verdict !== 'valid')
          throw new Error(`bench call was ${answer.verdict}: ${JSON.stringify(answer.reasons)}`);
      };
      for (let i = 0; i < 20; i++) await once();

      const latencies: number[] = [];
      const cpuBefore = process.cpuUsage();
      const start = performance.now();
      const stopAt = start + budget.seconds * 2 * 1000;
      const worker = async () => {
        while (performance.now() < stopAt && latencies.length < MAX_CALLS) {
          const t0 = performance.now();
          await once();
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const seconds = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuPerCall = (cpu.user + cpu.system) / 1e6 / latencies.length;

      const sigs = await signatureCost(budget);
      const signatureSeconds = 2 / sigs.sign.opsPerSecond + 3 / sigs.verify.opsPerSecond;
      latencies.sort((a, b) => a - b);
      const pct = (p: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
      return [
        {
          name: `cross-province verify, concurrency ${CONCURRENCY}`,
          ops: latencies.length,
          seconds,
          opsPerSecond: latencies.length / seconds,
          note: `p50 ${pct(0.5).toFixed(1)} ms, p99 ${pct(0.99).toFixed(1)} ms`,
        },
        {
          name: 'gateway CPU time per verified call (both sides)',
          ops: latencies.length,
          seconds: cpuPerCall * latencies.length,
          opsPerSecond: 1 / cpuPerCall,
          note: `${(cpuPerCall / signatureSeconds).toFixed(1)} × its signatures`,
        },
        { ...sigs.sign, note: 'ceiling' },
        { ...sigs.verify, note: 'ceiling' },
        {
          name: 'signatures one call needs (2 sign + 3 verify)',
          ops: 1,
          seconds: signatureSeconds,
          opsPerSecond: 1 / signatureSeconds,
          note: `${((signatureSeconds / cpuPerCall) * 100).toFixed(0)} % of the call's CPU`,
        },
      ];
    } finally {
      await f.stop();
      await ddb.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function post(url: string, token: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 400) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Raw P-256 sign and verify with node:crypto, in this run: the floor a signed call cannot go below. */
export async function signatureCost(budget: Budget) {
  const privateKey = generateP256PrivateKey();
  const publicKey = createPublicKey(privateKey);
  const data = Buffer.alloc(400, 7);
  const sig = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return {
    sign: await measure(
      'raw node:crypto P-256 sign',
      () => sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      budget,
    ),
    verify: await measure(
      'raw node:crypto P-256 verify',
      () => verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig),
      budget,
    ),
  };
}
