import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDynamoDbLocal } from '../federation/dynamodb-local.ts';
import { sequencerDeps } from '../functions/sequencer/function.ts';
import { integrate } from '../functions/sequencer/sequencer.ts';
import { auditEvent } from '../lib/audit/events.ts';
import { leafHash, MemoryTree, verifyInclusion } from '../lib/audit/merkle.ts';
import { systemClock } from '../lib/clock.ts';
import { TrustRegistry } from '../lib/registry/trust-registry.ts';
import { jwksOf } from '../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../lib/signing/local-signer.ts';
import { createDocumentClient, ensureTables } from '../lib/store/dynamo.ts';
import { tableNames } from '../lib/store/tables.ts';
import { ProvinceAdapters } from '../lib/wiring/adapters.ts';
import { batchWriteCeiling, getItemCeiling } from './dynamo-ceiling.ts';
import { type DynamoTally, meterDynamo } from './dynamo-meter.ts';
import { type Budget, type Measurement, measure, ratio as ratioTo, type Section } from './harness.ts';

const EVENTS = 2000;
const PROOFS_IN_FLIGHT = 8;
/**
 * Warm-ups, so that what is measured is the code compiled, as a deployed function that has served
 * a while runs it: events integrated before the measured ones, and seconds of proofs before theirs.
 */
const WARM_UP_EVENTS = 1000;
const WARM_UP_PROOF_SECONDS = 3;

/**
 * The audit log: events integrated per second by the sequencer on DynamoDB Local (writes of
 * leaves, nodes, marks and a signed checkpoint per batch), inclusion proofs served from storage,
 * and proof generation and verification in memory.
 */
