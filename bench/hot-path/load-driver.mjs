// The load of the hot-path bench, in a process of its own so that the gateways' process measures
// only its own CPU: `concurrency` workers POST the same JSON body with a bearer token, back to back,
// for `seconds` (and at most `maxCalls`), then one JSON line reports calls, seconds, latencies and
// the CPU this process used meanwhile.
// Any answer but `expectStatus` stops the run with an error: a bench of failures is no bench.
import { performance } from 'node:perf_hooks';

const { url, token, body, concurrency, seconds, maxCalls, expectStatus } = JSON.parse(
  process.argv[2] ?? '{}',
);
const payload = JSON.stringify(body);
const latencies = [];
const stopAt = performance.now() + seconds * 1000;
const start = performance.now();
const cpuAtStart = process.cpuUsage();

async function worker() {
  while (performance.now() < stopAt && latencies.length < maxCalls) {
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: payload,
    });
    const text = await res.text();
    if (res.status !== expectStatus) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`);
    latencies.push(performance.now() - t0);
  }
}

try {
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  process.stdout.write(
    `${JSON.stringify({ calls: latencies.length, seconds: elapsed, p50: pct(0.5), p99: pct(0.99), cpuMs: (cpu.user + cpu.system) / 1000 })}\n`,
  );
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
