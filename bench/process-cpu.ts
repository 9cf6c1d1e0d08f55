import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/**
 * The CPU time, in ms, that process `pid` has used so far (user and system), from
 * /proc/<pid>/stat; NaN where there is no /proc (a bench then prints it as unknown). A bench reads
 * it before and after a window to count another process's share, DynamoDB Local's say.
 */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ((utime + stime) / ticksPerSecond) * 1000;
  } catch {
    return Number.NaN;
  }
}
