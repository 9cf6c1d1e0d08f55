import { randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RunningProvince } from '../federation/federation.ts';
import { SCHEDULED_FUNCTIONS } from '../functions/province.ts';
import { sequencerDeps } from '../functions/sequencer/function.ts';
import { integrate } from '../functions/sequencer/sequencer.ts';
import { auditEvent } from '../lib/audit/events.ts';
import { ed25519PrivateKey } from '../lib/signing/public-jwk.ts';
import { type Collection, collectCosignatures, DEFAULT_WITNESS_TIMEOUT_MS } from '../lib/witness/collect.ts';
import type { Budget, Measurement, Section } from './harness.ts';
import { meteredFederation } from './metered-federation.ts';

/**
 * Witnessing (docs/protocol.md §19): how many checkpoints one witness cosigns a second, one log
 * after the other (each a signed add-checkpoint call over HTTP: the log's consistency proof, the
 * witness's checks and compare-and-set, the cosignature checked and stored), and the time from a
 * checkpoint to its quorum in the five-province federation, every witness up and with one down.
 * A log makes at most one checkpoint a second per sequencer round, so a witness of 16 logs needs
 * about 16 cosignatures a second.
 */
export const witness: Section = {
  name: 'witness',
  title: 'witnessing (cosignatures per witness, checkpoint to quorum; signed calls, DynamoDB Local)',
  async run(budget: Budget): Promise<Measurement[]> {
    return [...(await onePair(budget)), ...(await federationQuorum(budget))];
  },
};

/** 310000's log witnessed by 320000 alone (quorum 1): cosignatures one after the other. */
async function onePair(budget: Budget): Promise<Measurement[]> {
  const m = await meteredFederation(['310000', '320000'], 'witness');
  try {
    const log = m.f.province('310000');
    const round = await collector(log, m.meter);
    await round(); // warm-up: the first checkpoint, the connections, the witness's first state
    const spent = { ms: 0, rounds: 0 };
    m.meter.reset();
    let requests = 0;
    const byCommand: Record<string, number> = {};
    const deadline = performance.now() + budget.seconds * 1000;
    while (performance.now() < deadline && spent.rounds < 2000) {
      const { ms, collection, requests: sent } = await round();
      for (const [command, n] of Object.entries(sent)) {
        requests += n;
        byCommand[command] = (byCommand[command] ?? 0) + n;
      }
      if (!collection?.quorumMet) throw new Error(`320000 did not cosign: ${JSON.stringify(collection)}`);
      spent.ms += ms;
      spent.rounds++;
    }
    const seconds = spent.ms / 1000;
    return [
      {
        name: 'cosignature of one log by one witness, one after the other (signed add-checkpoint over HTTP)',
        ops: spent.rounds,
        seconds,
        opsPerSecond: spent.rounds / seconds,
        note: `${(requests / spent.rounds).toFixed(1)} DynamoDB requests per cosignature, both provinces (${Object.entries(
          byCommand,
        )
          .sort((a, b) => b[1] - a[1])
          .map(([c, n]) => `${c.replace(/Command$/, '')} ${(n / spent.rounds).toFixed(1)}`)
          .join(', ')}); Ed25519 signature floor ${ed25519Floor().toFixed(0)} µs`,
      },
    ];
  } finally {
    await m.stop();
  }
}

/**
 * The five provinces: each log's checkpoint, then the collection from its witnesses (three for a
 * Yangtze River Delta member, two for Sichuan, quorum 2), timed from the commit of the checkpoint
 * to its quorum stored; then the same with Jiangsu (320000) stopped.
 */
async function federationQuorum(budget: Budget): Promise<Measurement[]> {
  const rounds = Math.max(5, Math.min(50, Math.round(budget.seconds * 10)));
  const up = await quorumTimes(
    'checkpoint to quorum stored, every witness up (federation, quorum 2)',
    ['310000', '330000', '340000', '510000'],
    rounds,
  );
  // Jiangsu's gateway accepts connections and never answers: each collection waits for it until
  // the bound, and the quorum of the logs it witnesses comes from the other two.
  const hung = createServer(() => undefined);
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    const down = await quorumTimes(
      `checkpoint to quorum stored, 320000 never answering (the bound: ELG_WITNESS_TIMEOUT_MS ${DEFAULT_WITNESS_TIMEOUT_MS})`,
      ['310000', '330000', '340000'],
      2,
      { '320000': url },
    );
    return [up, down];
  } finally {
    hung.closeAllConnections();
    await new Promise<void>((resolve) => hung.close(() => resolve()));
  }
}

