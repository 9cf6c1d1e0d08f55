import { resolve } from 'node:path';
import { firstIssueText } from '../../../contracts/issue-text.ts';
import {
  type RegistryProvince,
  type RootPublicJwk,
  RootPublicJwkSchema,
} from '../../../contracts/registry.ts';
import { RegistryError } from '../../../lib/registry/errors.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { thumbprintOf } from '../../../lib/signing/public-jwk.ts';
import { COSIGNATURE_V1_TYPE, witnessKeyId } from '../../../lib/witness/cosignature.ts';
import { printedJson } from '../../command.ts';
import { CliError, ExitCode, UsageError } from '../../errors.ts';
import { loadFederation } from '../../federation-file.ts';
import { readJsonArgFile } from '../../files.ts';
import type { Io } from '../../io.ts';
import { type RegistrySubcommand, required } from './values.ts';

/** `elg registry show`: a registry verified as a gateway verifies it, and listed. */
export const show: RegistrySubcommand = {
  takes: ['root-jwk'],
  async run(values, rest, io) {
    if (rest.length > 1) throw new UsageError('registry show takes one REGISTRY_URL_OR_FILE');
    const { source, root } = await showSource(rest[0], values['root-jwk'], values.federation, io);
    let loaded: TrustRegistry;
    try {
      loaded = await TrustRegistry.load({ source, rootPublicJwk: root });
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      const exit = err.code === 'REGISTRY_UNAVAILABLE' ? ExitCode.failed : ExitCode.negative;
      throw new CliError(`${err.code}: ${err.message}`, exit);
    }
    const status = loaded.status();
    const provinces = loaded.provinces();
    if (printedJson(values, io, { source, seq: status.seq, iat: status.iat, provinces })) return ExitCode.ok;
    const lines = [
      `registry ${source}`,
      `seq ${status.seq}, signed ${new Date(status.iat * 1000).toISOString()}; signature verified against root key ${root.kid ?? (await thumbprintOf(root))}`,
    ];
    for (const p of provinces) {
      lines.push('', `  ${p.id}  ${p.name}  ${p.status}  ${p.baseUrl}`);
      for (const k of p.jwks.keys) lines.push(`          ${k.purpose.padEnd(10)}  ${k.kid}`);
      for (const v of verifierKeysOf(p)) lines.push(`          witness as  ${v}`);
      const policy = p.witnessPolicy;
      lines.push(
        policy
          ? `          log witnessed by ${policy.witnesses.join(', ')} (quorum ${policy.quorum})`
          : '          log witnessed by nobody',
      );
    }
    io.out(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  },
};

/**
 * A province's witness keys as C2SP note verifier keys, `<name>+<hex key ID>+<base64(0x04 ||
 * key)>`: what any C2SP-compatible verifier is configured with to check its cosignatures.
 */
export function verifierKeysOf(p: RegistryProvince): string[] {
  const name = p.witnessName;
  if (name === undefined) return [];
  return p.jwks.keys.flatMap((k) => {
    if (k.kty !== 'OKP') return [];
    const raw = Buffer.from(k.x, 'base64url');
    const keyId = Buffer.from(witnessKeyId(name, raw)).toString('hex');
    return [`${name}+${keyId}+${Buffer.concat([Buffer.of(COSIGNATURE_V1_TYPE), raw]).toString('base64')}`];
  });
}

async function showSource(
  given: string | undefined,
  rootJwkFile: string | undefined,
  federationFile: string | undefined,
  io: Io,
): Promise<{ source: string; root: RootPublicJwk }> {
  if (given === undefined) {
    if (rootJwkFile) throw new UsageError('--root-jwk goes with a REGISTRY_URL_OR_FILE');
    const { file, federation } = await loadFederation(federationFile, io);
    const root = RootPublicJwkSchema.safeParse(federation.root?.jwk);
    if (!federation.registry || !root.success) {
      throw new CliError(`${file} names no registry and root key`, ExitCode.failed);
    }
    return { source: federation.registry, root: root.data };
  }
  const file = required(
    rootJwkFile,
    'registry show needs --root-jwk FILE: the root public JWK the gateways are deployed with',
  );
  const root = RootPublicJwkSchema.safeParse(await readJsonArgFile(file, '--root-jwk', io));
  if (!root.success) {
    throw new UsageError(`--root-jwk ${file} is not a P-256 public JWK: ${firstIssueText(root.error)}`);
  }
  const source = /^(https?|file):/i.test(given) ? given : resolve(io.cwd, given);
  return { source, root: root.data };
}
