import { parseIdentifier } from '../../contracts/codes/index.ts';
import { DateSchema } from '../../contracts/common.ts';
import { HolderLicensesPageSchema, HolderUsesPageSchema } from '../../contracts/holder.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import { defineCommand, printedJson } from '../command.ts';
import { CliError, ExitCode, UsageError } from '../errors.ts';
import { checkUses, holderLicenseLines, notWitnessed, usesTable } from '../holder-view.ts';
import { call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { paint, printJson, provinceLabel } from '../output.ts';
import { resolveTarget } from '../target.ts';

const MAX_LIMIT = 100;
const CURSOR = /^[0-9A-Za-z_-]{1,300}$/;

const OPTIONS = {
  identifier: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  cursor: { type: 'string' },
  limit: { type: 'string' },
} as const;

const USES_ONLY = ['identifier', 'from', 'to'] as const;

interface Values {
  federation?: string | undefined;
  province?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  json?: boolean | undefined;
  identifier?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  cursor?: string | undefined;
  limit?: string | undefined;
}

export const holder = defineCommand({
  name: 'holder',
  summary: 'as a license holder (知情权): my licenses, and every use of one, each proof checked here',
  usage: [
    'usage: elg holder licenses [--province P] [--cursor C] [--limit N]',
    '       elg holder uses --identifier ID [--province P] [--from YYYY-MM-DD] [--to YYYY-MM-DD]',
    '                       [--cursor C] [--limit N]',
    '',
    "Asks the holder's home province --province with the holder's token: in the local federation",
    'its dev holder token (the holder of the example license, 111 11010519491231002X); else',
    '--token (or $ELG_TOKEN), e.g. one minted by `elg token holder`.',
    '',
    'licenses  the holder’s licenses issued by that province (GET /v1/holder/licenses): type,',
    '          number, identifier, status and validity.',
    'uses      every use of one license, of any province, newest first (GET /v1/holder/uses): the',
    '          time (Beijing), where, which platform, the matter, the use cause, the data level',
    "          shared and the outcome. Each use's proof is checked here: the checkpoint against the",
    "          issuing province's audit key (the page's auditKey, from the trust registry), and the",
    '          audit path against the checkpoint\'s root. A use is "proven in <province>\'s log",',
    '          "PROOF FAILED: <why>", "pending" (not integrated yet) or "sealed until <date>" (an',
    '          investigation). --json prints the answer with "verified": true|false added to each',
    '          use that has a proof (false, too, for a use shown in full with neither proof nor',
    '          "pending"). When the page carries the witnesses of the issuing province’s log, each',
    "          proven use's checkpoint is checked for their quorum: witnessed, or NOT_WITNESSED",
    '          (who cosigned, the quorum asked); --json adds "witnessed" and "witness" to it.',
    '  --identifier ID   (uses) the license, as `elg holder licenses` lists it (any version)',
    '  --from DATE       (uses) uses from this day on, YYYY-MM-DD',
    '  --to DATE         (uses) uses up to this day, YYYY-MM-DD',
    '  --cursor C        the next page, as the previous page named it',
    `  --limit N         at most N items a page (1-${MAX_LIMIT})`,
    'Exit status: 0 done, 1 a proof failed (or the gateway refused or did not answer: a license',
    'that is not the holder’s is NOT_FOUND), 2 usage, 3 a proven use is NOT_WITNESSED.',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 1, names: 'licenses or uses' },
  async run({ values, positionals }, io) {
    const [sub] = positionals;
    if (sub === 'licenses') {
      const wrong = USES_ONLY.find((n) => values[n] !== undefined);
      if (wrong) throw new UsageError(`--${wrong} is an option of elg holder uses, not of licenses`);
      return licenses(values, io);
    }
    if (sub === 'uses') return uses(values, io);
    throw new UsageError(
      `unknown holder command ${JSON.stringify(sub)}; try: elg holder licenses, elg holder uses --identifier ID`,
    );
  },
});

/** `?cursor=…&limit=…` of the options given, checked before anything is asked. */
function pageQuery(values: Values): URLSearchParams {
  const query = new URLSearchParams();
  if (values.cursor !== undefined) {
    if (!CURSOR.test(values.cursor))
      throw new UsageError('--cursor takes the cursor a page named (letters, digits, - and _)');
    query.set('cursor', values.cursor);
  }
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!/^\d+$/.test(values.limit) || n < 1 || n > MAX_LIMIT)
      throw new UsageError(`--limit takes a whole number from 1 to ${MAX_LIMIT}`);
    query.set('limit', String(n));
  }
  return query;
}

const withQuery = (path: string, query: URLSearchParams) => {
  const q = query.toString();
  return q ? `${path}?${q}` : path;
};

