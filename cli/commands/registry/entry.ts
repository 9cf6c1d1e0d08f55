import { resolve } from 'node:path';
import { isProvinceCode, PROVINCES } from '../../../contracts/codes/index.ts';
import { firstIssueText } from '../../../contracts/issue-text.ts';
import { JwksSchema, type PublicJwk } from '../../../contracts/keys.ts';
import {
  GatewayIdSchema,
  type RegistryProvince,
  RegistryProvinceSchema,
  type WitnessPolicy,
  WitnessPolicySchema,
  witnessName,
} from '../../../contracts/registry.ts';
import { CliError, ExitCode, UsageError } from '../../errors.ts';
import { writeOut } from '../../files.ts';
import { getPublic } from '../../http.ts';
import type { Io } from '../../io.ts';
import { provinceLabel } from '../../output.ts';
import { checkedUrl } from '../../target.ts';
import { checkEntryKeys } from './keys.ts';
import type { RegistrySubcommand } from './values.ts';

/** `elg registry entry`: the entry of a deployed gateway, to send to the national operator. */
export const entry: RegistrySubcommand = {
  takes: ['url', 'province', 'name', 'status', 'witnesses', 'quorum', 'out'],
  async run(values, rest, io) {
    if (rest.length > 0) throw new UsageError('registry entry takes no arguments; the gateway is --url');
    if (!values.url) throw new UsageError('registry entry needs --url GATEWAY_URL (the deployed ApiUrl)');
    const status = values.status ?? 'active';
    if (status !== 'active' && status !== 'suspended') {
      throw new UsageError(`--status is active or suspended, not ${status}`);
    }
    const witnessPolicy = policyOf(values.witnesses, values.quorum);
    const found = await fetchRegistryEntry(baseUrl(values.url), {
      status,
      ...(values.province ? { province: values.province } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(witnessPolicy ? { witnessPolicy } : {}),
    });
    return printEntry(found, values.out, values.json === true, io);
  },
};

/**
 * The registry entry of a deployed gateway, from what it publishes: `/.well-known/jwks.json` for
 * the keys and `/healthz` for the province id (it answers it even when degraded). The keys are
 * checked as the national operator will check them, so a broken entry is found before it is sent.
 */
export async function fetchRegistryEntry(
  baseUrl: string,
  options: {
    province?: string;
    name?: string;
    status?: RegistryProvince['status'];
    witnessPolicy?: WitnessPolicy;
  } = {},
): Promise<RegistryProvince> {
  const jwks = JwksSchema.safeParse(await getPublic(baseUrl, '/.well-known/jwks.json', false));
  if (!jwks.success) {
    throw new CliError(
      `${baseUrl}/.well-known/jwks.json is not a JWKS of the contract: ${firstIssueText(jwks.error)}`,
      ExitCode.failed,
    );
  }
  const health = await getPublic(baseUrl, '/healthz', true);
  const id = GatewayIdSchema.safeParse((health as { province?: unknown } | undefined)?.province);
  if (!id.success) {
    throw new CliError(`${baseUrl}/healthz names no province id (a 6-digit code)`, ExitCode.failed);
  }
  if (options.province !== undefined && options.province !== id.data) {
    throw new CliError(
      `the gateway at ${baseUrl} is province ${id.data}, not ${options.province}`,
      ExitCode.failed,
    );
  }
  const name = options.name ?? (isProvinceCode(id.data) ? PROVINCES[id.data].full : undefined);
  if (!name) throw new CliError(`${id.data} is not a GB/T 2260 province; give --name`, ExitCode.failed);
  if (options.witnessPolicy?.witnesses.includes(id.data)) {
    throw new UsageError(`--witnesses: ${id.data} cannot witness its own log`);
  }
  const entry = RegistryProvinceSchema.parse({
    id: id.data,
    name,
    baseUrl,
    jwks: jwks.data,
    status: options.status ?? 'active',
    witnessName: witnessName(id.data),
    ...(options.witnessPolicy ? { witnessPolicy: options.witnessPolicy } : {}),
  });
  await checkEntryKeys(entry, baseUrl);
  return entry;
}

async function printEntry(
  entry: RegistryProvince,
  outFile: string | undefined,
  json: boolean,
  io: Io,
): Promise<ExitCode> {
  const text = `${JSON.stringify(entry, null, 2)}\n`;
  const summary = `registry entry of ${provinceLabel(entry.id)} at ${entry.baseUrl}: ${entry.jwks.keys
    .map((k: PublicJwk) => `${k.purpose} ${k.kid}`)
    .join(', ')}`;
  if (outFile) {
    const file = resolve(io.cwd, outFile);
    await writeOut(file, text, 'the entry');
    if (json) io.out(text);
    else io.out(`${summary}\nwritten to ${file}; send it to the national registry operator\n`);
    return ExitCode.ok;
  }
  io.out(text);
  if (!json) io.err(`${summary}\nsend this JSON to the national registry operator\n`);
  return ExitCode.ok;
}

/** `--witnesses 320000,330000 --quorum 2`, checked as the registry contract checks it. */
function policyOf(witnesses: string | undefined, quorum: string | undefined): WitnessPolicy | undefined {
  if (witnesses === undefined && quorum === undefined) return undefined;
  if (witnesses === undefined || quorum === undefined) {
    throw new UsageError('--witnesses and --quorum go together');
  }
  const parsed = WitnessPolicySchema.safeParse({
    witnesses: witnesses.split(',').map((w) => w.trim()),
    quorum: /^[1-9][0-9]?$/.test(quorum) ? Number(quorum) : Number.NaN,
  });
  if (!parsed.success) throw new UsageError(`--witnesses/--quorum: ${firstIssueText(parsed.error)}`);
  return parsed.data;
}

/** A gateway base URL, as for every command, and without query or fragment. */
function baseUrl(raw: string): string {
  const url = checkedUrl(raw);
  const { search, hash } = new URL(url);
  if (search || hash) throw new UsageError('--url is the gateway base URL, without query or fragment');
  return url;
}
