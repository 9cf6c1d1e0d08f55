import { resolve } from 'node:path';
import { firstIssueText } from '../../../contracts/issue-text.ts';
import {
  type RegistryClaims,
  type RegistryProvince,
  RegistryProvinceSchema,
} from '../../../contracts/registry.ts';
import { RegistryError } from '../../../lib/registry/errors.ts';
import { signRegistry } from '../../../lib/registry/sign-registry.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { parseRegistryClaims, verifyRegistry } from '../../../lib/registry/verify-registry.ts';
import { printedJson } from '../../command.ts';
import { CliError, ExitCode, UsageError } from '../../errors.ts';
import { readJsonArgFile, writeOut } from '../../files.ts';
import type { Io } from '../../io.ts';
import { provinceLabel } from '../../output.ts';
import { checkEntryKeys, readRootKey } from './keys.ts';
import { type RegistrySubcommand, required } from './values.ts';

export const DEFAULT_ISS = 'elg-national-root';

/** `elg registry sign`: the national operator signs the whole registry from the entries. */
export const sign: RegistrySubcommand = {
  takes: ['root-key', 'out', 'seq', 'iss'],
  async run(values, rest, io) {
    if (rest.length === 0) throw new UsageError('registry sign needs at least one ENTRY_FILE');
    const root = await readRootKey(required(values['root-key'], 'registry sign needs --root-key FILE'), io);
    const out = resolve(io.cwd, required(values.out, 'registry sign needs --out FILE'));
    const now = Math.floor(Date.now() / 1000);
    const seq = values.seq === undefined ? now : Number(values.seq);
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new UsageError(`--seq takes a non-negative integer, not ${values.seq}`);
    }
    const entries = await readEntries(rest, io);
    const claims = checkedClaims({ iss: values.iss ?? DEFAULT_ISS, iat: now, seq, provinces: entries });
    const jws = await signRegistry(root, claims);
    // What was written is what any gateway configured with this root will accept.
    await verifyRegistry(jws, root.publicJwk);
    await writeOut(out, `${jws}\n`, 'the registry', 0o644);
    const summary = {
      file: out,
      iss: claims.iss,
      seq,
      iat: now,
      rootKid: root.kid,
      provinces: entries.map((p) => p.id),
    };
    if (!printedJson(values, io, summary)) {
      io.out(
        `registry seq ${seq} signed by root key ${root.kid}: ${entries.length} province(s)\n${entries
          .map((p) => `  ${provinceLabel(p.id)}  ${p.status}  ${p.baseUrl}  ${p.jwks.keys.length} keys\n`)
          .join('')}written to ${out}\n`,
      );
    }
    return ExitCode.ok;
  },
};

async function readEntries(files: readonly string[], io: Io): Promise<RegistryProvince[]> {
  const entries: { file: string; entry: RegistryProvince }[] = [];
  for (const file of files) {
    const parsed = RegistryProvinceSchema.safeParse(await readJsonArgFile(file, 'entry', io));
    if (!parsed.success) {
      throw new CliError(`${file} is not a registry entry: ${firstIssueText(parsed.error)}`, ExitCode.failed);
    }
    await checkEntryKeys(parsed.data, file);
    const twin = entries.find((e) => e.entry.id === parsed.data.id);
    if (twin) {
      throw new CliError(
        `${file} and ${twin.file} are both entries of province ${parsed.data.id}`,
        ExitCode.failed,
      );
    }
    entries.push({ file, entry: parsed.data });
  }
  return entries.map((e) => e.entry).sort((a, b) => a.id.localeCompare(b.id));
}

/** The claims as every gateway will parse them, keys imported as a gateway imports them. */
function checkedClaims(claims: RegistryClaims): RegistryClaims {
  try {
    const parsed = parseRegistryClaims(claims);
    TrustRegistry.fromClaims(parsed);
    return parsed;
  } catch (err) {
    if (err instanceof RegistryError) throw new CliError(`${err.code}: ${err.message}`, ExitCode.failed);
    throw err;
  }
}
