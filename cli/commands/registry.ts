import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isProvinceCode, PROVINCES } from '../../contracts/codes/index.ts';
import { firstIssueText } from '../../contracts/issue-text.ts';
import { JwksSchema, KeyPurposeSchema, type PublicJwk } from '../../contracts/keys.ts';
import {
  GatewayIdSchema,
  type RegistryClaims,
  type RegistryProvince,
  RegistryProvinceSchema,
  type RootPublicJwk,
  RootPublicJwkSchema,
} from '../../contracts/registry.ts';
import { RegistryError } from '../../lib/registry/errors.ts';
import { loadOrCreateRootKey, RootKey, signRegistry } from '../../lib/registry/sign-registry.ts';
import { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { parseRegistryClaims, verifyRegistry } from '../../lib/registry/verify-registry.ts';
import { importPublicKey, thumbprintOf } from '../../lib/signing/public-jwk.ts';
import { type CommonOption, parseCommand } from '../args.ts';
import { type Command, helpText } from '../command.ts';
import { CliError, ExitCode, UnreachableError, UsageError } from '../errors.ts';
import { loadFederation } from '../federation-file.ts';
import { readJsonArgFile } from '../files.ts';
import type { Io } from '../io.ts';
import { printJson, provinceLabel } from '../output.ts';
import { didYouMean } from '../suggest.ts';
import { checkedUrl } from '../target.ts';

const TIMEOUT_MS = 15_000;
const DEFAULT_ISS = 'elg-national-root';
const SUBCOMMANDS = ['entry', 'root', 'sign', 'show'] as const;
/** Works on files and public URLs: no bearer token, no province to call. */
const COMMON = ['federation', 'json', 'help'] as const satisfies readonly CommonOption[];

export const registry: Command = {
  name: 'registry',
  summary: "exchange registry entries: a gateway's entry, the root key, signing and checking the registry",
  usage: [
    'usage: elg registry entry --url GATEWAY_URL [--province ID] [--name NAME] [--status STATUS] [--out FILE]',
    '       elg registry root --root-key FILE [--create]',
    '       elg registry sign --root-key FILE --out FILE [--seq N] [--iss ISS] ENTRY_FILE...',
    '       elg registry show [REGISTRY_URL_OR_FILE --root-jwk FILE]',
    '',
    "entry  (each province) reads the deployed gateway's /.well-known/jwks.json and /healthz and",
    "       prints the province's registry entry (id, name, baseUrl, jwks, status) as JSON, to send",
    "       to the national registry operator. Every kid is checked to be the key's RFC 7638",
    '       thumbprint and all three purposes must be there. --province checks the gateway is that',
    '       province; --name defaults to the official GB/T 2260 name; --status active (default) or suspended.',
    'root   (the national operator) prints the root public JWK every gateway is deployed with',
    '       (-c registryRootJwk=...). --create generates the private key file (0600) if it is missing.',
    '       The private key never leaves the file.',
    'sign   (the national operator) checks every entry as a gateway would and writes the registry: a',
    '       compact JWS (typ elg-registry+jwt) by the root key, provinces in id order. --seq defaults',
    '       to the current Unix time in seconds; gateways ignore a registry whose seq is not higher',
    `       than the one they hold. --iss defaults to ${DEFAULT_ISS}.`,
    '       Adding, removing or replacing an entry means signing the whole registry again.',
    'show   verifies a registry (file or http(s) URL) against the root public JWK exactly as a',
    "       gateway does, and lists it. Without arguments: the local federation's registry and root.",
    'Exit status: 0 done, 1 failed (unreachable, an entry refused), 2 usage, 3 the registry does not verify.',
    '',
    'options:',
    "  --url URL          (entry) the deployed gateway's base URL (its ApiUrl)",
    '  --province ID      (entry) refuse unless the gateway is this province',
    '  --name NAME        (entry) the province name in the entry',
    '  --status STATUS    (entry) active or suspended',
    '  --out FILE         (entry) write the entry to FILE; (sign) write the registry to FILE',
    '  --root-key FILE    (root, sign) the root private key (P-256 JWK, kept 0600)',
    '  --create           (root) generate the root key file if it is missing',
    '  --seq N            (sign) the registry sequence number',
    '  --iss ISS          (sign) the registry issuer',
    '  --root-jwk FILE    (show) the root public JWK to verify a registry against',
  ],
  common: COMMON,
  async run(argv, io) {
    const { values, positionals } = parseCommand(
      'registry',
      argv,
      {
        url: { type: 'string' },
        province: { type: 'string' },
        name: { type: 'string' },
        status: { type: 'string' },
        out: { type: 'string' },
        'root-key': { type: 'string' },
        'root-jwk': { type: 'string' },
        create: { type: 'boolean' },
        seq: { type: 'string' },
        iss: { type: 'string' },
      },
      { min: 1, max: Number.POSITIVE_INFINITY, names: `one of ${SUBCOMMANDS.join(', ')}` },
      COMMON,
    );
    if (values.help) {
      io.out(helpText(registry));
      return ExitCode.ok;
    }
    const [sub, ...rest] = positionals;
    const only = (allowed: readonly string[]) => {
      const given = Object.keys(values).filter(
        (k) => !['json', 'help', 'federation'].includes(k) && !allowed.includes(k),
      );
      if (given.length > 0) throw new UsageError(`registry ${sub} does not take --${given.join(', --')}`);
    };
    switch (sub) {
      case 'entry': {
        only(['url', 'province', 'name', 'status', 'out']);
        if (rest.length > 0) throw new UsageError('registry entry takes no arguments; the gateway is --url');
        if (!values.url) throw new UsageError('registry entry needs --url GATEWAY_URL (the deployed ApiUrl)');
        const status = values.status ?? 'active';
        if (status !== 'active' && status !== 'suspended') {
          throw new UsageError(`--status is active or suspended, not ${status}`);
        }
        const entry = await fetchRegistryEntry(baseUrl(values.url), {
          status,
          ...(values.province ? { province: values.province } : {}),
          ...(values.name ? { name: values.name } : {}),
        });
        return printEntry(entry, values.out, values.json === true, io);
      }
      case 'root': {
        only(['root-key', 'create']);
        if (rest.length > 0) throw new UsageError('registry root takes no arguments');
        const file = required(values['root-key'], 'registry root needs --root-key FILE');
        const root = values.create
          ? await loadOrCreateRootKey(resolve(io.cwd, file))
          : await readRootKey(file, io);
        io.out(`${JSON.stringify(root.publicJwk)}\n`);
        return ExitCode.ok;
      }
      case 'sign': {
        only(['root-key', 'out', 'seq', 'iss']);
        if (rest.length === 0) throw new UsageError('registry sign needs at least one ENTRY_FILE');
        const root = await readRootKey(
          required(values['root-key'], 'registry sign needs --root-key FILE'),
          io,
        );
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
        try {
          await writeFile(out, `${jws}\n`, { mode: 0o644 });
        } catch (err) {
          throw new CliError(
            `cannot write the registry to ${out}: ${err instanceof Error ? err.message : String(err)}`,
            ExitCode.failed,
          );
        }
        if (values.json) {
          printJson(io, {
            file: out,
            iss: claims.iss,
            seq,
            iat: now,
            rootKid: root.kid,
            provinces: entries.map((p) => p.id),
          });
        } else {
          io.out(
            `registry seq ${seq} signed by root key ${root.kid}: ${entries.length} province(s)\n${entries
              .map((p) => `  ${provinceLabel(p.id)}  ${p.status}  ${p.baseUrl}  ${p.jwks.keys.length} keys\n`)
              .join('')}written to ${out}\n`,
          );
        }
        return ExitCode.ok;
      }
      case 'show': {
        only(['root-jwk']);
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
        if (values.json) {
          printJson(io, { source, seq: status.seq, iat: status.iat, provinces });
          return ExitCode.ok;
        }
        const lines = [
          `registry ${source}`,
          `seq ${status.seq}, signed ${new Date(status.iat * 1000).toISOString()}; signature verified against root key ${root.kid ?? (await thumbprintOf(root))}`,
        ];
        for (const p of provinces) {
          lines.push('', `  ${p.id}  ${p.name}  ${p.status}  ${p.baseUrl}`);
          for (const k of p.jwks.keys) lines.push(`          ${k.purpose.padEnd(10)}  ${k.kid}`);
        }
        io.out(`${lines.join('\n')}\n`);
        return ExitCode.ok;
      }
      default:
        throw new UsageError(
          `unknown registry command ${JSON.stringify(sub)}${didYouMean(sub ?? '', SUBCOMMANDS) || `; try: elg registry ${SUBCOMMANDS.join('|')}`}`,
        );
    }
  },
};

/**
 * The registry entry of a deployed gateway, from what it publishes: `/.well-known/jwks.json` for
 * the keys and `/healthz` for the province id (it answers it even when degraded). The keys are
 * checked as the national operator will check them, so a broken entry is found before it is sent.
 */
export async function fetchRegistryEntry(
  baseUrl: string,
  options: { province?: string; name?: string; status?: RegistryProvince['status'] } = {},
): Promise<RegistryProvince> {
  const jwks = JwksSchema.safeParse(await getJson(baseUrl, '/.well-known/jwks.json', false));
  if (!jwks.success) {
    throw new CliError(
      `${baseUrl}/.well-known/jwks.json is not a JWKS of the contract: ${firstIssueText(jwks.error)}`,
      ExitCode.failed,
    );
  }
  const health = await getJson(baseUrl, '/healthz', true);
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
  const entry = RegistryProvinceSchema.parse({
    id: id.data,
    name,
    baseUrl,
    jwks: jwks.data,
    status: options.status ?? 'active',
  });
  await checkEntryKeys(entry, baseUrl);
  return entry;
}

/**
 * What the registry contract leaves to the signer: every kid the RFC 7638 thumbprint of its key,
 * every key a P-256 point, each kid once, and a key for each of the three purposes.
 */
async function checkEntryKeys(entry: RegistryProvince, where: string): Promise<void> {
  const kids = new Set<string>();
  for (const key of entry.jwks.keys) {
    try {
      importPublicKey(key);
    } catch {
      throw new CliError(`${where}: key ${key.kid} is not a P-256 public key`, ExitCode.failed);
    }
    const thumbprint = await thumbprintOf(key);
    if (key.kid !== thumbprint) {
      throw new CliError(
        `${where}: kid ${key.kid} is not the RFC 7638 thumbprint of its key (${thumbprint})`,
        ExitCode.failed,
      );
    }
    if (kids.has(key.kid)) throw new CliError(`${where}: kid ${key.kid} is listed twice`, ExitCode.failed);
    kids.add(key.kid);
  }
  const missing = KeyPurposeSchema.options.filter((p) => !entry.jwks.keys.some((k) => k.purpose === p));
  if (missing.length > 0) {
    throw new CliError(
      `${where}: province ${entry.id} publishes no ${missing.join(', ')} key`,
      ExitCode.failed,
    );
  }
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
    try {
      await writeFile(file, text);
    } catch (err) {
      throw new CliError(
        `cannot write the entry to ${file}: ${err instanceof Error ? err.message : String(err)}`,
        ExitCode.failed,
      );
    }
    if (json) io.out(text);
    else io.out(`${summary}\nwritten to ${file}; send it to the national registry operator\n`);
    return ExitCode.ok;
  }
  io.out(text);
  if (!json) io.err(`${summary}\nsend this JSON to the national registry operator\n`);
  return ExitCode.ok;
}

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

