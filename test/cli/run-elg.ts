import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

export interface ElgRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `elg` as a person would: a child process from the repository, without colours and without
 * the caller's ELG_* settings. Asynchronous, so a federation in this test process keeps serving.
 */
export function elg(args: readonly string[], env: Record<string, string> = {}): Promise<ElgRun> {
  const { ELG_HOME: _home, ELG_TOKEN: _token, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['cli/elg.ts', ...args], {
      cwd: REPO,
      env: { ...inherited, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