/** How to ask for the next page: the command line again, with the cursor. */
function nextPage(command: string, cursor: string | undefined): string {
  return cursor ? `\nmore: ${command} --cursor ${cursor}\n` : '';
}

function commandLine(sub: string, values: Values, province: string): string {
  const parts = ['elg holder', sub, '--province', province];
  if (values.identifier) parts.push('--identifier', values.identifier);
  if (values.from) parts.push('--from', values.from);
  if (values.to) parts.push('--to', values.to);
  if (values.limit) parts.push('--limit', values.limit);
  return parts.join(' ');
}

async function licenses(values: Values, io: Io): Promise<ExitCode> {
  const query = pageQuery(values);
  const target = await resolveTarget(values, 'holder', io);
  const answer = await call(target, 'GET', withQuery('/v1/holder/licenses', query));
  const page = expectShape(HolderLicensesPageSchema, answer, 'holder licenses');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  const p = paint(io);
  const where = provinceLabel(target.province);
  if (page.items.length === 0) {
    io.out(`no licenses of this holder issued in ${where}${values.cursor ? ' on this page' : ''}\n`);
  } else {
    const n = page.items.length;
    io.out(`${n} license${n === 1 ? '' : 's'} of this holder issued in ${where}\n`);
    for (const l of page.items) io.out(`\n${holderLicenseLines(l, p)}`);
  }
  io.out(nextPage(commandLine('licenses', values, target.province), page.cursor));
  return ExitCode.ok;
}

async function uses(values: Values, io: Io): Promise<ExitCode> {
  const { identifier } = values;
  if (identifier === undefined) throw new UsageError('holder uses needs --identifier ID');
  const parsed = parseIdentifier(identifier);
  if (!parsed.ok) {
    throw new UsageError(
      `--identifier is not a license identifier: ${parsed.issue.segment}: ${parsed.issue.reason}`,
    );
  }
  for (const option of ['from', 'to'] as const) {
    const day = values[option];
    if (day !== undefined && !DateSchema.safeParse(day).success)
      throw new UsageError(`--${option} takes a day, YYYY-MM-DD, not ${day}`);
  }
  if (values.from && values.to && values.from > values.to) throw new UsageError('--from is after --to');
  const query = new URLSearchParams({ identifier });
  if (values.from) query.set('from', values.from);
  if (values.to) query.set('to', values.to);
  for (const [k, v] of pageQuery(values)) query.set(k, v);

  const target = await resolveTarget(values, 'holder', io);
  const answer = await call(target, 'GET', `/v1/holder/uses?${query}`);
  const page = expectShape(HolderUsesPageSchema, answer, 'holder uses');
  // The uses of a license are in its issuer's log: an answer about another province's log proves
  // nothing about this license, however well its proofs verify.
  const issuer = issuerProvinceOf(parsed.value);
  if (page.license.province !== issuer) {
    throw new CliError(
      `the answer is about a license of ${page.license.province}, but ${identifier} was issued in ${issuer ?? 'no known province'}: its proofs prove nothing about this license`,
      ExitCode.failed,
    );
  }
  const checks = checkUses(page);
  const failed = checks.filter((c) => c.kind === 'failed').length;

  if (values.json) {
    // The answer as received, each use that has (or should have) a proof marked with its check.
    const body = answer.body as { items: Record<string, unknown>[] };
    printJson(io, {
      ...body,
      items: body.items.map((item, i) => {
        const check = checks[i];
        if (check?.kind === 'failed') return { ...item, verified: false };
        if (check?.kind !== 'proven') return item;
        return check.witness
          ? {
              ...item,
              verified: true,
              witnessed: check.witness.witnessed,
              witness: check.witness,
            }
          : { ...item, verified: true };
      }),
    });
  } else {
    const p = paint(io);
    io.out(`uses of ${holderLicenseLines(page.license, p)}\n`);
    io.out(usesTable(page, checks, p));
    io.out(nextPage(commandLine('uses', values, target.province), page.cursor));
  }
  if (failed > 0) {
    throw new CliError(
      `${failed} proof${failed === 1 ? '' : 's'} of this page failed: ${provinceLabel(page.license.province)}'s log, as shown, does not hold ${failed === 1 ? 'that use' : 'those uses'}; tell the issuing authority (or 12345)`,
      ExitCode.failed,
    );
  }
  const unwitnessed = checks.filter(notWitnessed).length;
  if (unwitnessed > 0) {
    io.err(
      `NOT_WITNESSED: the checkpoint of ${unwitnessed} use${unwitnessed === 1 ? '' : 's'} lacks the cosignatures of the quorum of ${provinceLabel(page.license.province)}'s witnesses: nothing shows that others were shown the same log\n`,
    );
    return ExitCode.negative;
  }
  return ExitCode.ok;
}
