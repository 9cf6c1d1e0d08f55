import {
  type AgreementProposal,
  AgreementProposalSchema,
  type AgreementView,
  AgreementViewSchema,
  type Grant,
} from '../../contracts/agreement.ts';
import { firstIssue, firstIssueText } from '../../contracts/issue-text.ts';
import { todayCst } from '../../lib/license/validity.ts';
import {
  AgreementListSchema,
  agreementLines,
  agreementTable,
  GRANT_SYNTAX,
  parseGrant,
  signatureCount,
} from '../agreement-view.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, HttpError, UsageError } from '../errors.ts';
import { readJsonArgFile } from '../files.ts';
import { type Answer, call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { paint, provinceLabel } from '../output.ts';
import { resolveTarget } from '../target.ts';

const NAME = 'agreements';

const OPTIONS = {
  name: { type: 'string' },
  party: { type: 'string', multiple: true },
  grant: { type: 'string', multiple: true },
  from: { type: 'string' },
  until: { type: 'string' },
  file: { type: 'string' },
} as const;
const PROPOSAL_FLAGS = ['name', 'party', 'grant', 'from', 'until'] as const;

const SUBCOMMANDS = ['propose', 'list', 'show', 'sign', 'withdraw'] as const;

const AGREEMENT_ID = /^agr_[0-9A-Z]{26}$/;

export const agreements = defineCommand({
  name: NAME,
  summary: 'propose, list, show, sign and withdraw the agreements between provinces',
  usage: [
    'usage: elg agreements propose --name NAME --party ID --party ID --grant SPEC [--grant SPEC ...]',
    '                              [--from DATE] --until DATE',
    '       elg agreements propose --file proposal.json',
    '       elg agreements list',
    '       elg agreements show ID',
    '       elg agreements sign ID',
    '       elg agreements withdraw ID',
    '',
    'Agreements decide every cross-province verdict: a province answers another only under an',
    'active agreement that grants it the action, license type, matter and data level. Each step is',
    "signed with the province's gateway key and delivered to the other parties within seconds.",
    'Called as the operator of --province (/v1/agreements, role operator).',
    '',
    '  propose        propose an agreement; this province must be a party and signs it at once',
    '  list           the agreements this province holds: state, signatures held/needed, validity',
    '  show ID        one agreement: grants, signatures, withdrawals and deliveries still pending',
    '  sign ID        this province signs (once every remaining party has, it is active)',
    '  withdraw ID    this province withdraws (a bilateral agreement ends; an alliance goes on)',
    '',
    'propose options:',
    '  --name NAME      what the agreement is called (1-200 characters)',
    '  --party ID       a party, repeated for each (at least two, this province among them)',
    '  --grant SPEC     a grant, repeated for each; SPEC is',
    `                     ${GRANT_SYNTAX}`,
    '                   actions: verify, status, fetch; grantor or grantee * means every party;',
    '                   types (license type codes) and matters (matter codes) default to *;',
    '                   level is the highest data level granted (1-4).',
    '                   e.g. --grant grantor=310000,grantee=510000,actions=verify+status,level=2',
    '  --from DATE      YYYY-MM-DD, first day in force (default: today, China Standard Time)',
    '  --until DATE     YYYY-MM-DD, last day in force',
    '  --file FILE      the JSON body of POST /v1/agreements instead of the flags above',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 2, names: `one of ${SUBCOMMANDS.join(', ')}` },
  async run({ values, positionals }, io) {
    const [rawSub = '', id] = positionals;
    const sub = SUBCOMMANDS.find((s) => s === rawSub);
    if (!sub) {
      throw new UsageError(
        `unknown agreements command ${JSON.stringify(rawSub)}; one of ${SUBCOMMANDS.join(', ')}`,
        NAME,
      );
    }
    const takesId = sub === 'show' || sub === 'sign' || sub === 'withdraw';
    if (takesId && id === undefined) throw new UsageError(`agreements ${sub} needs an agreement ID`, NAME);
    if (!takesId && id !== undefined) throw new UsageError(`agreements ${sub} takes no ID (got ${id})`, NAME);
    if (id !== undefined && !AGREEMENT_ID.test(id)) {
      throw new UsageError(`${id} is not an agreement id: agr_ and 26 characters 0-9 A-Z`, NAME);
    }
    if (sub !== 'propose') {
      const misplaced = [...PROPOSAL_FLAGS, 'file' as const].find((f) => values[f] !== undefined);
      if (misplaced) throw new UsageError(`--${misplaced} is an option of agreements propose only`, NAME);
    }

    // The proposal is checked before anything is read or called: a wrong command line is exit 2.
    const proposal = sub === 'propose' ? await proposalOf(values, io) : undefined;
    const target = await resolveTarget(values, 'operator', io);
    // With --url alone the province is a default, not known: say "the gateway" rather than guess.
    const who = values.url && !values.province ? 'the gateway' : provinceLabel(target.province);
    const p = paint(io);
    switch (sub) {
      case 'propose': {
        const answer = await call(target, 'POST', '/v1/agreements', { body: proposal });
        const view = expectShape(AgreementViewSchema, answer, 'proposal');
        if (printedJson(values, io, answer.body)) return ExitCode.ok;
        io.out(`${p.bold('proposed')} in ${who}, which signed it\n`);
        io.out(agreementLines(view, p));
        const next = nextStep(view);
        if (next) io.out(`\n${next}`);
        return ExitCode.ok;
      }
      case 'list': {
        const answer = await call(target, 'GET', '/v1/agreements');
        const { items } = expectShape(AgreementListSchema, answer, 'agreement list');
        if (printedJson(values, io, answer.body)) return ExitCode.ok;
        const held = `${items.length} agreement${items.length === 1 ? '' : 's'}`;
        io.out(`${held} held by ${who}\n`);
        if (items.length > 0) io.out(agreementTable(items));
        return ExitCode.ok;
      }
      case 'show': {
        const answer = await withHint(call(target, 'GET', path(id)), who);
        const view = expectShape(AgreementViewSchema, answer, 'agreement');
        if (printedJson(values, io, answer.body)) return ExitCode.ok;
        io.out(agreementLines(view, p));
        return ExitCode.ok;
      }
      case 'sign':
      case 'withdraw': {
        const step = sub === 'sign' ? 'signatures' : 'withdrawal';
        const answer = await withHint(call(target, 'POST', `${path(id)}/${step}`, { body: {} }), who);
        const view = expectShape(AgreementViewSchema, answer, sub);
        if (printedJson(values, io, answer.body)) return ExitCode.ok;
        const changed = answer.status === 201;
        const done =
          sub === 'sign'
            ? changed
              ? `${who} signed ${p.bold(view.id)}`
              : `${who} had already signed ${p.bold(view.id)}: nothing changed`
            : changed
              ? `${who} withdrew from ${p.bold(view.id)}`
              : `${who} had already withdrawn from ${p.bold(view.id)}: nothing changed`;
        io.out(`${done}\n`);
        io.out(stepNote(view));
        return ExitCode.ok;
      }
    }
  },
});

function path(id: string | undefined): string {
  return `/v1/agreements/${encodeURIComponent(id ?? '')}`;
}

/** Where the agreement stands after a step, and who still has to hear of it. */
function stepNote(view: AgreementView): string {
  const lines = [`  state       ${view.state}${signedNote(view)}\n`];
  const to = [...new Set(view.pendingDeliveries.map((d) => d.to))];
  if (to.length > 0) {
    lines.push(`  delivering  to ${to.map(provinceLabel).join(', ')} (within seconds)\n`);
  }
  return lines.join('') + nextStep(view);
}

function signedNote(view: AgreementView): string {
  if (view.state === 'withdrawn') return '';
  const { held, needed } = signatureCount(view);
  return ` (${held} of ${needed} signatures)`;
}

/** Who still has to sign, and the command that does it. */
function nextStep(view: AgreementView): string {
  const waiting = view.activeParties.filter((party) => !view.signatures.some((s) => s.party === party));
  if (view.state !== 'proposed' || waiting.length === 0) return '';
  const commands = waiting.map((party) => `elg agreements sign ${view.id} --province ${party}`);
  return `next: ${commands.join('\n      ')}\n`;
}

/** The gateway's NOT_FOUND, with what it often means here: the proposal has not arrived yet. */
async function withHint(pending: Promise<Answer>, who: string): Promise<Answer> {
  try {
    return await pending;
  } catch (err) {
    if (!(err instanceof HttpError) || err.code !== 'NOT_FOUND') throw err;
    throw new HttpError(
      err.status,
      err.code,
      `${err.message} in ${who} (a province holds only the agreements it is a ` +
        'party to; a new proposal reaches the other parties within seconds)',
      err.traceId,
      err.issues,
      err.body,
    );
  }
}

type ProposalValues = {
  name?: string | undefined;
  party?: string[] | undefined;
  grant?: string[] | undefined;
  from?: string | undefined;
  until?: string | undefined;
  file?: string | undefined;
};

async function proposalOf(values: ProposalValues, io: Io): Promise<AgreementProposal> {
  const flagsUsed = PROPOSAL_FLAGS.filter((f) => values[f] !== undefined);
  if (values.file) {
    if (flagsUsed.length > 0) {
      throw new UsageError(`give either --file or proposal flags, not both (--${flagsUsed[0]})`, NAME);
    }
    return checked(await readJsonArgFile(values.file, '--file', io), { file: values.file });
  }
  const missing = (what: string) =>
    new UsageError(`agreements propose needs ${what} (or --file proposal.json)`, NAME);
  if (!values.name) throw missing('--name NAME');
  const parties = values.party ?? [];
  if (parties.length < 2)
    throw missing(parties.length === 0 ? '--party ID, twice or more' : 'a second --party ID');
  if (!values.grant?.length) throw missing(`--grant ${GRANT_SYNTAX}`);
  if (!values.until) throw missing('--until DATE');
  const grants: Grant[] = values.grant.map((spec) => {
    const parsed = parseGrant(spec);
    if (!parsed.ok) throw new UsageError(`--grant ${JSON.stringify(spec)}: ${parsed.problem}`, NAME);
    return parsed.grant;
  });
  const raw = {
    name: values.name,
    parties,
    grants,
    validFrom: values.from ?? todayCst(new Date()),
    validUntil: values.until,
  };
  return checked(raw, { flags: values });
}

/**
 * A proposal checked against the contract. The first problem is named by the flag that gave it,
 * or by its JSON path in --file.
 */
function checked(raw: unknown, from: { file: string } | { flags: ProposalValues }): AgreementProposal {
  const parsed = AgreementProposalSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  const path = issue?.path ?? [];
  const message = issue?.message ?? 'invalid';
  if ('file' in from) {
    throw new UsageError(
      `--file ${from.file} is not a proposal: ${firstIssueText(parsed.error, { root: '(body)' })}`,
      NAME,
    );
  }
  const { flags } = from;
  const [head, index, member] = path;
  const at = <T>(list: readonly T[] | undefined) => (typeof index === 'number' ? list?.[index] : undefined);
  let where: string;
  let what = message;
  if (head === 'parties') {
    const party = at(flags.party);
    where = party === undefined ? '--party' : `--party ${party}`;
  } else if (head === 'grants') {
    const spec = at(flags.grant);
    where = spec === undefined ? '--grant' : `--grant ${JSON.stringify(spec)}`;
    if (member !== undefined) what = `${String(member)}: ${message}`;
  } else if (head === 'validFrom' || head === 'validUntil') {
    const [flag, value] = head === 'validFrom' ? ['--from', flags.from] : ['--until', flags.until];
    where = value === undefined ? flag : `${flag} ${value}`;
    what =
      message === 'validUntil is before validFrom'
        ? `is before --from ${flags.from ?? `${todayCst(new Date())} (today)`}`
        : `${message} (YYYY-MM-DD)`;
  } else {
    where = head === 'name' ? '--name' : path.join('.') || 'the proposal';
  }
  throw new UsageError(`${where}${what.startsWith('is before') ? ' ' : ': '}${what}`, NAME);
}
