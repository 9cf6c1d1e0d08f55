import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { firstIssue, issuePath } from '../contracts/issue-text.ts';
import { CliError, ExitCode } from './errors.ts';
import type { Io } from './io.ts';

const RoleTokensSchema = z.object({
  issuer: z.string().min(1),
  platform: z.string().min(1),
  operator: z.string().min(1),
  auditor: z.string().min(1),
  /** The holder of the example license (contracts/examples); files of an older `npm start` lack it. */
  holder: z.string().min(1).optional(),
  investigator: z.string().min(1).optional(),
  reviewer: z.string().min(1).optional(),
});

/** `federation.json` as `npm start` writes it (docs/protocol.md §15); extra members are ignored. */
export const FederationFileSchema = z.object({
  root: z.object({ jwk: z.unknown() }).optional(),
  registry: z.string().optional(),
  provinces: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      url: z.url(),
      departments: z.array(z.object({ name: z.string(), uscc: z.string() })),
      tokens: RoleTokensSchema,
    }),
  ),
});
export type FederationFile = z.infer<typeof FederationFileSchema>;
export type FederationProvince = FederationFile['provinces'][number];
export type TokenRole = keyof FederationProvince['tokens'];

/** The repository this CLI lives in: `./bin/elg` works from any directory, so `.elg` is found there too. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the federation file is: `--federation`, else `$ELG_HOME/federation.json`, else `.elg/` in
 * the working directory, else `.elg/` of this repository.
 */
export function federationPath(explicit: string | undefined, io: Io): string[] {
  if (explicit) return [resolve(io.cwd, explicit)];
  const home = io.env.ELG_HOME;
  if (home) return [resolve(io.cwd, home, 'federation.json')];
  const local = resolve(io.cwd, '.elg', 'federation.json');
  const repo = join(REPO_ROOT, '.elg', 'federation.json');
  return local === repo ? [local] : [local, repo];
}

export async function loadFederation(
  explicit: string | undefined,
  io: Io,
): Promise<{ file: string; federation: FederationFile }> {
  const candidates = federationPath(explicit, io);
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    const tried = candidates.join(' or ');
    const hint = explicit ? '' : ': start the local federation with `npm start`, or pass --url and --token';
    throw new CliError(`no federation file at ${tried}${hint}`, ExitCode.failed);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CliError(
      `cannot read the federation file ${file}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.failed,
    );
  }
  const parsed = FederationFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = firstIssue(parsed.error);
    throw new CliError(
      `${file} is not a federation file: ${issuePath(issue, { root: '' })} ${issue?.message ?? ''}`.trim(),
      ExitCode.failed,
    );
  }
  return { file, federation: parsed.data };
}