export const audit: Section = {
  name: 'audit',
  title: `audit log (${EVENTS} events on DynamoDB Local after ${WARM_UP_EVENTS} to warm up, Merkle proofs)`,
  async run(budget: Budget): Promise<Measurement[]> {
    const dir = await mkdtemp(join(tmpdir(), 'elg-bench-audit-'));
    const ddb = await startDynamoDbLocal();
    const doc = createDocumentClient({ endpoint: ddb.endpoint });
    const meter = meterDynamo(doc);
    try {
      const keys = await loadLocalKeyRing(dir);
      const tables = tableNames(`bench${randomBytes(3).toString('hex')}-310000`);
      await ensureTables({ endpoint: ddb.endpoint }, tables);
      const registry = TrustRegistry.fromClaims({
        iss: 'bench',
        iat: 0,
        seq: 1,
        provinces: [
          {
            id: '310000',
            name: 'bench',
            baseUrl: 'http://127.0.0.1:1',
            jwks: jwksOf(keys),
            status: 'active',
          },
        ],
      });
      const g = new ProvinceAdapters({
        province: '310000',
        provinceName: 'bench',
        doc,
        tables,
        keys,
        registry,
        auth: { verify: async () => ({ sub: 'bench', roles: ['auditor'] }) },
        holderHashKey: randomBytes(32),
        clock: systemClock,
      });
      const ids: string[] = [];
      const writeEvents = async (count: number) => {
        for (let i = 0; i < count; i += 50) {
          await Promise.all(
            Array.from({ length: 50 }, async () => {
              const e = auditEvent(
                {
                  province: '310000',
                  traceId: randomBytes(16).toString('hex'),
                  action: 'verify',
                  outcome: 'success',
                  details: { verdict: 'valid', matterCode: 'BENCH001' },
                },
                new Date(),
              );
              ids.push(e.eventId);
              // Setup, not measured: on a loaded machine a write may time out; writing again is safe.
              for (let attempt = 1; ; attempt++) {
                try {
                  await g.auditStore.write(e);
                  break;
                } catch (err) {
                  if (attempt >= 5) throw err;
                }
              }
            }),
          );
        }
      };
      await writeEvents(WARM_UP_EVENTS);
      for (let i = 0; i < 100; i++) {
        if ((await integrate(sequencerDeps(g), { maxBatch: 500, maxBatches: 10 })).integrated === 0) break;
      }
      await writeEvents(EVENTS);
      meter.reset();
      const t0 = performance.now();
      let integrated = 0;
      for (let i = 0; i < 100 && integrated < EVENTS; i++) {
        integrated += (await integrate(sequencerDeps(g), { maxBatch: 500, maxBatches: 10 })).integrated;
      }
      const seconds = (performance.now() - t0) / 1000;
      const sequencing = meter.tally();

      let k = 0;
      meter.reset();
      let cpu = process.cpuUsage();
      const served = await measure(
        'inclusion proof served from storage (AuditLog)',
        async () => {
          const id = ids[k++ % ids.length] ?? '';
          if (!(await g.log.inclusionProof(id))) throw new Error(`no proof for ${id}`);
        },
        { ...budget, maxOps: 2000, warmupSeconds: WARM_UP_PROOF_SECONDS },
        () => {
          meter.reset();
          cpu = process.cpuUsage();
        },
      );
      const servedCpuMs = cpuMsSince(cpu) / Math.max(1, served.ops);
      const proofRequests = total(meter.tally()) / Math.max(1, served.ops);
      // As the audit function serves them: several auditors' requests in flight at once.
      meter.reset();
      const wave = await measure(
        `inclusion proofs served from storage, ${PROOFS_IN_FLIGHT} in flight`,
        () =>
          Promise.all(
            Array.from({ length: PROOFS_IN_FLIGHT }, async () => {
              const id = ids[k++ % ids.length] ?? '';
              if (!(await g.log.inclusionProof(id))) throw new Error(`no proof for ${id}`);
            }),
          ),
        { ...budget, maxOps: 500, warmupSeconds: WARM_UP_PROOF_SECONDS },
        () => {
          meter.reset();
          cpu = process.cpuUsage();
        },
      );
      const waveCpuMs = cpuMsSince(cpu) / Math.max(1, wave.ops * PROOFS_IN_FLIGHT);
      const waveRequests = total(meter.tally()) / Math.max(1, wave.ops * PROOFS_IN_FLIGHT);
      const inFlight = {
        ...wave,
        ops: wave.ops * PROOFS_IN_FLIGHT,
        opsPerSecond: wave.opsPerSecond * PROOFS_IN_FLIGHT,
      };
      // The store's own ceiling, measured now: what the sequencer's rate compares to.
      const ceiling = await batchWriteCeiling(ddb.endpoint, budget);
      const getCeiling = await getItemCeiling(ddb.endpoint, budget, PROOFS_IN_FLIGHT);

      const tree = MemoryTree.of(Array.from({ length: 100_000 }, (_, i) => leafHash(Buffer.from(String(i)))));
      const root = tree.root();
      let j = 0;
      const generated = await measure(
        'inclusion proof generated in memory (100,000 leaves)',
        () => tree.inclusionProof(j++ % 100_000),
        budget,
      );
      const proofs = Array.from({ length: 1000 }, (_, i) => ({
        i: i * 97,
        proof: tree.inclusionProof(i * 97),
      }));
      let m = 0;
      const verified = await measure(
        'inclusion proof verified (100,000 leaves)',
        () => {
          const p = proofs[m++ % proofs.length];
          if (!p || !verifyInclusion(p.i, 100_000, leafHash(Buffer.from(String(p.i))), p.proof, root))
            throw new Error('proof');
        },
        budget,
      );
      return [
        {
          name: `events integrated by the sequencer (DynamoDB Local)`,
          ops: integrated,
          seconds,
          opsPerSecond: integrated / seconds,
          note: `${integrated} events in ${seconds.toFixed(1)} s; ${perEvent(sequencing, integrated)}; ${(integrated / seconds / ceiling).toFixed(2)} × the batch-write ceiling`,
        },
        {
          name: `DynamoDB Local's BatchWriteItem ceiling (items/s, this run)`,
          ops: Math.round(ceiling),
          seconds: 1,
          opsPerSecond: ceiling,
          note: '25 small items a request, 4 writers, no indexes',
        },
        {
          ...served,
          note: `one at a time; ${proofRequests.toFixed(2)} DynamoDB requests and ${servedCpuMs.toFixed(2)} ms node CPU per proof`,
        },
        {
          ...inFlight,
          note: `${ratioTo(inFlight, served, 'one at a time')}; ${waveRequests.toFixed(2)} DynamoDB requests and ${waveCpuMs.toFixed(2)} ms node CPU per proof (the head read shared); ${((inFlight.opsPerSecond * waveRequests) / getCeiling).toFixed(2)} × the GetItem ceiling in requests`,
        },
        {
          name: `DynamoDB Local's GetItem ceiling (requests/s, this run)`,
          ops: Math.round(getCeiling),
          seconds: 1,
          opsPerSecond: getCeiling,
          note: `strongly consistent, one small item, ${PROOFS_IN_FLIGHT} in flight`,
        },
        generated,
        verified,
      ];
    } finally {
      doc.destroy();
      await ddb.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function total(t: DynamoTally): number {
  return Object.values(t.requests).reduce((a, b) => a + b, 0);
}

/** `0.16 requests/event (BatchWriteItem 0.12, ...)`: what sequencing cost DynamoDB, per event. */
function perEvent(t: DynamoTally, events: number): string {
  const per = (n: number) => (n / Math.max(1, events)).toFixed(3);
  const by = Object.entries(t.requests)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k.replace(/Command$/, '')} ${per(n)}`)
    .join(', ');
  return `${per(total(t))} requests/event (${by})`;
}

function cpuMsSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}
