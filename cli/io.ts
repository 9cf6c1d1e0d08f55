/** Where a command writes, and what it knows of its surroundings; the entry wires it to the process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Colours only on a terminal that has not asked for none (NO_COLOR). */
  color: boolean;
}

export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    color: Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined,
  };
}
