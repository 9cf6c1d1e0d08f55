import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CliError, ExitCode, UsageError } from './errors.ts';
import type { Io } from './io.ts';

/** A file named on the command line; a missing or unreadable one is the caller's mistake. */
export async function readArgFile(path: string, flag: string, io: Io): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : String(code ?? err)}`);
  }
}

export async function readJsonArgFile(path: string, flag: string, io: Io): Promise<unknown> {
  const text = await readArgFile(path, flag, io);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag} ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Credentials name a person: written readable by the owner only. Returns the absolute path. */
export async function writeCredential(path: string, credential: string, io: Io): Promise<string> {
  const file = resolve(io.cwd, path);
  await writeOut(file, `${credential}\n`, 'the credential', 0o600);
  return file;
}

/** `text` written to `file` (an absolute path); failing is exit 1, naming `what` was not written. */
export async function writeOut(file: string, text: string, what: string, mode?: number): Promise<void> {
  try {
    await writeFile(file, text, mode === undefined ? undefined : { mode });
  } catch (err) {
    throw new CliError(
      `cannot write ${what} to ${file}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.failed,
    );
  }
}
