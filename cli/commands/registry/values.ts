import type { ExitCode } from '../../errors.ts';
import { UsageError } from '../../errors.ts';
import type { Io } from '../../io.ts';

/** The options of `elg registry`, as parsed; each subcommand takes its own few of them. */
export interface RegistryValues {
  federation?: string | undefined;
  json?: boolean | undefined;
  url?: string | undefined;
  province?: string | undefined;
  name?: string | undefined;
  status?: string | undefined;
  out?: string | undefined;
  'root-key'?: string | undefined;
  'root-jwk'?: string | undefined;
  create?: boolean | undefined;
  seq?: string | undefined;
  iss?: string | undefined;
  witnesses?: string | undefined;
  quorum?: string | undefined;
}

/** A subcommand of `elg registry`: the options it takes and what it does with its arguments. */
export interface RegistrySubcommand {
  takes: readonly (keyof RegistryValues)[];
  run(values: RegistryValues, rest: readonly string[], io: Io): Promise<ExitCode>;
}

export function required(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}
