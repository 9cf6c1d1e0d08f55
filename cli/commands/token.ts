import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Role, RoleSchema } from '../../contracts/auth.ts';
import { HOLDER_TYPE_NAMES } from '../../contracts/codes/index.ts';
import { maskCode } from '../../contracts/codes/mask.ts';
import { type HolderRef, HolderRefSchema } from '../../contracts/holder.ts';
import { firstIssue } from '../../contracts/issue-text.ts';
import { DevIdentityProvider } from '../../lib/auth/dev-idp.ts';
import type { CommonOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { CliError, ExitCode, UsageError } from '../errors.ts';
import { federationPath, loadFederation } from '../federation-file.ts';
import { printJson, provinceLabel } from '../output.ts';
import { didYouMean } from '../suggest.ts';
import { DEFAULT_PROVINCE } from '../target.ts';

const ROLES = Object.values(Role);
const DEFAULT_TTL_SECONDS = 3600;
/** As long as the tokens `npm start` writes into the federation file. */
const MAX_TTL_SECONDS = 30 * 24 * 3600;
// Sorted: integer-like keys ('111') would come before '001'.
const HOLDER_TYPES = Object.entries(HOLDER_TYPE_NAMES)
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([code, n]) => `${code} ${n.zh}`);

/** The local federation only: no gateway URL, no token to send. */
const COMMON = ['province', 'federation', 'json', 'help'] as const satisfies readonly CommonOption[];