/** The collection of each log's checkpoint `rounds` times, timed from its commit to its quorum stored. */
async function quorumTimes(
  name: string,
  logIds: readonly string[],
  rounds: number,
  overrides?: Record<string, string>,
): Promise<Measurement> {
  const m = await meteredFederation(
    ['310000', '320000', '330000', '340000', '510000'],
    'witness-quorum',
    overrides,
  );
  try {
    const collectors = await Promise.all(logIds.map((id) => collector(m.f.province(id))));
    for (const c of collectors) await c(); // warm-up
    const times: number[] = [];
    let cosignatures = 0;
    let wallMs = 0;
    for (let i = 0; i < rounds; i++) {
      // Every log's checkpoint collected at once, as the provinces' sequencers run side by side.
      const started = performance.now();
      const round = await Promise.all(collectors.map((c) => c()));
      wallMs += performance.now() - started;
      for (const { collection } of round) {
        cosignatures += collection?.collected ?? 0;
        if (!collection?.quorumMet) throw new Error(`no quorum: ${JSON.stringify(collection)}`);
        // From the collection's start, right after the commit, to the quorum stored.
        const ms = collection.quorumAfterMs;
        if (ms === undefined) throw new Error('the quorum was there before the collection');
        if (overrides && Object.keys(overrides).some((id) => collection.cosigners.includes(id))) {
          throw new Error('a witness that never answers cosigned');
        }
        times.push(ms);
      }
    }
    const witnesses = new Set(
      logIds.flatMap((id) => m.f.province(id).gateway.registry.witnessPolicy(id)?.witnesses ?? []),
    );
    for (const id of Object.keys(overrides ?? {})) witnesses.delete(id);
    const perWitness = cosignatures / (wallMs / 1000) / witnesses.size;
    times.sort((a, b) => a - b);
    const seconds = times.reduce((a, b) => a + b, 0) / 1000;
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
    return {
      name,
      ops: times.length,
      seconds,
      opsPerSecond: times.length / seconds,
      note: `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms over ${times.length} checkpoints of ${logIds.join(', ')}, collected at once; ${perWitness.toFixed(1)} cosignatures/s per answering witness meanwhile`,
    };
  } finally {
    await m.stop();
  }
}

/**
 * One round for a log: an event written and integrated (a new checkpoint, not timed), then its
 * cosignatures collected, timed from the commit.
 */
async function collector(p: RunningProvince, meter?: { tally(): { requests: Record<string, number> } }) {
  const deps = sequencerDeps(p.gateway.scopedTo(SCHEDULED_FUNCTIONS.sequencer.scope));
  const witnessing = deps.witnessing;
  if (!witnessing) throw new Error(`${p.id}'s sequencer does not witness`);
  const log = deps.logStore();
  return async (): Promise<{
    ms: number;
    collection: Collection | undefined;
    requests: Record<string, number>;
  }> => {
    await p.gateway.auditStore.write(
      auditEvent(
        {
          province: p.id,
          traceId: randomBytes(16).toString('hex'),
          action: 'verify',
          outcome: 'success',
          details: { verdict: 'valid', matterCode: 'BENCH001' },
        },
        new Date(),
      ),
    );
    // Integrated without the sequencer's own collection, which is timed here instead.
    const report = await integrate({ ...deps, witnessing: undefined }, { maxBatch: 500, maxBatches: 1 });
    if (report.outcome !== 'integrated') throw new Error(`${p.id}: nothing integrated (${report.outcome})`);
    const before = { ...meter?.tally().requests };
    const started = performance.now();
    const collection = await collectCosignatures({ ...witnessing, log });
    const ms = performance.now() - started;
    const requests: Record<string, number> = {};
    for (const [command, n] of Object.entries(meter?.tally().requests ?? {})) {
      if (n > (before[command] ?? 0)) requests[command] = n - (before[command] ?? 0);
    }
    return { ms, collection, requests };
  };
}

/** µs per Ed25519 signature of a cosignature-sized message, in this process. */
function ed25519Floor(): number {
  const key = ed25519PrivateKey();
  const message = Buffer.alloc(120, 7);
  const n = 2000;
  const started = performance.now();
  for (let i = 0; i < n; i++) sign(null, message, key);
  return ((performance.now() - started) * 1000) / n;
}
