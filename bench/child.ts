import { spawn } from 'node:child_process';

/**
 * Runs `command` to its end and gives its standard output; rejects, with the last of its standard
 * error, when it cannot start or exits other than 0. The output is read once the process's streams
 * have closed, so none of it is lost to an early exit event.
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; what?: string } = {},
): Promise<string> {
  const { what = `${command} ${args.join(' ')}`, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4000);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${what} exited with ${code}: ${err.trim()}`));
    });
  });
}