/** The root private key, read only: a mistyped path must not quietly become a new root. */
async function readRootKey(file: string, io: Io): Promise<RootKey> {
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) {
    throw new CliError(
      `no root key at ${path} (elg registry root --root-key ${file} --create generates one)`,
      ExitCode.failed,
    );
  }
  // Messages name the file, never its content: it holds the national root private key.
  let jwk: unknown;
  try {
    jwk = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new CliError(`${path} is not JSON; expected the root key as a P-256 private JWK`, ExitCode.failed);
  }
  try {
    return await RootKey.fromPrivateKey(createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' }));
  } catch {
    throw new CliError(`${path} is not a P-256 private JWK (kty EC, crv P-256, x, y, d)`, ExitCode.failed);
  }
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

async function getJson(baseUrl: string, path: string, anyStatus: boolean): Promise<unknown> {
  const url = `${baseUrl}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
    const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const detail =
      err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : code === 'ECONNREFUSED'
          ? 'connection refused'
          : (code ?? (err instanceof Error ? err.message : String(err)));
    throw new UnreachableError(baseUrl, detail);
  }
  const text = await res.text();
  if (!res.ok && !anyStatus) throw new CliError(`${url} answered HTTP ${res.status}`, ExitCode.failed);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${url} answered HTTP ${res.status} with something that is not JSON`, ExitCode.failed);
  }
}

/** A gateway base URL, as for every command, and without query or fragment. */
function baseUrl(raw: string): string {
  const url = checkedUrl(raw);
  const { search, hash } = new URL(url);
  if (search || hash) throw new UsageError('--url is the gateway base URL, without query or fragment');
  return url;
}

function required(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}
