import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/elg', import.meta.url));

/** The header of the table `elg audit` prints, its columns split where two spaces part them. */
export const AUDIT_TABLE_COLUMNS = [
  'TIME',
  'PROVINCE',
  'ACTION',
  'OUTCOME',
  'ERROR',
  'IDENTIFIER',
  'PEER',
  'TRACE',
] as const;

export interface ElgRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `elg` as a person would: `bin/elg` (the bundle dist/elg.mjs, rebuilt when a source changed)
 * as a child process from the repository, without colours and without the caller's ELG_* settings.
 * Asynchronous, so a federation in this test process keeps serving.
 */
export async function elg(args: readonly string[], env: Record<string, string> = {}): Promise<ElgRun> {
  await bundled();
  return run(args, env);
}

let ready: Promise<void> | undefined;

/**
 * One run before the others, so that a stale bundle is rebuilt once, not by every command a test
 * starts at the same time. A build that fails shows in the test that needs it.
 */
function bundled(): Promise<void> {
  ready ??= run(['--help'], {}).then(() => undefined);
  return ready;
}

function run(args: readonly string[], env: Record<string, string>): Promise<ElgRun> {
  const { ELG_HOME: _home, ELG_TOKEN: _token, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
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