export const token = defineCommand({
  name: 'token',
  summary: 'mint a dev bearer token of the local federation for any role, or for any holder',
  usage: [
    'usage: elg token ROLE [--province P] [--holder-type T --holder-code C] [--ttl SECONDS]',
    '',
    'For the LOCAL FEDERATION of `npm start` only: signs a token with the province’s dev identity',
    'provider key (idp/<province>.jwk beside the federation file), issuer <province url>/dev-idp,',
    'audience elg-<province>, as the federation file’s own tokens are. It refuses without a',
    'federation file; a real deployment’s tokens come from its identity provider. The key is only',
    'read, the federation need not be running, and nothing is sent anywhere.',
    `ROLE: ${ROLES.join(', ')}.`,
    "An issuer token issues as the province's first department; a platform or investigator token",
    'carries the name the federation gives it.',
    '  --holder-type T    (holder, required) holder type code:',
    ...HOLDER_TYPES.map((t) => `                       ${t}`),
    "  --holder-code C    (holder, required) the holder's code, checked as a license's is",
    `  --ttl SECONDS      lifetime (default ${DEFAULT_TTL_SECONDS}, at most ${MAX_TTL_SECONDS} = 30 days)`,
    'Prints the token alone on stdout (ELG_TOKEN=$(elg token holder ...)), what it is on stderr;',
    '--json prints {token, role, province, issuer, audience, sub, expiresAt, ...claims}.',
    'Example: elg holder licenses --province 310000 \\',
    '           --token "$(elg token holder --province 310000 --holder-type 111 --holder-code 110105199003071239)"',
  ],
  common: COMMON,
  options: {
    'holder-type': { type: 'string' },
    'holder-code': { type: 'string' },
    ttl: { type: 'string' },
  },
  positionals: { min: 1, max: 1, names: `one ROLE (${ROLES.join(', ')})` },
  async run({ values, positionals }, io) {
    const raw = positionals[0] ?? '';
    const role = RoleSchema.safeParse(raw);
    if (!role.success) {
      throw new UsageError(
        `unknown role ${JSON.stringify(raw)}${didYouMean(raw, ROLES) || `; roles: ${ROLES.join(', ')}`}`,
      );
    }
    const holder = role.data === 'holder' ? holderOf(values) : undefined;
    if (
      role.data !== 'holder' &&
      (values['holder-type'] !== undefined || values['holder-code'] !== undefined)
    )
      throw new UsageError('--holder-type and --holder-code are for a holder token only');
    const ttlSeconds = ttlOf(values.ttl);
    const province = values.province ?? DEFAULT_PROVINCE;
    if (!/^\d{6}$/.test(province))
      throw new UsageError(`--province takes a 6-digit gateway id such as 310000, not ${province}`);

    const candidates = federationPath(values.federation, io);
    if (!candidates.some((f) => existsSync(f))) {
      throw new CliError(
        `there is no local federation: no federation file at ${candidates.join(' or ')}. elg token mints dev tokens of the local federation only: start it with \`npm start\` (or name its file with --federation); a real deployment's tokens come from its identity provider`,
        ExitCode.failed,
      );
    }
    const { file, federation } = await loadFederation(values.federation, io);
    const p = federation.provinces.find((x) => x.id === province);
    if (!p) {
      const known = federation.provinces.map((x) => x.id).join(', ');
      throw new UsageError(`province ${province} is not in ${file} (it has ${known})`);
    }
    // Read, never made: a new key would sign tokens that no gateway of the federation accepts.
    const keyFile = join(dirname(file), 'idp', `${p.id}.jwk`);
    if (!existsSync(keyFile)) {
      throw new CliError(
        `no dev identity provider key of ${p.id} at ${keyFile}: elg token signs with the key the local federation of ${file} was started with`,
        ExitCode.failed,
      );
    }
    const department = p.departments[0];
    if (role.data === 'issuer' && !department)
      throw new CliError(`${file} lists no department of ${p.id} for an issuer token`, ExitCode.failed);

    const idp = await DevIdentityProvider.loadOrCreate(keyFile);
    const issuer = `${p.url}/dev-idp`;
    const audience = `elg-${p.id}`;
    const sub = `dev-${role.data}@${p.id}`;
    const name =
      role.data === 'issuer'
        ? department?.name
        : role.data === 'platform'
          ? `${p.name}政务服务平台`
          : role.data === 'investigator'
            ? `${p.name}公安厅`
            : undefined;
    const uscc = role.data === 'issuer' ? department?.uscc : undefined;
    const now = new Date();
    const jwt = await idp.mint({
      sub,
      roles: [role.data],
      ...(uscc ? { uscc } : {}),
      ...(name ? { name } : {}),
      ...(holder ? { holder } : {}),
      ttlSeconds,
      issuer,
      audience,
      now,
    });
    const expiresAt = new Date((Math.floor(now.getTime() / 1000) + ttlSeconds) * 1000).toISOString();
    if (values.json) {
      printJson(io, {
        token: jwt,
        role: role.data,
        province: p.id,
        issuer,
        audience,
        sub,
        expiresAt,
        ...(uscc ? { uscc } : {}),
        ...(name ? { name } : {}),
        ...(holder ? { holder } : {}),
      });
      return ExitCode.ok;
    }
    io.out(`${jwt}\n`);
    const who = holder
      ? ` for holder ${holder.typeCode} ${maskCode(holder.code)}`
      : name
        ? ` for ${name}${uscc ? ` (${uscc})` : ''}`
        : '';
    io.err(
      `elg: ${role.data} token of ${provinceLabel(p.id)}${who}, valid ${ttlSeconds} s (until ${expiresAt}); pass it with --token or ELG_TOKEN\n`,
    );
    return ExitCode.ok;
  },
});

/** The holder a holder token names, checked as a license's holder is (contracts/holder.ts). */
function holderOf(values: {
  'holder-type'?: string | undefined;
  'holder-code'?: string | undefined;
}): HolderRef {
  const typeCode = values['holder-type'];
  const code = values['holder-code'];
  const missing = [
    ...(typeCode === undefined ? ['--holder-type T'] : []),
    ...(code === undefined ? ['--holder-code C'] : []),
  ];
  if (missing.length > 0)
    throw new UsageError(`a holder token needs ${missing.join(' and ')} (e.g. --holder-type 111)`);
  const parsed = HolderRefSchema.safeParse({ typeCode, code });
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  if (issue?.path[0] === 'typeCode') {
    throw new UsageError(
      `--holder-type ${typeCode} is not a holder type code: one of ${HOLDER_TYPES.join(', ')}`,
    );
  }
  throw new UsageError(`--holder-code: ${issue?.message ?? 'not a holder code'}`);
}

function ttlOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TTL_SECONDS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_TTL_SECONDS)
    throw new UsageError(`--ttl takes whole seconds from 1 to ${MAX_TTL_SECONDS}, not ${raw}`);
  return n;
}
