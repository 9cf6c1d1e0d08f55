import { decodeJwt } from 'jose';
import { z } from 'zod';
import { CliError, ExitCode, UsageError } from './errors.ts';
import { loadFederation, type TokenRole } from './federation-file.ts';
import type { Io } from './io.ts';

export const DEFAULT_PROVINCE = '310000';

export interface CommonValues {
  federation?: string | undefined;
  province?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
}

export interface Department {
  name: string;
  uscc: string;
}

/** The gateway a command calls and the bearer token it calls with. */
export interface Target {
  province: string;
  url: string;
  token: string;
  /** The authority an issuer token issues as, when known. */
  department?: Department;
}

const IssuerClaimsSchema = z.object({ uscc: z.string(), name: z.string() });

/**
 * `--url`/`--token` (or `$ELG_TOKEN`) for a real deployment; whatever they leave open comes from the
 * federation file of the local federation: the province's URL and its dev token for `role`.
 *
 * A dev token is only ever sent to the gateway it was minted for: `--url` without a token takes the
 * federation's token only when the URL is that province's URL in the federation file, and is
 * refused otherwise.
 */
export async function resolveTarget(values: CommonValues, role: TokenRole, io: Io): Promise<Target> {
  const province = values.province ?? DEFAULT_PROVINCE;
  if (!/^\d{6}$/.test(province))
    throw new UsageError(`--province takes a 6-digit gateway id such as 310000, not ${province}`);
  const explicitToken = values.token ?? io.env.ELG_TOKEN;
  const fromToken = explicitToken ? departmentOf(explicitToken) : undefined;
  const url = values.url === undefined ? undefined : checkedUrl(values.url);
  if (url && explicitToken) {
    return { province, url, token: explicitToken, ...(fromToken ? { department: fromToken } : {}) };
  }
  const needsToken = (why: string) =>
    new UsageError(
      `--url ${url} needs --token JWT (or $ELG_TOKEN): ${why}, and a dev token is only sent to the gateway it was minted for`,
    );
  let loaded: Awaited<ReturnType<typeof loadFederation>>;
  try {
    loaded = await loadFederation(values.federation, io);
  } catch (err) {
    if (url && err instanceof CliError) {
      throw needsToken(
        err.message.startsWith('no federation file')
          ? 'there is no federation file to take one from'
          : `the federation file cannot be used (${err.message})`,
      );
    }
    throw err;
  }
  const { file, federation } = loaded;
  const p = url
    ? federation.provinces.find((x) => sameUrl(x.url, url))
    : federation.provinces.find((x) => x.id === province);
  if (url && !p) throw needsToken(`it is no province of ${file}`);
  if (url && p && values.province !== undefined && p.id !== province) {
    throw new UsageError(`--url ${url} is province ${p.id} in ${file}, not --province ${province}`);
  }
  if (!p) {
    const known = federation.provinces.map((x) => x.id).join(', ');
    throw new UsageError(`province ${province} is not in ${file} (it has ${known})`);
  }
  const token = explicitToken ?? p.tokens[role];
  if (!token) {
    throw new CliError(
      `${file} has no ${role} token for ${p.id} (an older \`npm start\` wrote it): start the federation again, or pass --token (\`elg token ${role} --province ${p.id}\` mints one)`,
      ExitCode.failed,
    );
  }
  const department = fromToken ?? p.departments[0];
  return {
    province: p.id,
    url: checkedUrl(p.url),
    token,
    ...(department ? { department } : {}),
  };
}

/** The same gateway: both URLs normalized as `--url` is (case of the host, default port, trailing slash). */
function sameUrl(a: string, b: string): boolean {
  try {
    return checkedUrl(a) === checkedUrl(b);
  } catch {
    return false;
  }
}

/** A gateway base URL from `--url`: absolute http(s), without a trailing slash. */
export function checkedUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url must be an absolute http(s) URL, not ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be http or https, not ${url.protocol}`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The department an issuer token names (it may only issue as that authority); read, not verified. */
function departmentOf(token: string): Department | undefined {
  try {
    const claims = IssuerClaimsSchema.safeParse(decodeJwt(token));
    return claims.success ? claims.data : undefined;
  } catch {
    return undefined;
  }
}
