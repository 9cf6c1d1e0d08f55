import { firstIssue } from '../../contracts/issue-text.ts';
import { GatewayIdSchema } from '../../contracts/registry.ts';
import { BreakersPageSchema, BreakerViewSchema, ReleaseRequestSchema } from '../../contracts/reviews.ts';
import { defineCommand, printedJson } from '../command.ts';
import { ExitCode, UsageError } from '../errors.ts';
import { call, expectShape } from '../http.ts';
import type { Io } from '../io.ts';
import { paint, provinceLabel } from '../output.ts';
import { breakerLines, breakersTable } from '../review-view.ts';
import { didYouMean } from '../suggest.ts';
import { type CommonValues, resolveTarget } from '../target.ts';

const NAME = 'breakers';

const OPTIONS = {
  reason: { type: 'string' },
} as const;

const SUBCOMMANDS = ['list', 'release'] as const;

interface Values extends CommonValues {
  json?: boolean | undefined;
  reason?: string | undefined;
}

export const breakers = defineCommand({
  name: NAME,
  summary: 'circuit breakers (熔断) of the provinces calling this one: list, release',
  usage: [
    'usage: elg breakers list',
    '       elg breakers release PEER --reason TEXT',
    '',
    'A breaker per calling province cuts off one that floods --province or walks license serials',
    "(docs/protocol.md §18.4): it trips past the review policy's breaker settings (elg",
    'review-policy) and stays open, its calls answered 429 CIRCUIT_OPEN (or held for review),',
    'until an operator releases it. Both as the operator of --province.',
    'list     GET /v1/breakers: the trip settings, then each calling province that has a breaker:',
    '         its state, why it tripped with the counts seen, when, and the last release.',
    '         --json prints the answer as received.',
    'release  POST /v1/breakers/{PEER}/release: closes the open breaker of PEER (a 6-digit province',
    '         id); its calls are answered again within about a second. A breaker that is not open:',
    '         409 CONFLICT.',
    '  --reason TEXT   why (1-500 characters), audited',
    'Exit status: 0 done, 1 the gateway refused (its error code and message are printed) or did',
    'not answer, 2 usage.',
  ],
  options: OPTIONS,
  positionals: { min: 1, max: 2, names: `one of ${SUBCOMMANDS.join(', ')}, and a PEER for release` },
  async run({ values, positionals }, io) {
    const [rawSub = '', peer] = positionals;
    const sub = SUBCOMMANDS.find((s) => s === rawSub);
    if (!sub) {
      throw new UsageError(
        `unknown breakers command ${JSON.stringify(rawSub)}${didYouMean(rawSub, SUBCOMMANDS) || `; one of ${SUBCOMMANDS.join(', ')}`}`,
        NAME,
      );
    }
    if (sub === 'list') {
      if (peer !== undefined) throw new UsageError(`breakers list takes no PEER (got ${peer})`, NAME);
      if (values.reason !== undefined)
        throw new UsageError('--reason is an option of breakers release, not of breakers list', NAME);
      return list(values, io);
    }
    if (peer === undefined)
      throw new UsageError('breakers release needs a PEER (a province id such as 330000)', NAME);
    return release(peer, values, io);
  },
});

async function list(values: Values, io: Io): Promise<ExitCode> {
  const target = await resolveTarget(values, 'operator', io);
  const answer = await call(target, 'GET', '/v1/breakers');
  const page = expectShape(BreakersPageSchema, answer, 'breakers');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  const p = paint(io);
  const b = page.breaker;
  const where = provinceLabel(target.province);
  io.out(`${p.bold(`breakers of the provinces calling ${where}`)}\n`);
  io.out(
    `  trip: more than ${b.callsPerMinute} calls a minute, or more than ${b.notFoundShare} NOT_FOUND of at least ${b.minCalls} calls in ${b.windowMinutes} min; when open: ${b.whenOpen}\n\n`,
  );
  const open = page.items.filter((x) => x.state === 'open');
  if (page.items.length > 0) io.out(`${breakersTable(page.items, p)}\n`);
  io.out(
    open.length === 0
      ? `no open breaker: every calling province is answered${page.items.length === 0 ? ' (none has tripped)' : ''}\n`
      : `${p.red(`${open.length} open`)}: ${open.map((x) => provinceLabel(x.peer)).join(', ')} (elg breakers release --province ${target.province} PEER --reason TEXT)\n`,
  );
  return ExitCode.ok;
}

async function release(peer: string, values: Values, io: Io): Promise<ExitCode> {
  if (!GatewayIdSchema.safeParse(peer).success) {
    throw new UsageError(`PEER takes a 6-digit province id such as 330000, not ${peer}`, NAME);
  }
  if (values.reason === undefined) throw new UsageError('breakers release needs --reason TEXT', NAME);
  const body = ReleaseRequestSchema.safeParse({ reason: values.reason });
  if (!body.success) throw new UsageError(`--reason: ${firstIssue(body.error)?.message ?? 'invalid'}`, NAME);
  const target = await resolveTarget(values, 'operator', io);
  const answer = await call(target, 'POST', `/v1/breakers/${peer}/release`, { body: body.data });
  const view = expectShape(BreakerViewSchema, answer, 'release');
  if (printedJson(values, io, answer.body)) return ExitCode.ok;
  const p = paint(io);
  io.out(
    `breaker of ${provinceLabel(view.peer)} released: its calls are answered again within about a second\n\n`,
  );
  io.out(breakerLines(view, p));
  return ExitCode.ok;
}
