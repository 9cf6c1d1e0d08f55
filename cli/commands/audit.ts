import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TraceIdSchema } from '../../contracts/common.ts';
import { RootPublicJwkSchema } from '../../contracts/registry.ts';
import { assembleTrace, type TraceReport } from '../../lib/audit/trace.ts';
import { traceHtml } from '../../lib/audit/trace-html.ts';
import { registryTraceVerifier } from '../../lib/audit/trace-verifier.ts';
import { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { parseCommand } from '../args.ts';
import { type Command, helpText } from '../command.ts';
import { CliError, ExitCode, UsageError } from '../errors.ts';
import { loadFederation } from '../federation-file.ts';
import { printJson, provinceLabel } from '../output.ts';

export const audit: Command = {
  name: 'audit',
  summary: 'trace one call across every province: events, log proofs, receipts and gaps',
  usage: [
    'usage: elg audit trace TRACE_ID [--html FILE]',
    '',
    'Asks every province of the federation (as its auditor) for the events of the trace, checks',
    "each province's signed checkpoint, each event's inclusion proof and each receipt, and flags",
    'gaps: a call seen on one side only, an unreachable province, a proof that fails.',
    '  --html FILE   also write a page with one lane per province and arrows for the calls',
    'Exit status 3 when the trace has gaps.',
  ],
  async run(argv, io) {
    const { values, positionals } = parseCommand(
      'audit',
      argv,
      { html: { type: 'string' } },
      { min: 2, max: 2, names: 'trace TRACE_ID' },
    );
    if (values.help) {
      io.out(helpText(audit));
      return ExitCode.ok;
    }
    const [sub, traceId] = positionals;
    if (sub !== 'trace')
      throw new UsageError(`unknown audit command ${JSON.stringify(sub)}; try: elg audit trace TRACE_ID`);
    if (!TraceIdSchema.safeParse(traceId).success) {
      throw new UsageError(
        'a trace id is 32 lower-case hex characters (the one a verification answer shows)',
      );
    }
    const { federation } = await loadFederation(values.federation, io);
    const root = RootPublicJwkSchema.safeParse(federation.root?.jwk);
    if (!root.success || !federation.registry) {
      throw new CliError(
        'the federation file names no registry and root key to check provinces against',
        ExitCode.failed,
      );
    }
    const registry = await TrustRegistry.load({ source: federation.registry, rootPublicJwk: root.data });
    const report = await assembleTrace(
      traceId ?? '',
      federation.provinces.map((p) => ({ province: p.id, baseUrl: p.url, token: p.tokens.auditor })),
      registryTraceVerifier(registry),
    );
    if (values.html) {
      const file = resolve(io.cwd, values.html);
      await writeFile(file, traceHtml(report));
      if (!values.json) io.out(`page written to ${file}\n`);
    }
    if (values.json) printJson(io, report);
    else io.out(render(report));
    return report.ok ? ExitCode.ok : ExitCode.negative;
  },
};

function render(r: TraceReport): string {
  const lines = [`trace ${r.traceId}: ${r.ok ? 'verified, no gaps' : `${r.gaps.length} gap(s)`}`, ''];
  for (const p of r.provinces) {
    const cp = p.checkpoint ? `checkpoint ${p.checkpoint.treeSize} ${p.checkpoint.verified ? '✓' : '✗'}` : '';
    lines.push(
      `  ${provinceLabel(p.id).padEnd(12)} ${p.reachable ? `${p.events} events` : 'unreachable'} ${cp}`.trimEnd(),
    );
  }
  lines.push('', 'timeline');
  for (const t of r.timeline) {
    const proof = t.proof === 'verified' ? '✓' : t.proof === 'pending' ? '…' : '✗';
    const receipt = t.receipt ? ` receipt ${t.receipt === 'verified' ? '✓' : '✗'}` : '';
    const peer = t.event.peer ? ` ↔ ${t.event.peer}` : '';
    lines.push(
      `  ${t.event.time}  ${t.province}  ${proof} ${t.event.action} ${t.event.outcome}${peer}${receipt}`,
    );
  }
  if (r.calls.length > 0) {
    lines.push('', 'calls');
    for (const c of r.calls) {
      lines.push(
        `  ${c.from} → ${c.to}  ${c.status ?? ''}  ${c.outbound && c.inbound ? 'seen on both sides' : 'one side only'}`,
      );
    }
  }
  if (r.gaps.length > 0) {
    lines.push('', 'gaps');
    for (const g of r.gaps)
      lines.push(`  ${g.kind}  ${g.province}${g.eventId ? ` ${g.eventId}` : ''}: ${g.message}`);
  }
  return `${lines.join('\n')}\n`;
}
