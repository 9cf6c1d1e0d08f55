import { describe, expect, it } from 'vitest';
import { auditRates, crossProvince } from '../../bench/baseline.ts';
import { processCpuMs } from '../../bench/process-cpu.ts';

describe('the readings the benches compare', () => {
  it('reads the first column of the hot-path table by row label, and refuses a table without the row', () => {
    // Prepare
    const table = [
      'per call                                  cross-province verification  own-province verification',
      '----------------------------------------  ---------------------------  -------------------------',
      'calls/s (concurrency 8)                   88                           235',
      'node CPU ms, total                        9.71                         3.61',
      'node CPU ms, total, later                 1.00                         1.00',
    ].join('\n');

    // Act
    const values = crossProvince(table, ['calls/s (concurrency 8)', 'node CPU ms, total']);

    // Assess
    expect([...values]).toEqual([
      ['calls/s (concurrency 8)', 88],
      ['node CPU ms, total', 9.71],
    ]);
    expect(() => crossProvince(table, ['signature floor, ms'])).toThrow(/no "signature floor, ms" row/);
  });

  it("reads an audit measurement's operations per second from the common table, and refuses one not printed", () => {
    // Prepare
    const table = [
      'section  measurement                                                   ops/s    µs/op  compared',
      '-------  -----------------------------------------------------------  ------  -------  --------',
      'audit    events integrated by the sequencer (DynamoDB Local)           1,134   881.83  2000 events',
      'audit    inclusion proof served from storage (AuditLog)                  297  3370.94  one at a time',
    ].join('\n');

    // Act
    const values = auditRates(table, [
      'events integrated by the sequencer (DynamoDB Local)',
      'inclusion proof served from storage (AuditLog)',
    ]);

    // Assess
    expect([...values.values()]).toEqual([1134, 297]);
    expect(() => auditRates(table, ['node CPU ms, total'])).toThrow(/printed no "node CPU ms, total"/);
  });

  it("counts a process's CPU from /proc: it grows with work done, and is unknown for no process", () => {
    // Prepare
    const before = processCpuMs(process.pid);

    // Act: 100 ms of CPU by Node's own count (the kernel's counts in ticks of 10 ms).
    const start = process.cpuUsage();
    let spins = 0;
    for (;;) {
      const used = process.cpuUsage(start);
      if (used.user + used.system >= 100_000) break;
      spins++;
    }
    const after = processCpuMs(process.pid);

    // Assess
    expect(spins).toBeGreaterThan(0);
    expect(after - before).toBeGreaterThanOrEqual(80);
    expect(processCpuMs(undefined)).toBeNaN();
    expect(processCpuMs(2 ** 30)).toBeNaN();
  });
});
