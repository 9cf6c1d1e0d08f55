import type { CommonOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { UsageError } from '../errors.ts';
import { didYouMean } from '../suggest.ts';
import { entry } from './registry/entry.ts';
import { root } from './registry/root.ts';
import { show } from './registry/show.ts';
import { DEFAULT_ISS, sign } from './registry/sign.ts';
import type { RegistrySubcommand } from './registry/values.ts';

export { fetchRegistryEntry } from './registry/entry.ts';

const SUBCOMMANDS: Record<string, RegistrySubcommand> = { entry, root, sign, show };
const NAMES = Object.keys(SUBCOMMANDS);
/** Works on files and public URLs: no bearer token, no province to call. */
const COMMON = ['federation', 'json', 'help'] as const satisfies readonly CommonOption[];

export const registry = defineCommand({
  name: 'registry',
  summary: "exchange registry entries: a gateway's entry, the root key, signing and checking the registry",
  usage: [
    'usage: elg registry entry --url GATEWAY_URL [--province ID] [--name NAME] [--status STATUS]',
    '                          [--witnesses ID,ID... --quorum N] [--out FILE]',
    '       elg registry root --root-key FILE [--create]',
    '       elg registry sign --root-key FILE --out FILE [--seq N] [--iss ISS] ENTRY_FILE...',
    '       elg registry show [REGISTRY_URL_OR_FILE --root-jwk FILE]',
    '',
    "entry  (each province) reads the deployed gateway's /.well-known/jwks.json and /healthz and",
    "       prints the province's registry entry (id, name, baseUrl, jwks, status) as JSON, to send",
    "       to the national registry operator. Every kid is checked to be the key's RFC 7638",
    "       thumbprint and all four purposes must be there; the entry names the province's witness",
    '       name (elg/<id>/witness, for its witness key). --province checks the gateway is that',
    '       province; --name defaults to the official GB/T 2260 name; --status active (default) or suspended.',
    "       --witnesses and --quorum give the province's log its witnesses (other provinces) and how",
    '       many cosignatures make a checkpoint witnessed.',
    'root   (the national operator) prints the root public JWK every gateway is deployed with',
    '       (-c registryRootJwk=...). --create generates the private key file (0600) if it is missing.',
    '       The private key never leaves the file.',
    'sign   (the national operator) checks every entry as a gateway would and writes the registry: a',
    '       compact JWS (typ elg-registry+jwt) by the root key, provinces in id order. --seq defaults',
    '       to the current Unix time in seconds; gateways ignore a registry whose seq is not higher',
    `       than the one they hold. --iss defaults to ${DEFAULT_ISS}.`,
    '       Adding, removing or replacing an entry means signing the whole registry again.',
    'show   verifies a registry (file or http(s) URL) against the root public JWK exactly as a',
    "       gateway does, and lists it, each province's witness key as a C2SP verifier key",
    "       (name+keyID+key) and its log's witnesses. Without arguments: the local federation's.",
    'Exit status: 0 done, 1 failed (unreachable, an entry refused), 2 usage, 3 the registry does not verify.',
    '',
    'options:',
    "  --url URL          (entry) the deployed gateway's base URL (its ApiUrl)",
    '  --province ID      (entry) refuse unless the gateway is this province',
    '  --name NAME        (entry) the province name in the entry',
    '  --status STATUS    (entry) active or suspended',
    "  --witnesses IDS    (entry) the provinces that witness this province's log, comma-separated",
    '  --quorum N         (entry) cosignatures that make a checkpoint witnessed (with --witnesses)',
    '  --out FILE         (entry) write the entry to FILE; (sign) write the registry to FILE',
    '  --root-key FILE    (root, sign) the root private key (P-256 JWK, kept 0600)',
    '  --create           (root) generate the root key file if it is missing',
    '  --seq N            (sign) the registry sequence number',
    '  --iss ISS          (sign) the registry issuer',
    '  --root-jwk FILE    (show) the root public JWK to verify a registry against',
  ],
  common: COMMON,
  options: {
    url: { type: 'string' },
    province: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string' },
    witnesses: { type: 'string' },
    quorum: { type: 'string' },
    out: { type: 'string' },
    'root-key': { type: 'string' },
    'root-jwk': { type: 'string' },
    create: { type: 'boolean' },
    seq: { type: 'string' },
    iss: { type: 'string' },
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY, names: `one of ${NAMES.join(', ')}` },
  async run({ values, positionals }, io) {
    const [sub, ...rest] = positionals;
    const subcommand = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
    if (!subcommand) {
      throw new UsageError(
        `unknown registry command ${JSON.stringify(sub)}${didYouMean(sub ?? '', NAMES) || `; try: elg registry ${NAMES.join('|')}`}`,
      );
    }
    const given = Object.keys(values).filter(
      (k) =>
        !['json', 'help', 'federation'].includes(k) && !(subcommand.takes as readonly string[]).includes(k),
    );
    if (given.length > 0) throw new UsageError(`registry ${sub} does not take --${given.join(', --')}`);
    return subcommand.run(values, rest, io);
  },
});
